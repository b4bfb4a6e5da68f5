"""The :class:`LinearLearner` estimator: scikit-learn's contract, SageMaker's hyperparameters.

This module is the public face of the package: it stores hyperparameters, validates data,
hands both to :func:`~training.linear_learner.trainer.train`, folds the scaler into the
winning weights so that predicting is one matrix product plus a link function, answers in
scikit-learn's terms (``predict``, ``predict_proba``, ``score``) and in the endpoint's
(``predict_records``), and saves and loads the result as a single ``model.npz``. It is
long because a third of it is documentation users read in a notebook (every parameter and
attribute, and a runnable example) and because it owns the whole public surface; the
training itself lives in ``trainer.py``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .hyperparameters import DEFAULTS, SPECS, Config, HyperparameterError, check_names, resolve
from .losses import sigmoid, softmax
from .metrics import accuracy, r2_score
from .persistence import read_model, write_model
from .trainer import ConvergenceWarning, Progress, train

FloatArray = npt.NDArray[np.float64]

__all__ = ["LinearLearner", "NotFittedError"]

_EXTRA_PARAMS = ("seed", "progress")


class NotFittedError(ValueError, AttributeError):
    """``predict`` or ``save`` was called before ``fit`` (scikit-learn's convention)."""


def _as_floats(values: object, name: str) -> FloatArray:
    """``values`` as float64, refusing what does not convert (complex values included)."""
    if values is None:
        raise ValueError(f"{name} is required; got None")
    try:
        array = np.asarray(values)
        if np.iscomplexobj(array):
            raise ValueError("complex values have no real order")
        return array.astype(np.float64, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None


def _as_matrix(X: object, name: str) -> FloatArray:
    array = _as_floats(X, name)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows, features); got shape {array.shape}"
            + ("; use X.reshape(1, -1) for a single row" if array.ndim == 1 else "")
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column; got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _as_labels(y: object, rows: int, name: str, config: Config) -> FloatArray:
    labels = _as_floats(y, name)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != rows:
        raise ValueError(f"{name} must have shape ({rows},) to match its X; got {labels.shape}")
    if not np.isfinite(labels).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if config.predictor_type == "binary_classifier":
        bad = labels[(labels != 0) & (labels != 1)]
        if len(bad):
            raise ValueError(
                f"{name} must hold 0 or 1 for predictor_type='binary_classifier'; "
                f"found {float(bad[0])!r}"
            )
    elif config.predictor_type == "multiclass_classifier":
        bad = labels[(labels != np.round(labels)) | (labels < 0) | (labels >= config.num_classes)]
        if len(bad):
            raise ValueError(
                f"{name} must hold integers 0..{config.num_classes - 1} for "
                f"num_classes={config.num_classes}; found {float(bad[0])!r}"
            )
    return labels


class LinearLearner:
    """A local, numpy-only twin of Amazon SageMaker's Linear Learner algorithm.

    Hyperparameters are SageMaker's, by name, with SageMaker's defaults and accepted
    spellings (``"true"``, ``"auto"``, ``"0.01"``); see
    :mod:`training.linear_learner.hyperparameters` for the rules and what ``auto`` means.
    They are stored verbatim and validated by :meth:`fit` before any training, raising
    :class:`HyperparameterError` (a ``ValueError``) that names the value and what is
    allowed. Features and label are normalised inside the model: the predict methods take
    raw features and return raw-scale scores.

    It follows scikit-learn's estimator contract (``get_params``, ``set_params``,
    ``score``, a regressor's or classifier's tags by ``predictor_type``), so it works in
    ``cross_val_score``, ``GridSearchCV`` and ``Pipeline``, while importing only numpy.

    Parameters
    ----------
    predictor_type : {"regressor", "binary_classifier", "multiclass_classifier"}
        Required.
    seed : int, default 0
        Seeds the scaler sample, the models' hyperparameter draws, initial weights, the
        per-epoch shuffles and the calibration sample. Same data and seed, same model.
    progress : callable, optional
        Called after each epoch with an :class:`~training.linear_learner.trainer.EpochReport`
        (epoch number, best model, its training and validation loss, ...). Not a
        hyperparameter; not saved.
    **hyperparameters
        Every other SageMaker Linear Learner hyperparameter, e.g. ``epochs``,
        ``mini_batch_size``, ``loss``, ``num_models``, ``learning_rate``, ``wd``, ``l1``.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen by :meth:`fit`.
    coef_ : ndarray of shape (n_features,) or (n_features, num_classes)
        Winning weights on the raw feature scale (normalisation folded in). For
        ``logistic`` and ``softmax_loss`` they act on the logit scale.
    intercept_ : float or ndarray of shape (num_classes,)
        Winning bias on the raw scale.
    threshold_ : float or None
        The calibrated decision threshold on ``score`` (binary classifiers only).
    classes_ : ndarray of shape (num_classes,)
        The labels ``0..num_classes-1`` (classifiers only).
    training_report_ : dict
        JSON-ready summary: ``winning_model`` (index; 0 ran the given hyperparameters),
        ``hyperparameters`` (its effective ``learning_rate``, ``wd``, ``l1``, ...),
        ``selection_criterion`` and ``selection_value``, ``selected_on``
        (``"validation"`` or ``"train"``), ``threshold``, ``monitored``, ``epochs_run``,
        ``best_epoch``, ``early_stopped``, ``converged`` and ``last_epoch_improvement``
        (see :class:`ConvergenceWarning`), ``train_loss``, ``validation_loss``,
        ``diverged_models`` and ``metrics`` (SageMaker's metric names, on the selection
        data).

    Warns
    -----
    ConvergenceWarning
        From :meth:`fit`, when ``epochs`` ran out while the loss was still improving: the
        last epoch lowered the winning model's loss on its selection data (validation
        data, or the training data without it) below its lowest before by more than
        ``early_stopping_tolerance`` times its loss at the start. Training that early
        stopping ends has converged by definition.

    Examples
    --------
    >>> import numpy as np
    >>> from training.linear_learner import LinearLearner
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ np.array([1.5, -2.0, 0.5]) + 3.0
    >>> learner = LinearLearner(predictor_type="regressor", epochs=30, mini_batch_size=20)
    >>> learner = learner.fit(X, y)
    >>> bool(np.allclose(learner.predict(X[:3]), y[:3], atol=0.01))
    True
    >>> learner.predict_records(X[:1]) == [{"score": float(learner.predict(X[:1])[0])}]
    True
    >>> learner.training_report_["selected_on"]
    'train'

    A binary classifier from a SageMaker-style hyperparameter dict, with validation data
    for model selection and threshold calibration:

    >>> X = rng.normal(size=(400, 2))
    >>> y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(float)
    >>> learner = LinearLearner.from_hyperparameters(
    ...     {"predictor_type": "binary_classifier", "epochs": "10", "mini_batch_size": "50",
    ...      "binary_classifier_model_selection_criteria": "precision_at_target_recall",
    ...      "target_recall": "0.9"})
    >>> learner = learner.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    >>> learner.predict(X[:4])
    array([1, 0, 0, 0])
    >>> probabilities = learner.predict_proba(X[:4])  # [1 - p, p] per row
    >>> probabilities.shape, bool(np.allclose(probabilities.sum(axis=1), 1.0))
    ((4, 2), True)
    >>> learner.score(X[300:], y[300:]) > 0.8  # accuracy, as for any scikit-learn classifier
    True
    >>> record = learner.predict_records(X[:1])[0]
    >>> sorted(record), type(record["predicted_label"]).__name__
    (['predicted_label', 'score'], 'int')
    >>> learner.training_report_["selected_on"]
    'validation'
    """

    # Stored by __init__ with every other hyperparameter; typed here for code that reads it
    # through a protocol (the emulator's Model).
    predictor_type: str | None

    def __init__(
        self,
        *,
        predictor_type: str | None = None,
        num_classes: int | str | None = None,
        feature_dim: int | str = "auto",
        mini_batch_size: int | str = 1000,
        epochs: int | str = 15,
        num_models: int | str = "auto",
        loss: str = "auto",
        optimizer: str = "auto",
        learning_rate: float | str = "auto",
        wd: float | str = "auto",
        l1: float | str = "auto",
        momentum: float | str = "auto",
        beta_1: float | str = "auto",
        beta_2: float | str = "auto",
        bias_lr_mult: float | str = "auto",
        bias_wd_mult: float | str = "auto",
        use_bias: bool | str = True,
        use_lr_scheduler: bool | str = True,
        lr_scheduler_step: int | str = "auto",
        lr_scheduler_factor: float | str = "auto",
        lr_scheduler_minimum_lr: float | str = "auto",
        normalize_data: bool | str = True,
        normalize_label: bool | str = "auto",
        unbias_data: bool | str = "auto",
        unbias_label: bool | str = "auto",
        num_point_for_scaler: int | str = 10_000,
        init_method: str = "uniform",
        init_scale: float | str = 0.07,
        init_sigma: float | str = 0.01,
        init_bias: float | str = 0.0,
        early_stopping_patience: int | str = 3,
        early_stopping_tolerance: float | str = 0.001,
        binary_classifier_model_selection_criteria: str = "accuracy",
        target_recall: float | str = 0.8,
        target_precision: float | str = 0.8,
        f_beta: float | str = 1.0,
        positive_example_weight_mult: float | str = 1.0,
        balance_multiclass_weights: bool | str = False,
        num_calibration_samples: int | str = "auto",
        accuracy_top_k: int | str = 3,
        margin: float | str = 1.0,
        quantile: float | str = 0.5,
        loss_insensitivity: float | str = 0.01,
        huber_delta: float | str = 1.0,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> None:
        # scikit-learn's contract: every argument stored verbatim under its own name, and
        # nothing else. The signature spells the names out because get_params reads it;
        # tests hold its defaults to the declarations in SPECS.
        given = locals()
        for name in SPECS:
            setattr(self, name, given[name])
        self.seed = seed
        self.progress = progress

    # -- scikit-learn parameter protocol -------------------------------------------------

    @classmethod
    def from_hyperparameters(
        cls,
        hyperparameters: Mapping[str, object],
        *,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> LinearLearner:
        """Build a learner from a SageMaker-style hyperparameter dict.

        Unknown names raise :class:`HyperparameterError` listing the valid ones (the
        constructor would raise a bare ``TypeError``); values are validated by :meth:`fit`.

        >>> LinearLearner.from_hyperparameters({"predictor_type": "regressor", "epochs": "5"}).epochs
        '5'
        """
        check_names(hyperparameters)
        return cls(**hyperparameters, seed=seed, progress=progress)  # type: ignore[arg-type]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as given, plus ``seed`` and ``progress`` (``deep`` is ignored)."""
        return {name: getattr(self, name) for name in (*SPECS, *_EXTRA_PARAMS)}

    def set_params(self, **params: Any) -> LinearLearner:
        """Set hyperparameters by name; unknown names raise :class:`HyperparameterError`."""
        check_names(params, extra=_EXTRA_PARAMS)
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def hyperparameters(self) -> dict[str, object]:
        """The SageMaker hyperparameters as given (no ``seed`` or ``progress``)."""
        return {name: getattr(self, name) for name in SPECS}

    def check_hyperparameters(self) -> Config:
        """Validate the hyperparameters now and return them resolved (``auto`` replaced).

        Raises
        ------
        HyperparameterError
            For the first invalid value.
        """
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise HyperparameterError("seed", seed, f"seed={seed!r}: expecting an integer >= 0")
        return resolve(self.hyperparameters())

    def __repr__(self) -> str:
        changed = [
            f"{name}={value!r}"
            for name, value in self.hyperparameters().items()
            if value != DEFAULTS[name]
        ]
        if self.seed != 0:
            changed.append(f"seed={self.seed!r}")
        return f"LinearLearner({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a regressor or a classifier, by ``predictor_type``.

        Only scikit-learn calls this, so importing it here leaves the learner numpy-only
        wherever scikit-learn is not already in use.
        """
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind, _ = self._kind()
        tags = Tags(estimator_type=None, target_tags=TargetTags(required=True))
        if kind == "regressor":
            tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
        elif kind in ("binary_classifier", "multiclass_classifier"):
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_class=kind == "multiclass_classifier")
        return tags

    # -- fit -----------------------------------------------------------------------------

    def fit(
        self,
        X: npt.ArrayLike,
        y: npt.ArrayLike,
        X_val: npt.ArrayLike | None = None,
        y_val: npt.ArrayLike | None = None,
    ) -> LinearLearner:
        """Train ``num_models`` models and keep the best one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features, finite.
        y : array-like of shape (n_samples,)
            Labels: any real for regressors, 0/1 for binary, ``0..num_classes-1`` for
            multiclass.
        X_val, y_val : array-like, optional
            Validation data, given together. Used for model selection, threshold
            calibration and early stopping; without it the training data is used.

        Returns
        -------
        LinearLearner
            ``self``, fitted.

        Raises
        ------
        HyperparameterError
            A hyperparameter is invalid (checked before anything else).
        ValueError
            The data has the wrong shape, non-finite values or labels out of range.

        Warns
        -----
        ConvergenceWarning
            ``epochs`` ran out while the loss was still improving (see the class).
        """
        config = self.check_hyperparameters()
        X_train = _as_matrix(X, "X")
        y_train = _as_labels(y, len(X_train), "y", config)
        features = X_train.shape[1]
        if config.feature_dim is not None and config.feature_dim != features:
            given = self.hyperparameters()["feature_dim"]
            raise HyperparameterError(
                "feature_dim",
                given,
                f"feature_dim={given!r} does not match X, which has "
                f"{features} columns; expecting 'auto' or {features}",
            )
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together")
        X_check = y_check = None
        if X_val is not None and y_val is not None:
            X_check = _as_matrix(X_val, "X_val")
            if X_check.shape[1] != features:
                raise ValueError(f"X_val has {X_check.shape[1]} columns but X has {features}")
            y_check = _as_labels(y_val, len(X_check), "y_val", config)

        trained = train(
            config, X_train, y_train, X_check, y_check, seed=int(self.seed), progress=self.progress
        )
        scaler = trained.scaler
        # Fold the normalisation into the weights: predicting then needs no preprocessing.
        coef = scaler.label_scale * trained.weights / scaler.feature_scale[:, None]
        intercept = (
            scaler.label_scale
            * (trained.bias - (scaler.feature_mean / scaler.feature_scale) @ trained.weights)
            + scaler.label_mean
        )
        self._store(config, coef, intercept, trained.threshold, features, trained.report)
        if not trained.report["converged"]:
            warnings.warn(_not_converged(config, trained.report), ConvergenceWarning, stacklevel=2)
        return self

    def _store(
        self,
        config: Config,
        coef: FloatArray,
        intercept: FloatArray,
        threshold: float | None,
        features: int,
        report: dict[str, Any],
    ) -> None:
        """Set the fitted state from ``coef`` ``(d, K)`` and ``intercept`` ``(K,)``."""
        self._config = config
        self.n_features_in_ = features
        self.threshold_ = threshold
        self.training_report_ = report
        if config.predictor_type == "multiclass_classifier":
            self.coef_: FloatArray = np.ascontiguousarray(coef)
            self.intercept_: float | FloatArray = intercept
        else:
            # Contiguous, so that scoring a batch is one fast matrix-vector product.
            self.coef_ = np.ascontiguousarray(coef[:, 0])
            self.intercept_ = float(intercept[0])
        if config.predictor_type != "regressor":
            self.classes_ = np.arange(config.num_classes)

    # -- predict -------------------------------------------------------------------------

    def _check_fitted(self) -> Config:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError("this LinearLearner is not fitted yet; call fit() first")
        return self._config

    def _kind(self) -> tuple[object, object]:
        """The predictor type and loss: as fitted, or as given before fitting."""
        if hasattr(self, "_config"):
            return self._config.predictor_type, self._config.loss
        given = self.hyperparameters()
        return _stripped(given["predictor_type"]), _stripped(given["loss"])

    def _margins(self, X: npt.ArrayLike) -> FloatArray:
        """The linear outputs ``X @ coef_ + intercept_``, after checking ``X``."""
        self._check_fitted()
        X = _as_floats(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have shape (n_rows, {self.n_features_in_}); got {X.shape}"
                + ("; use X.reshape(1, -1) for a single row" if X.ndim == 1 else "")
            )
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity")
        margins: FloatArray = X @ self.coef_ + self.intercept_
        if not np.isfinite(margins).all():
            raise ValueError("the model's output overflowed for these inputs")
        return margins

    def _scores(self, X: npt.ArrayLike) -> FloatArray:
        """Linear Learner's ``score``: the prediction, P(class 1) or the margin, P(class k)."""
        config, margins = self._check_fitted(), self._margins(X)
        if config.predictor_type == "multiclass_classifier":
            return softmax(margins, axis=1)
        return sigmoid(margins) if config.loss == "logistic" else margins

    def _labels(self, scores: FloatArray) -> npt.NDArray[np.int64]:
        if self._config.predictor_type == "multiclass_classifier":
            return scores.argmax(axis=1)
        threshold = 0.0 if self.threshold_ is None else self.threshold_
        return (scores > threshold).astype(np.int64)

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[Any]:
        """Predict each row: the score for a regressor, the label for a classifier.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Raw (unnormalised) features.

        Returns
        -------
        ndarray of shape (n_rows,)
            Floats for a regressor; integer labels (``classes_``) for a classifier, a
            binary one cutting its score at the calibrated ``threshold_``.
        """
        scores = self._scores(X)
        if self._config.predictor_type == "regressor":
            return scores
        return self._labels(scores)

    @property
    def predict_proba(self) -> Callable[[npt.ArrayLike], FloatArray]:
        """Class probabilities, for a classifier whose scores are probabilities.

        ``predict_proba(X)`` returns an array of shape ``(n_rows, num_classes)``:
        ``[1 - p, p]`` for a binary classifier with ``logistic`` loss (``p`` is
        Linear Learner's score), the softmax scores for multiclass. Regressors and
        ``hinge_loss`` (whose scores are margins; see :attr:`decision_function`) have no
        such method, as in scikit-learn.
        """
        kind, loss = self._kind()
        if kind not in ("binary_classifier", "multiclass_classifier") or loss == "hinge_loss":
            raise AttributeError(
                f"predict_proba is not available for predictor_type={kind!r} with loss={loss!r}"
            )
        return self._predict_proba

    def _predict_proba(self, X: npt.ArrayLike) -> FloatArray:
        scores = self._scores(X)
        if scores.ndim == 2:
            return scores
        return np.column_stack([1.0 - scores, scores])

    @property
    def decision_function(self) -> Callable[[npt.ArrayLike], FloatArray]:
        """A classifier's margins: ``X @ coef_ + intercept_``, ``(n_rows,)`` or ``(n_rows, K)``.

        For ``logistic`` and ``softmax_loss`` these are log-odds (logits). Regressors have
        no such method, as in scikit-learn.
        """
        kind, _ = self._kind()
        if kind not in ("binary_classifier", "multiclass_classifier"):
            raise AttributeError(f"decision_function is not available for predictor_type={kind!r}")
        return self._margins

    def predict_records(self, X: npt.ArrayLike) -> list[dict[str, Any]]:
        """Score rows exactly as the SageMaker endpoint's JSON ``predictions`` records.

        ``X`` is as for :meth:`predict`. The result is one record per row, in plain Python
        numbers: ``{"score": float}`` for a regressor; ``{"score": float,
        "predicted_label": 0 | 1}`` for a binary classifier (score is the probability of
        class 1 with ``logistic``, the margin with ``hinge_loss``); ``{"score": [p0, ...,
        pK-1], "predicted_label": int}`` for multiclass.
        """
        scores = self._scores(X)
        if self._config.predictor_type == "regressor":
            return [{"score": value} for value in scores.tolist()]
        labels = self._labels(scores).tolist()
        return [
            {"score": score, "predicted_label": label}
            for score, label in zip(scores.tolist(), labels, strict=True)
        ]

    def score(
        self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> float:
        """scikit-learn's default score: R^2 for a regressor, accuracy for a classifier.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)
            The true values or labels.
        sample_weight : array-like of shape (n_rows,), optional
        """
        predicted = self.predict(X)
        truth = _as_floats(y, "y").reshape(-1)
        if truth.shape != predicted.shape:
            raise ValueError(f"y must have shape {predicted.shape} to match X; got {truth.shape}")
        weights = None if sample_weight is None else _as_floats(sample_weight, "sample_weight")
        if self._config.predictor_type == "regressor":
            return r2_score(predicted, truth, weights)
        return accuracy(predicted, truth, weights)

    # -- persistence ---------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the fitted model to ``directory/model.npz`` atomically.

        The file holds the folded weights and JSON metadata with the hyperparameters,
        threshold and training report. It is written to a temporary file in the same
        directory and renamed into place, so a reader never sees half a model. The
        directory is created if needed.

        Returns
        -------
        pathlib.Path
            The path of the written file.
        """
        config = self._check_fitted()
        arrays = {
            "coef": self.coef_ if self.coef_.ndim == 2 else self.coef_[:, None],
            "intercept": np.atleast_1d(np.asarray(self.intercept_, dtype=np.float64)),
        }
        metadata = {
            "hyperparameters": self.hyperparameters(),
            "seed": self.seed,
            "predictor_type": config.predictor_type,
            "n_features_in": self.n_features_in_,
            "threshold": self.threshold_,
            "training_report": self.training_report_,
        }
        return write_model(directory, arrays, metadata)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> LinearLearner:
        """Load a learner saved by :meth:`save`; it predicts exactly as when it was saved.

        Raises
        ------
        FileNotFoundError
            There is no ``model.npz`` in ``directory``.
        ValueError
            The file is not a model written by this class.
        """
        arrays, metadata = read_model(directory)
        learner = cls(**metadata["hyperparameters"], seed=metadata["seed"])
        learner._store(
            learner.check_hyperparameters(),
            arrays["coef"],
            arrays["intercept"],
            metadata["threshold"],
            int(metadata["n_features_in"]),
            metadata["training_report"],
        )
        return learner


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _not_converged(config: Config, report: dict[str, Any]) -> str:
    data = "validation" if report["selected_on"] == "validation" else "training"
    return (
        f"Linear Learner did not converge: epochs={config.epochs} ran out while the winning "
        f"model's {data} loss still fell by "
        f"{report['last_epoch_improvement']:.2%} of its starting loss in the last "
        f"epoch, more than early_stopping_tolerance={config.early_stopping_tolerance:g}; "
        "raise epochs or learning_rate"
    )
