"""The local Linear Learner as a scikit-learn estimator: predictions, scores, meta-estimators.

scikit-learn is used here and nowhere in the learner, which imports only numpy.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.training.synthetic import blobs, linear_data, overlapping_classes
from training.linear_learner import LinearLearner

ROOT = Path(__file__).resolve().parents[2]


def _regression() -> tuple[np.ndarray, np.ndarray]:
    return linear_data(noise=0.5)


def _binary() -> tuple[np.ndarray, np.ndarray]:
    return overlapping_classes(rows=400, shift=1.5)


def _regressor() -> LinearLearner:
    return LinearLearner(predictor_type="regressor", mini_batch_size=30, epochs=40)


def _classifier(**hyperparameters: object) -> LinearLearner:
    return LinearLearner(
        predictor_type="binary_classifier", mini_batch_size=40, epochs=30, **hyperparameters
    )


def _multiclass() -> LinearLearner:
    return LinearLearner(
        predictor_type="multiclass_classifier", num_classes=3, mini_batch_size=30, epochs=30
    )


# -- what each predict method returns ------------------------------------------------------


def test_a_regressor_predicts_an_array_of_the_endpoints_scores() -> None:
    X, y = _regression()
    learner = _regressor().fit(X, y)

    predicted = learner.predict(X[:5])

    assert isinstance(predicted, np.ndarray)
    assert predicted.shape == (5,) and predicted.dtype == np.float64
    assert predicted.tolist() == [r["score"] for r in learner.predict_records(X[:5])]


def test_a_binary_classifier_predicts_the_endpoints_labels() -> None:
    X, y = _binary()
    learner = _classifier().fit(X, y)

    predicted = learner.predict(X)

    assert predicted.shape == (len(X),) and predicted.dtype.kind == "i"
    assert predicted.tolist() == [r["predicted_label"] for r in learner.predict_records(X)]
    assert learner.classes_.tolist() == [0, 1]


def test_binary_probabilities_are_one_minus_p_and_p_with_p_the_endpoints_score() -> None:
    X, y = _binary()
    learner = _classifier().fit(X, y)

    probabilities = learner.predict_proba(X[:5])

    scores = [r["score"] for r in learner.predict_records(X[:5])]
    np.testing.assert_array_equal(probabilities[:, 1], scores)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_multiclass_probabilities_are_the_endpoints_class_scores() -> None:
    X, y = blobs(rows_per_class=60)
    learner = _multiclass().fit(X, y)

    probabilities = learner.predict_proba(X[:5])

    records = learner.predict_records(X[:5])
    np.testing.assert_array_equal(probabilities, [r["score"] for r in records])
    assert learner.predict(X[:5]).tolist() == [r["predicted_label"] for r in records]
    assert learner.classes_.tolist() == [0, 1, 2]


def test_hinge_loss_has_margins_but_no_probabilities() -> None:
    X, y = _binary()
    learner = _classifier(loss="hinge_loss").fit(X, y)

    assert not hasattr(learner, "predict_proba")
    margins = learner.decision_function(X[:5])
    assert margins.tolist() == [r["score"] for r in learner.predict_records(X[:5])]


def test_a_regressor_has_neither_probabilities_nor_a_decision_function() -> None:
    learner = _regressor()

    assert not hasattr(learner, "predict_proba")
    assert not hasattr(learner, "decision_function")


def test_logistic_margins_are_the_log_odds_of_the_probabilities() -> None:
    X, y = _binary()
    learner = _classifier().fit(X, y)

    p = learner.predict_proba(X[:5])[:, 1]

    np.testing.assert_allclose(learner.decision_function(X[:5]), np.log(p / (1 - p)))


# -- scikit-learn's contract ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("learner", "data", "metric"),
    [(_regressor, _regression, r2_score), (_classifier, _binary, accuracy_score)],
    ids=["regressor-r2", "classifier-accuracy"],
)
def test_score_is_r2_for_a_regressor_and_accuracy_for_a_classifier(
    learner: Callable[[], LinearLearner],
    data: Callable[[], tuple[np.ndarray, np.ndarray]],
    metric: Callable[..., float],
) -> None:
    X, y = data()
    fitted = learner().fit(X[:-100], y[:-100])
    X_test, y_test = X[-100:], y[-100:]
    weights = np.random.default_rng(1).random(100)

    predicted = fitted.predict(X_test)

    assert fitted.score(X_test, y_test) == pytest.approx(metric(y_test, predicted))
    assert fitted.score(X_test, y_test, sample_weight=weights) == pytest.approx(
        metric(y_test, predicted, sample_weight=weights)
    )


def test_scikit_learn_tells_a_regressor_from_a_classifier_by_predictor_type() -> None:
    assert is_regressor(LinearLearner(predictor_type="regressor"))
    assert is_classifier(LinearLearner(predictor_type="binary_classifier"))
    assert is_classifier(LinearLearner(predictor_type="multiclass_classifier", num_classes=3))


def test_set_params_returns_the_learner_and_get_params_shows_the_change() -> None:
    learner = _regressor()

    same = learner.set_params(wd=0.01, epochs="20")

    assert same is learner
    assert (learner.get_params()["wd"], learner.get_params(deep=False)["epochs"]) == (0.01, "20")


def test_a_clone_is_unfitted_with_the_same_hyperparameters() -> None:
    X, y = _regression()
    fitted = _regressor().set_params(seed=3).fit(X, y)

    copy = clone(fitted)

    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "coef_")


def test_cross_val_score_scores_a_regressor_with_r2_on_each_fold() -> None:
    X, y = _regression()

    scores = cross_val_score(_regressor(), X, y, cv=KFold(3, shuffle=True, random_state=0))

    assert scores.shape == (3,)
    assert scores.min() > 0.95


def test_cross_val_score_stratifies_a_classifiers_folds_and_scores_accuracy() -> None:
    X, y = _binary()

    scores = cross_val_score(_classifier(), X, y, cv=4)

    expected = [
        accuracy_score(y[test], _classifier().fit(X[train], y[train]).predict(X[test]))
        for train, test in StratifiedKFold(4).split(X, y)
    ]
    assert scores.tolist() == pytest.approx(expected)


def test_cross_val_score_computes_roc_auc_from_the_probabilities() -> None:
    X, y = _binary()
    folds = StratifiedKFold(4, shuffle=True, random_state=0)

    auc = cross_val_score(_classifier(), X, y, cv=folds, scoring="roc_auc")

    expected = [
        roc_auc_score(y[test], _classifier().fit(X[train], y[train]).predict_proba(X[test])[:, 1])
        for train, test in folds.split(X, y)
    ]
    assert auc.tolist() == pytest.approx(expected)
    assert auc.min() > 0.7


def test_grid_search_picks_the_hyperparameter_that_validates_best_and_refits() -> None:
    X, y = _regression()
    # A huge wd shrinks every weight to 0; the search must prefer the small one.
    search = GridSearchCV(
        LinearLearner(predictor_type="regressor", mini_batch_size=30, epochs=40, num_models=1),
        {"wd": [1e-6, 10.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    )

    search.fit(X, y)

    assert search.best_params_ == {"wd": 1e-6}
    assert search.best_estimator_.get_params()["wd"] == 1e-6
    assert search.best_estimator_.score(X, y) > 0.95


def test_a_pipeline_with_a_scaler_fits_predicts_and_scores() -> None:
    X, y = _binary()
    pipeline = make_pipeline(StandardScaler(), _classifier())

    pipeline.fit(X[:300], y[:300])

    assert set(pipeline.predict(X[300:]).tolist()) <= {0, 1}
    assert pipeline.predict_proba(X[300:]).shape == (100, 2)
    assert pipeline.score(X[300:], y[300:]) > 0.7


def test_grid_search_reaches_the_learner_inside_a_pipeline() -> None:
    X, y = _regression()
    pipeline = make_pipeline(StandardScaler(), _regressor())
    search = GridSearchCV(
        pipeline,
        {"linearlearner__l1": [0.0, 100.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    )

    search.fit(X, y)

    assert search.best_params_ == {"linearlearner__l1": 0.0}


def test_importing_the_learner_imports_no_scikit_learn() -> None:
    probe = (
        "import sys, training.linear_learner; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas'}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
