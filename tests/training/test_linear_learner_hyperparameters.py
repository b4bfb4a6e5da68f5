"""Hyperparameter validation, ``auto`` resolution and data checks of the local Linear Learner.

Every rule has one exact message naming the hyperparameter, the value and what is allowed;
the tables below pin them.
"""

from __future__ import annotations

import inspect
import types
import typing

import numpy as np
import pytest

from training.linear_learner import HyperparameterError, LinearLearner
from training.linear_learner.hyperparameters import AUTO_LEARNING_RATE, SPECS, Config, resolve

X = np.random.default_rng(0).normal(size=(20, 3))
Y_REGRESSION = X @ np.array([1.0, 2.0, 3.0])
Y_BINARY = (X[:, 0] > 0).astype(float)

REGRESSOR_LOSSES = (
    "auto, squared_loss, absolute_loss, eps_insensitive_squared_loss, "
    "eps_insensitive_absolute_loss, quantile_loss, huber_loss"
)
CRITERIA = (
    "accuracy, f_beta, f1, precision_at_target_recall, recall_at_target_precision, "
    "loss_function, cross_entropy_loss"
)

INVALID = [
    ("mini_batch_size", 0, "mini_batch_size=0: expecting an integer greater than 0"),
    ("mini_batch_size", "ten", "mini_batch_size='ten': expecting an integer greater than 0"),
    ("mini_batch_size", 2.5, "mini_batch_size=2.5: expecting an integer greater than 0"),
    ("epochs", -1, "epochs=-1: expecting an integer greater than 0"),
    ("epochs", True, "epochs=True: expecting an integer greater than 0"),
    ("num_models", 0, "num_models=0: expecting 'auto' or an integer greater than 0"),
    ("feature_dim", "many", "feature_dim='many': expecting 'auto' or an integer greater than 0"),
    (
        "loss",
        "foo",
        f"loss='foo' is not valid for predictor_type='regressor'; expected one of: {REGRESSOR_LOSSES}",
    ),
    (
        "loss",
        "logistic",
        "loss='logistic' is not valid for predictor_type='regressor'; "
        f"expected one of: {REGRESSOR_LOSSES}",
    ),
    (
        "optimizer",
        "adagrad",
        "optimizer='adagrad' is not valid; expected one of: auto, sgd, adam, rmsprop",
    ),
    ("learning_rate", 0, "learning_rate=0: expecting 'auto' or a float greater than 0"),
    (
        "learning_rate",
        float("nan"),
        "learning_rate=nan: expecting 'auto' or a float greater than 0",
    ),
    ("learning_rate", "fast", "learning_rate='fast': expecting 'auto' or a float greater than 0"),
    ("wd", -0.1, "wd=-0.1: expecting 'auto' or a float greater than or equal to 0"),
    ("l1", "lots", "l1='lots': expecting 'auto' or a float greater than or equal to 0"),
    ("momentum", 1.0, "momentum=1.0: expecting 'auto' or a float in [0, 1)"),
    ("beta_1", 1, "beta_1=1: expecting 'auto' or a float in [0, 1)"),
    ("beta_2", -0.1, "beta_2=-0.1: expecting 'auto' or a float in [0, 1)"),
    ("bias_lr_mult", 0, "bias_lr_mult=0: expecting 'auto' or a float greater than 0"),
    ("bias_wd_mult", -1, "bias_wd_mult=-1: expecting 'auto' or a float greater than or equal to 0"),
    ("use_bias", "yes", "use_bias='yes': expecting true or false"),
    ("use_bias", "auto", "use_bias='auto': expecting true or false"),
    ("use_lr_scheduler", 1, "use_lr_scheduler=1: expecting true or false"),
    ("lr_scheduler_step", 0, "lr_scheduler_step=0: expecting 'auto' or an integer greater than 0"),
    ("lr_scheduler_factor", 1.0, "lr_scheduler_factor=1.0: expecting 'auto' or a float in (0, 1)"),
    (
        "lr_scheduler_minimum_lr",
        0,
        "lr_scheduler_minimum_lr=0: expecting 'auto' or a float greater than 0",
    ),
    ("normalize_data", "maybe", "normalize_data='maybe': expecting 'auto', true or false"),
    ("normalize_label", 0, "normalize_label=0: expecting 'auto', true or false"),
    ("unbias_data", "yes", "unbias_data='yes': expecting 'auto', true or false"),
    ("unbias_label", None, "unbias_label=None: expecting 'auto', true or false"),
    ("num_point_for_scaler", 0, "num_point_for_scaler=0: expecting an integer greater than 0"),
    (
        "init_method",
        "xavier",
        "init_method='xavier' is not valid; expected one of: uniform, normal",
    ),
    ("init_scale", 0, "init_scale=0: expecting a float greater than 0"),
    ("init_sigma", -1, "init_sigma=-1: expecting a float greater than 0"),
    ("init_bias", "x", "init_bias='x': expecting a number"),
    (
        "early_stopping_patience",
        0,
        "early_stopping_patience=0: expecting an integer greater than 0",
    ),
    ("early_stopping_tolerance", 0, "early_stopping_tolerance=0: expecting a float greater than 0"),
    (
        "binary_classifier_model_selection_criteria",
        "auc",
        f"binary_classifier_model_selection_criteria='auc' is not valid; expected one of: {CRITERIA}",
    ),
    ("target_recall", 1.0, "target_recall=1.0: expecting a float in (0, 1)"),
    ("target_precision", 0, "target_precision=0: expecting a float in (0, 1)"),
    ("f_beta", 0, "f_beta=0: expecting a float greater than 0"),
    (
        "positive_example_weight_mult",
        0,
        "positive_example_weight_mult=0: expecting 'auto', 'balanced' or a float greater than 0",
    ),
    (
        "positive_example_weight_mult",
        "equal",
        "positive_example_weight_mult='equal': expecting 'auto', 'balanced' or a float greater than 0",
    ),
    (
        "balance_multiclass_weights",
        "no",
        "balance_multiclass_weights='no': expecting true or false",
    ),
    (
        "num_calibration_samples",
        0,
        "num_calibration_samples=0: expecting 'auto' or an integer greater than 0",
    ),
    ("accuracy_top_k", 0, "accuracy_top_k=0: expecting an integer in [1, 1000000]"),
    ("num_classes", 0, "num_classes=0: expecting an integer in [1, 1000000]"),
    ("margin", -1, "margin=-1: expecting a float greater than or equal to 0"),
    ("quantile", 0, "quantile=0: expecting a float in (0, 1)"),
    ("loss_insensitivity", 0, "loss_insensitivity=0: expecting a float greater than 0"),
    ("huber_delta", 0, "huber_delta=0: expecting a float greater than 0"),
    ("seed", -1, "seed=-1: expecting an integer >= 0"),
]


