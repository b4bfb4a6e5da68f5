"""The :class:`LinearLearner` estimator: scikit-learn's contract, SageMaker's hyperparameters.

This module is the public face of the package: it stores hyperparameters, validates data,
hands both to :func:`~training.linear_learner.trainer.train`, folds the scaler into the
winning weights so :meth:`LinearLearner.predict` is one matrix product plus a link
function, and saves and loads the result as a single ``model.npz``. It is long because
a third of it is documentation users read in a notebook (every parameter and attribute,
and a runnable example) and because it owns the whole public surface; the training itself
lives in ``trainer.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .hyperparameters import SPECS, Config, HyperparameterError, check_names, resolve
from .losses import sigmoid, softmax
from .persistence import read_model, write_model
from .trainer import Progress, TrainedModel, train

FloatArray = npt.NDArray[np.float64]

__all__ = ["LinearLearner", "NotFittedError"]

_EXTRA_PARAMS = ("seed", "progress")


class NotFittedError(ValueError, AttributeError):
    """``predict`` or ``save`` was called before ``fit`` (scikit-learn's convention)."""


def _as_matrix(X: object, name: str) -> FloatArray:
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
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
    try:
        labels = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
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
    allowed. Features and label are normalised inside the model: :meth:`predict` takes raw
    features and returns raw-scale scores.

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
    training_report_ : dict
        JSON-ready summary: ``winning_model`` (index; 0 ran the given hyperparameters),
        ``hyperparameters`` (its effective ``learning_rate``, ``wd``, ``l1``, ...),
        ``selection_criterion`` and ``selection_value``, ``selected_on``
        (``"validation"`` or ``"train"``), ``threshold``, ``monitored``, ``epochs_run``,
        ``best_epoch``, ``early_stopped``, ``train_loss``, ``validation_loss``,
        ``diverged_models`` and ``metrics`` (SageMaker's metric names, on the selection
        data).

    Examples
    --------
    >>> import numpy as np
    >>> from training.linear_learner import LinearLearner
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ np.array([1.5, -2.0, 0.5]) + 3.0
    >>> learner = LinearLearner(predictor_type="regressor", epochs=30, mini_batch_size=20)
    >>> learner = learner.fit(X, y)
    >>> prediction = learner.predict(X[:1])
    >>> round(prediction[0]["score"], 2) == round(float(y[0]), 2)
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
    >>> record = learner.predict(X[:1])[0]
    >>> sorted(record), type(record["predicted_label"]).__name__
    (['predicted_label', 'score'], 'int')
    >>> learner.training_report_["selected_on"]
    'validation'
    """

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
        self.predictor_type = predictor_type
        self.num_classes = num_classes
        self.feature_dim = feature_dim
        self.mini_batch_size = mini_batch_size
        self.epochs = epochs
        self.num_models = num_models
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.wd = wd
        self.l1 = l1
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.bias_lr_mult = bias_lr_mult
        self.bias_wd_mult = bias_wd_mult
        self.use_bias = use_bias
        self.use_lr_scheduler = use_lr_scheduler
        self.lr_scheduler_step = lr_scheduler_step
        self.lr_scheduler_factor = lr_scheduler_factor
        self.lr_scheduler_minimum_lr = lr_scheduler_minimum_lr
        self.normalize_data = normalize_data
        self.normalize_label = normalize_label
        self.unbias_data = unbias_data
        self.unbias_label = unbias_label
        self.num_point_for_scaler = num_point_for_scaler
        self.init_method = init_method
        self.init_scale = init_scale
        self.init_sigma = init_sigma
        self.init_bias = init_bias
        self.early_stopping_patience = early_stopping_patience
        self.early_stopping_tolerance = early_stopping_tolerance
        self.binary_classifier_model_selection_criteria = binary_classifier_model_selection_criteria
        self.target_recall = target_recall
        self.target_precision = target_precision
        self.f_beta = f_beta
        self.positive_example_weight_mult = positive_example_weight_mult
        self.balance_multiclass_weights = balance_multiclass_weights
        self.num_calibration_samples = num_calibration_samples
        self.accuracy_top_k = accuracy_top_k
        self.margin = margin
        self.quantile = quantile
        self.loss_insensitivity = loss_insensitivity
        self.huber_delta = huber_delta
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
            f"{name}={getattr(self, name)!r}"
            for name, spec in SPECS.items()
            if getattr(self, name) != spec.default
        ]
        if self.seed != 0:
            changed.append(f"seed={self.seed!r}")
        return f"LinearLearner({', '.join(changed)})"

    # -- fit and predict -----------------------------------------------------------------

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
        """
        config = self.check_hyperparameters()
        X_train = _as_matrix(X, "X")
        y_train = _as_labels(y, len(X_train), "y", config)
        features = X_train.shape[1]
        if config.feature_dim is not None and config.feature_dim != features:
            raise HyperparameterError(
                "feature_dim",
                self.feature_dim,
                f"feature_dim={self.feature_dim!r} does not match X, which has "
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
        self._set_fitted(config, trained, features)
        return self

    def _set_fitted(self, config: Config, trained: TrainedModel, features: int) -> None:
        scaler = trained.scaler
        # Fold the normalisation into the weights: predict then needs no preprocessing.
        coef = scaler.label_scale * trained.weights / scaler.feature_scale[:, None]
        intercept = (
            scaler.label_scale
            * (trained.bias - (scaler.feature_mean / scaler.feature_scale) @ trained.weights)
            + scaler.label_mean
        )
        self._store(config, coef, intercept, trained.threshold, features, trained.report)
        self._internal = {
            "weights": trained.weights,
            "bias": trained.bias,
            "feature_mean": scaler.feature_mean,
            "feature_scale": scaler.feature_scale,
            "label_mean": np.float64(scaler.label_mean),
            "label_scale": np.float64(scaler.label_scale),
        }

    def _store(
        self,
        config: Config,
        coef: FloatArray,
        intercept: FloatArray,
        threshold: float | None,
        features: int,
        report: dict[str, Any],
    ) -> None:
        self.n_features_in_ = features
        self.threshold_ = threshold
        self.training_report_ = report
        self._config = config
        multiclass = config.predictor_type == "multiclass_classifier"
        self.coef_ = coef if multiclass else coef[:, 0]
        self.intercept_: float | FloatArray = intercept if multiclass else float(intercept[0])
        self._coef = np.ascontiguousarray(coef if multiclass else coef[:, 0])
        self._intercept = intercept if multiclass else float(intercept[0])
        self._probability = config.loss == "logistic"
        self._threshold = 0.0 if threshold is None else float(threshold)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError("this LinearLearner is not fitted yet; call fit() first")

    def predict(self, X: npt.ArrayLike) -> list[dict[str, Any]]:
        """Score rows exactly as the SageMaker endpoint's JSON ``predictions`` records.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Raw (unnormalised) features.

        Returns
        -------
        list of dict
            One record per row, plain Python numbers: ``{"score": float}`` for a
            regressor; ``{"score": float, "predicted_label": 0 | 1}`` for a binary
            classifier (score is the probability of class 1 with ``logistic``, the margin
            with ``hinge_loss``); ``{"score": [p0, ..., pK-1], "predicted_label": int}``
            for multiclass.
        """
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have shape (n_rows, {self.n_features_in_}); got {X.shape}"
                + ("; use X.reshape(1, -1) for a single row" if X.ndim == 1 else "")
            )
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity")
        scores = X @ self._coef + self._intercept
        if not np.isfinite(scores).all():
            raise ValueError("the model's output overflowed for these inputs")
        kind = self._config.predictor_type
        if kind == "regressor":
            return [{"score": value} for value in scores.tolist()]
        if kind == "binary_classifier":
            if self._probability:
                scores = sigmoid(scores)
            threshold = self._threshold
            return [
                {"score": value, "predicted_label": 1 if value > threshold else 0}
                for value in scores.tolist()
            ]
        probabilities = softmax(scores, axis=1)
        return [
            {"score": row, "predicted_label": label}
            for row, label in zip(
                probabilities.tolist(), probabilities.argmax(axis=1).tolist(), strict=True
            )
        ]

    # -- persistence ---------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the fitted model to ``directory/model.npz`` atomically.

        The file holds the folded weights, the internal (normalised-space) weights and
        scaler, and JSON metadata with the hyperparameters, threshold and training report.
        It is written to a temporary file in the same directory and renamed into place, so
        a reader never sees half a model. The directory is created if needed.

        Returns
        -------
        pathlib.Path
            The path of the written file.
        """
        self._check_fitted()
        coef = self._coef if self._coef.ndim == 2 else self._coef[:, None]
        arrays: dict[str, Any] = {
            "coef": coef,
            "intercept": np.atleast_1d(np.asarray(self._intercept, dtype=np.float64)),
            **self._internal,
        }
        metadata = {
            "hyperparameters": self.hyperparameters(),
            "seed": self.seed,
            "predictor_type": self._config.predictor_type,
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
        config = learner.check_hyperparameters()
        learner._store(
            config,
            arrays.pop("coef"),
            arrays.pop("intercept"),
            metadata["threshold"],
            int(metadata["n_features_in"]),
            metadata["training_report"],
        )
        learner._internal = arrays
        return learner