@pytest.mark.parametrize(
    ("name", "value", "message"), INVALID, ids=[f"{n}={v!r}" for n, v, _ in INVALID]
)
def test_invalid_hyperparameter_is_rejected_with_its_exact_message(
    name: str, value: object, message: str
) -> None:
    learner = LinearLearner(predictor_type="regressor").set_params(**{name: value})

    with pytest.raises(HyperparameterError) as info:
        learner.fit(X, Y_REGRESSION)

    assert str(info.value) == message
    assert info.value.name == name


PREDICTOR_RULES = [
    (
        {"predictor_type": None},
        "predictor_type is required; expected one of: "
        "binary_classifier, multiclass_classifier, regressor",
    ),
    (
        {"predictor_type": "classifier"},
        "predictor_type='classifier' is not valid; expected one of: "
        "binary_classifier, multiclass_classifier, regressor",
    ),
    (
        {"predictor_type": "binary_classifier", "loss": "squared_loss"},
        "loss='squared_loss' is not valid for predictor_type='binary_classifier'; "
        "expected one of: auto, logistic, hinge_loss",
    ),
    (
        {"predictor_type": "multiclass_classifier", "num_classes": 3, "loss": "logistic"},
        "loss='logistic' is not valid for predictor_type='multiclass_classifier'; "
        "expected one of: auto, softmax_loss",
    ),
    (
        {"predictor_type": "multiclass_classifier"},
        "num_classes=None: expecting an integer in [3, 1000000] "
        "when predictor_type='multiclass_classifier'",
    ),
    (
        {"predictor_type": "multiclass_classifier", "num_classes": 2},
        "num_classes=2: expecting an integer in [3, 1000000] "
        "when predictor_type='multiclass_classifier'",
    ),
    (
        {"predictor_type": "regressor", "feature_dim": 5},
        "feature_dim=5 does not match X, which has 3 columns; expecting 'auto' or 3",
    ),
]


@pytest.mark.parametrize(("params", "message"), PREDICTOR_RULES)
def test_rules_that_depend_on_the_predictor_type_have_exact_messages(
    params: dict[str, object], message: str
) -> None:
    learner = LinearLearner(**params)  # type: ignore[arg-type]

    with pytest.raises(HyperparameterError) as info:
        learner.fit(X, Y_BINARY)

    assert str(info.value) == message


def test_validation_happens_before_any_training() -> None:
    epochs_seen: list[int] = []
    learner = LinearLearner(
        predictor_type="regressor",
        loss="hinge_loss",
        progress=lambda r: epochs_seen.append(r.epoch),
    )

    with pytest.raises(HyperparameterError):
        learner.fit(X, Y_REGRESSION)

    assert epochs_seen == []


def test_unknown_hyperparameter_name_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(HyperparameterError) as info:
        LinearLearner.from_hyperparameters({"predictor_type": "regressor", "learning_rte": 0.1})

    assert str(info.value).startswith(
        "unknown hyperparameter 'learning_rte' (did you mean 'learning_rate'?); expected one of: "
    )
    assert info.value.name == "learning_rte"


def test_set_params_rejects_unknown_names() -> None:
    with pytest.raises(HyperparameterError, match="unknown hyperparameter 'epoch'"):
        LinearLearner(predictor_type="regressor").set_params(epoch=3)


@pytest.mark.filterwarnings("ignore::training.linear_learner.ConvergenceWarning")  # 4 epochs
def test_sagemaker_style_string_values_are_accepted() -> None:
    learner = LinearLearner.from_hyperparameters(
        {
            "predictor_type": "binary_classifier",
            "epochs": "4",
            "mini_batch_size": "10",
            "num_models": "auto",
            "learning_rate": "0.05",
            "use_bias": "True",
            "use_lr_scheduler": "false",
            "normalize_data": "true",
            "positive_example_weight_mult": "balanced",
            "feature_dim": "3",
            "init_bias": "-0.5",
        }
    )

    config = learner.check_hyperparameters()
    learner.fit(X, Y_BINARY)

    assert (config.epochs, config.mini_batch_size, config.num_models) == (4, 10, 32)
    assert (config.learning_rate, config.use_bias, config.use_lr_scheduler) == (0.05, True, False)
    assert (config.feature_dim, config.init_bias) == (3, -0.5)
    assert learner.training_report_["epochs_run"] <= 4


@pytest.mark.parametrize(
    ("predictor_type", "loss", "normalize_label", "unbias_label"),
    [
        ("regressor", "squared_loss", True, True),
        ("binary_classifier", "logistic", False, False),
        ("multiclass_classifier", "softmax_loss", False, False),
    ],
)
def test_auto_values_resolve_per_predictor_type(
    predictor_type: str, loss: str, normalize_label: bool, unbias_label: bool
) -> None:
    config = LinearLearner(predictor_type=predictor_type, num_classes=4).check_hyperparameters()

    assert config.loss == loss
    assert (config.normalize_label, config.unbias_label) == (normalize_label, unbias_label)
    assert (config.optimizer, config.learning_rate) == ("adam", AUTO_LEARNING_RATE["adam"])
    assert (config.num_models, config.num_calibration_samples) == (32, 10_000_000)
    assert (config.wd, config.l1, config.momentum) == (0.0, 0.0, 0.0)
    assert (config.beta_1, config.beta_2) == (0.9, 0.999)
    assert (config.bias_lr_mult, config.bias_wd_mult) == (10.0, 0.0)
    assert (config.lr_scheduler_step, config.lr_scheduler_factor) == (100, 0.99)
    assert config.lr_scheduler_minimum_lr == 1e-5
    assert (config.normalize_data, config.unbias_data) == (True, True)


def test_explicit_normalize_label_is_ignored_for_classification() -> None:
    config = LinearLearner(
        predictor_type="binary_classifier", normalize_label=True, unbias_label=True
    ).check_hyperparameters()

    assert (config.normalize_label, config.unbias_label) == (False, False)


def test_unbias_data_follows_use_bias_when_auto() -> None:
    config = LinearLearner(predictor_type="regressor", use_bias="false").check_hyperparameters()

    assert (config.unbias_data, config.unbias_label) == (False, False)


def test_learning_rate_auto_depends_on_the_optimizer() -> None:
    rates = {
        name: LinearLearner(predictor_type="regressor", optimizer=name)
        .check_hyperparameters()
        .learning_rate
        for name in ("sgd", "adam", "rmsprop")
    }

    assert rates == AUTO_LEARNING_RATE


# -- each hyperparameter declared once -----------------------------------------------------


def test_the_constructor_takes_every_declared_hyperparameter_plus_seed_and_progress() -> None:
    parameters = inspect.signature(LinearLearner).parameters

    assert list(parameters) == [*SPECS, "seed", "progress"]


@pytest.mark.parametrize("name", list(SPECS))
def test_each_constructor_default_is_the_declared_default(name: str) -> None:
    default = inspect.signature(LinearLearner).parameters[name].default

    assert default == SPECS[name].default
    assert type(default) is type(SPECS[name].default)


@pytest.mark.parametrize(
    ("predictor_type", "num_classes"),
    [("regressor", None), ("binary_classifier", None), ("multiclass_classifier", 4)],
)
def test_every_resolved_default_has_its_declared_type(
    predictor_type: str, num_classes: int | None
) -> None:
    config = resolve({"predictor_type": predictor_type, "num_classes": num_classes})

    declared = typing.get_type_hints(Config)
    for name in SPECS:
        value, kind = getattr(config, name), declared[name]
        allowed = typing.get_args(kind) if typing.get_origin(kind) is types.UnionType else (kind,)
        if typing.get_origin(kind) is typing.Literal:
            assert value in typing.get_args(kind), name
        else:
            assert isinstance(value, allowed) and not (
                isinstance(value, bool) and bool not in allowed
            ), name


def test_get_params_lists_every_sagemaker_hyperparameter_plus_seed_and_progress() -> None:
    params = LinearLearner(predictor_type="regressor").get_params()

    assert set(params) == {*SPECS, "seed", "progress"}
    assert params["epochs"] == 15
    assert params["mini_batch_size"] == 1000


def test_learner_survives_scikit_learn_clone() -> None:
    from sklearn.base import clone

    learner = LinearLearner(predictor_type="regressor", epochs=3, wd="0.1", seed=4)

    copy = clone(learner)

    assert copy.get_params() == learner.get_params()
    assert copy is not learner


# -- data validation ----------------------------------------------------------------------

DATA_RULES = [
    ("regressor", np.zeros(20), Y_REGRESSION, "X must be 2-D (rows, features); got shape (20,)"),
    ("regressor", X, Y_REGRESSION[:10], "y must have shape (20,) to match its X; got (10,)"),
    ("regressor", np.where(X > 1, np.nan, X), Y_REGRESSION, "X contains NaN or infinity"),
    ("regressor", X, np.full(20, np.inf), "y contains NaN or infinity"),
    (
        "regressor",
        np.zeros((0, 3)),
        np.zeros(0),
        "X must have at least one row and one column; got (0, 3)",
    ),
    ("regressor", [["a", "b"]], [1.0], "X must be numeric"),
    ("regressor", X + 1j, Y_REGRESSION, "X must be numeric: complex values have no real order"),
    ("regressor", X, None, "y is required; got None"),
    (
        "binary_classifier",
        X,
        Y_BINARY * 2,
        "y must hold 0 or 1 for predictor_type='binary_classifier'; found 2.0",
    ),
    (
        "multiclass_classifier",
        X,
        np.arange(20.0) % 4,
        "y must hold integers 0..2 for num_classes=3; found 3.0",
    ),
    (
        "multiclass_classifier",
        X,
        np.full(20, 0.5),
        "y must hold integers 0..2 for num_classes=3; found 0.5",
    ),
]


@pytest.mark.parametrize(("predictor_type", "features", "labels", "message"), DATA_RULES)
def test_invalid_training_data_is_rejected_with_a_clear_message(
    predictor_type: str, features: object, labels: object, message: str
) -> None:
    learner = LinearLearner(predictor_type=predictor_type, num_classes=3)

    with pytest.raises(ValueError) as info:
        learner.fit(features, labels)  # type: ignore[arg-type]

    assert str(info.value).startswith(message)


def test_validation_features_must_come_with_validation_labels() -> None:
    learner = LinearLearner(predictor_type="regressor")

    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        learner.fit(X, Y_REGRESSION, X_val=X)


def test_validation_features_must_match_the_training_columns() -> None:
    learner = LinearLearner(predictor_type="regressor")

    with pytest.raises(ValueError, match="X_val has 2 columns but X has 3"):
        learner.fit(X, Y_REGRESSION, X[:, :2], Y_REGRESSION)
