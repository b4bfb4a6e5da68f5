"""The Linear Learner training loop: many models side by side, selection, early stopping.

:func:`train` runs the loop; each concern has its own part: :class:`_BestSoFar` (each
model's kept epoch and weights), :class:`_EarlyStopping` (SageMaker's patience rule),
:class:`_Improvement` (the convergence measure) and :func:`_report` (the training report).

:func:`train` does what SageMaker's container describes in "How Linear Learner works":

1. **Preprocess.** Feature and label mean and standard deviation come from a seeded sample
   of ``num_point_for_scaler`` rows; training runs on standardised data.
2. **Train.** All ``num_models`` models share one shuffled pass per epoch (see
   :mod:`.parallel`): model 0 uses the given hyperparameters, the others close ones.
3. **Validate.** After every epoch each model is scored on the validation data (the
   training data when there is none): its loss, and for a binary classifier the selection
   criterion at its calibrated threshold. Each model keeps its best epoch's weights, and
   training stops early when the best monitored value has not improved by the relative
   ``early_stopping_tolerance`` for ``early_stopping_patience`` epochs ("saving the best
   model"). Patience greater than ``epochs`` turns early stopping off, as in SageMaker: every
   model then trains for all ``epochs`` and keeps its last weights, so selection compares
   fully trained models rather than the checkpoints a small validation set happens to favour.
   The winner is the model whose kept epoch scores highest on the selection criterion
   (lowest loss for regressors and multiclass). Ties in a discrete criterion such as
   accuracy, between epochs or between models, go to the lower validation loss, then the
   lower model index.

The monitored value follows the SageMaker documentation: the binary selection criterion
on validation data when a binary classifier has validation data, otherwise the loss
(training loss when there is no validation data).

**Convergence.** Training has converged when early stopping ended it, or when the last
epoch lowered the winning model's loss on its selection data (validation data, or the
training data without it) below the lowest it had before by at most
``early_stopping_tolerance`` times the loss of its initial weights. Measuring the gain
against the starting loss (about the loss of predicting the label's mean, or of a coin
toss for a classifier) rather than the current one keeps a loss that approaches 0, as on noiseless data, from looking
unconverged forever. The report says which in ``converged``, with that share as
``last_epoch_improvement``; the estimator warns with a :class:`ConvergenceWarning` when
it is false.

``huber_delta`` and ``loss_insensitivity`` are in the units of the raw label, so they are
divided by the label's scale for training on a normalised label, and every reported loss
is in raw label units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .hyperparameters import Config
from .losses import Loss, make_loss, sigmoid
from .metrics import binary_metrics, multiclass_metrics, regression_metrics
from .parallel import ParallelModels, model_grid, sample_weights
from .selection import THRESHOLD_CRITERIA, calibrate

FloatArray = npt.NDArray[np.float64]

__all__ = ["ConvergenceWarning", "EpochReport", "Scaler", "TrainedModel", "train"]

_TIE = 1e-12


class ConvergenceWarning(UserWarning):
    """Training ended because ``epochs`` ran out while the loss was still improving.

    "Still improving" is the rule of this module's docstring: the last epoch lowered the
    winning model's selection loss below its lowest before by more than
    ``early_stopping_tolerance`` times its loss at the start. More ``epochs`` or a larger
    ``learning_rate`` would change the model.
    """


@dataclass(frozen=True)
class EpochReport:
    """What the ``progress`` hook receives after every epoch.

    Attributes
    ----------
    epoch : int
        1-based epoch number.
    epochs : int
        The maximum number of epochs.
    best_model : int
        The model with the best monitored value this epoch.
    train_loss : float
        That model's loss on the training data (raw label units).
    validation_loss : float or None
        That model's loss on the validation data, or None without validation data.
    monitored : str
        What early stopping watches, e.g. ``"validation:accuracy"`` or ``"train:loss"``.
    monitored_value : float
        Its value for ``best_model`` (a loss, or a criterion such as accuracy).
    improved : bool
        Whether this epoch improved on the best value by more than the tolerance.
    """

    epoch: int
    epochs: int
    best_model: int
    train_loss: float
    validation_loss: float | None
    monitored: str
    monitored_value: float
    improved: bool


Progress = Callable[[EpochReport], None]


@dataclass(frozen=True)
class Scaler:
    """The shift and scale applied to features and label before training."""

    feature_mean: FloatArray
    feature_scale: FloatArray
    label_mean: float
    label_scale: float


@dataclass(frozen=True)
class TrainedModel:
    """The winning model in normalised space, its scaler, threshold and training report."""

    weights: FloatArray  # (d, K)
    bias: FloatArray  # (K,)
    scaler: Scaler
    threshold: float | None
    report: dict[str, Any]


def _scaler(config: Config, X: FloatArray, y: FloatArray, rng: np.random.Generator) -> Scaler:
    n, d = X.shape
    if n > config.num_point_for_scaler:
        rows = rng.choice(n, size=config.num_point_for_scaler, replace=False)
        X, y = X[rows], y[rows]
    mean = X.mean(axis=0) if config.unbias_data else np.zeros(d)
    if config.normalize_data:
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0  # a constant column carries no signal; leave it as is
    else:
        scale = np.ones(d)
    label_mean = float(y.mean()) if config.unbias_label else 0.0
    label_scale = float(y.std()) if config.normalize_label else 1.0
    return Scaler(mean, scale, label_mean, label_scale if label_scale > 0 else 1.0)


def _losses(config: Config, scaler: Scaler) -> tuple[Loss, Loss]:
    """The loss in normalised label units (to train) and in raw label units (to report)."""
    scale = scaler.label_scale
    common = {"quantile": config.quantile, "margin": config.margin}
    training = make_loss(
        config.loss,
        huber_delta=config.huber_delta / scale,
        loss_insensitivity=config.loss_insensitivity / scale,
        **common,
    )
    raw = make_loss(
        config.loss,
        huber_delta=config.huber_delta,
        loss_insensitivity=config.loss_insensitivity,
        **common,
    )
    return training, raw


class _Evaluator:
    """Scores every model on one data set after an epoch."""

    def __init__(
        self,
        config: Config,
        X: FloatArray,
        y: FloatArray,
        scaler: Scaler,
        loss: Loss,
        rng: np.random.Generator,
    ) -> None:
        self.config, self.X, self.y, self.scaler, self.loss = config, X, y, scaler, loss
        self.calibration_rows: npt.NDArray[np.intp] | None = None
        if len(y) > config.num_calibration_samples:
            self.calibration_rows = rng.permutation(len(y))[: config.num_calibration_samples]
        self.natural_threshold = 0.5 if config.loss == "logistic" else 0.0

    def outputs(self, models: ParallelModels) -> FloatArray:
        """Every model's output on this data, in raw label units."""
        return self._raw(models.outputs(self.X))

    def _raw(self, s: FloatArray) -> FloatArray:
        # Losses are reported in raw label units: undo the label's normalisation.
        result: FloatArray = s * self.scaler.label_scale + self.scaler.label_mean
        return result

    def loss_of(self, outputs: FloatArray) -> FloatArray:
        values: FloatArray = self.loss.value(outputs, self.y).mean(axis=0)
        return values

    def metrics(
        self, weights: FloatArray, bias: FloatArray, threshold: float | None
    ) -> dict[str, float]:
        """One model's metrics on this data under SageMaker's names (see :mod:`.metrics`)."""
        outputs = self._raw((self.X @ weights)[:, None, :] + bias)
        result = {"objective_loss": float(self.loss_of(outputs)[0])}
        config = self.config
        if config.predictor_type == "regressor":
            result.update(regression_metrics(outputs[:, 0, 0], self.y))
        elif config.predictor_type == "binary_classifier":
            raw = outputs[:, 0, 0]
            scores = sigmoid(raw) if config.loss == "logistic" else raw
            assert threshold is not None
            result.update(binary_metrics(scores, self.y, threshold, config.f_beta))
        else:
            result.update(multiclass_metrics(outputs[:, 0, :], self.y, config.accuracy_top_k))
        return result

    def criterion(self, outputs: FloatArray, losses: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per model: the selection value (higher is better) and the calibrated threshold."""
        config = self.config
        models = outputs.shape[1]
        natural = np.full(models, self.natural_threshold)
        if config.criterion == "loss_function":
            return -losses, natural
        if config.criterion == "cross_entropy_loss":
            cross_entropy = make_loss("logistic").value(outputs, self.y).mean(axis=0)
            return -cross_entropy, natural
        raw = outputs[..., 0]
        scores = sigmoid(raw) if config.loss == "logistic" else raw
        y = self.y
        if self.calibration_rows is not None:
            scores, y = scores[self.calibration_rows], y[self.calibration_rows]
        assert config.criterion in THRESHOLD_CRITERIA
        result = calibrate(
            scores,
            y,
            config.criterion,
            f_beta=config.f_beta,
            target_recall=config.target_recall,
            target_precision=config.target_precision,
            natural_threshold=self.natural_threshold,
        )
        return result.value, result.threshold


@dataclass(frozen=True)
class _EpochScores:
    """Every model's standing after one epoch; each field is an array over the models."""

    train_loss: FloatArray
    eval_loss: FloatArray  # on the selection data: validation, or training without it
    selection: FloatArray  # the selection criterion, higher is better
    threshold: FloatArray  # the calibrated threshold (binary), NaN otherwise
    monitored: FloatArray  # what early stopping watches, higher is better; -inf if unusable


class _BestSoFar:
    """Each model's kept epoch: its scores, and its weights to return after training."""

    def __init__(self, parallel: ParallelModels) -> None:
        models = parallel.weights.shape[1]
        self.monitored = np.full(models, -np.inf)
        self.selection = np.full(models, -np.inf)
        self.threshold = np.zeros(models)
        self.epoch = np.zeros(models, dtype=np.intp)
        self.train_loss = np.full(models, np.inf)
        self.eval_loss = np.full(models, np.inf)
        self.weights, self.bias = parallel.weights.copy(), parallel.bias.copy()

    def keep(
        self, epoch: int, scores: _EpochScores, parallel: ParallelModels, *, latest: bool
    ) -> None:
        """Keep this epoch for the models it improved, or for all models with ``latest``."""
        if latest:
            kept = np.ones(len(self.monitored), dtype=bool)
        else:
            # A discrete criterion such as accuracy often ties; the lower loss breaks the tie.
            kept = (scores.monitored > self.monitored + _TIE) | (
                (scores.monitored >= self.monitored - _TIE) & (scores.eval_loss < self.eval_loss)
            )
        kept &= np.isfinite(scores.monitored)
        if not kept.any():
            return
        self.monitored[kept] = scores.monitored[kept]
        self.selection[kept] = scores.selection[kept]
        self.threshold[kept] = scores.threshold[kept]
        self.epoch[kept] = epoch
        self.train_loss[kept] = scores.train_loss[kept]
        self.eval_loss[kept] = scores.eval_loss[kept]
        self.weights[:, kept] = parallel.weights[:, kept]
        self.bias[kept] = parallel.bias[kept]

    def winner(self) -> int:
        """The model whose kept epoch is best on the criterion; ties go to the lower loss."""
        if not np.isfinite(self.monitored).any():
            raise ValueError(
                "training diverged: every model's weights became non-finite; "
                "try a smaller learning_rate or normalize_data=true"
            )
        candidates = np.where(np.isfinite(self.monitored), self.selection, -np.inf)
        tied = candidates >= candidates.max() - _TIE
        return int(np.argmin(np.where(tied, self.eval_loss, np.inf)))


class _EarlyStopping:
    """SageMaker's early stopping, on the leading model's monitored value.

    An epoch is significant when the leader's value beats the best so far by more than
    ``early_stopping_tolerance`` relative to it; training stops after
    ``early_stopping_patience`` epochs without one. A patience greater than ``epochs``
    turns it off (and with it the restoring of each model's best epoch).
    """

    def __init__(self, config: Config) -> None:
        self.patience = config.early_stopping_patience
        self.tolerance = config.early_stopping_tolerance
        self.epochs = config.epochs
        self.enabled = config.early_stopping_patience <= config.epochs
        self.best = -np.inf
        self.waited = 0
        self.epochs_run = 0
        self.stopped = False

    def observe(self, value: float) -> bool:
        """Record the leader's value for this epoch; whether it was a significant gain."""
        significant = value - self.best > self.tolerance * abs(self.best)
        if not np.isfinite(self.best) and np.isfinite(value):
            significant = True
        if significant:
            self.best, self.waited = value, 0
        else:
            self.waited += 1
        return bool(significant)

    def stops_after(self, epoch: int) -> bool:
        """Whether training ends early after ``epoch`` (never after the last one)."""
        self.epochs_run = epoch
        self.stopped = self.waited >= self.patience and epoch < self.epochs
        return self.stopped


class _Improvement:
    """Each model's last-epoch gain in selection loss, as a share of its loss at epoch 0."""

    def __init__(self, initial_loss: FloatArray) -> None:
        self.initial = initial_loss.copy()
        self.lowest = initial_loss.copy()
        self.last = np.zeros(len(initial_loss))

    def observe(self, loss: FloatArray) -> None:
        gain = np.where(np.isfinite(loss), self.lowest - loss, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.last = np.where(self.initial > 0, gain / self.initial, 0.0)
        self.lowest = np.fmin(self.lowest, loss)


def _run_epoch(
    parallel: ParallelModels,
    X: FloatArray,
    y: FloatArray,
    sample_weight: FloatArray,
    loss: Loss,
    order: npt.NDArray[np.intp],
    batch: int,
) -> None:
    """One shuffled pass of mini-batch updates of every model, then retire diverged ones."""
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        parallel.step(X[rows], y[rows], sample_weight[rows], loss)
    parallel.retire_diverged()


def _score_epoch(
    config: Config,
    parallel: ParallelModels,
    train_eval: _Evaluator,
    eval_set: _Evaluator,
    monitor_criterion: bool,
) -> _EpochScores:
    eval_out = eval_set.outputs(parallel)
    eval_loss = eval_set.loss_of(eval_out)
    if eval_set is train_eval:
        train_loss = eval_loss
    else:
        train_loss = train_eval.loss_of(train_eval.outputs(parallel))
    if config.predictor_type == "binary_classifier":
        selection, threshold = eval_set.criterion(eval_out, eval_loss)
    else:
        selection, threshold = -eval_loss, np.full(len(eval_loss), np.nan)
    monitored = selection if monitor_criterion else -eval_loss
    monitored = np.where(parallel.alive & np.isfinite(monitored), monitored, -np.inf)
    return _EpochScores(train_loss, eval_loss, selection, threshold, monitored)


def _report(
    config: Config,
    grid: dict[str, FloatArray],
    best: _BestSoFar,
    winner: int,
    *,
    batch: int,
    on_validation: bool,
    monitored: str,
    stopping: _EarlyStopping,
    improvement: float,
    diverged_models: int,
    metrics: dict[str, float],
) -> dict[str, Any]:
    """The JSON-ready training report (see ``LinearLearner.training_report_``)."""
    binary = config.predictor_type == "binary_classifier"
    chosen = {
        "learning_rate": float(grid["learning_rate"][winner]),
        "wd": float(grid["wd"][winner]),
        "l1": float(grid["l1"][winner]),
        "bias_lr_mult": config.bias_lr_mult,
        "bias_wd_mult": config.bias_wd_mult,
        "momentum": config.momentum,
        "beta_1": config.beta_1,
        "beta_2": config.beta_2,
        "mini_batch_size": batch,
    }
    if binary:
        chosen["positive_example_weight_mult"] = float(grid["positive_example_weight_mult"][winner])
    return {
        "predictor_type": config.predictor_type,
        "loss": config.loss,
        "optimizer": config.optimizer,
        "num_models": config.num_models,
        "winning_model": winner,
        "hyperparameters": chosen,
        "selection_criterion": config.criterion if binary else "loss",
        "selection_value": float(best.selection[winner] if binary else best.eval_loss[winner]),
        "selected_on": "validation" if on_validation else "train",
        "threshold": float(best.threshold[winner]) if binary else None,
        "monitored": monitored,
        "epochs_run": stopping.epochs_run,
        "best_epoch": int(best.epoch[winner]),
        "early_stopped": stopping.stopped,
        "converged": stopping.stopped or improvement <= config.early_stopping_tolerance,
        "last_epoch_improvement": improvement,
        "train_loss": float(best.train_loss[winner]),
        "validation_loss": float(best.eval_loss[winner]) if on_validation else None,
        "diverged_models": diverged_models,
        "metrics": metrics,
    }


def train(
    config: Config,
    X: FloatArray,
    y: FloatArray,
    X_val: FloatArray | None,
    y_val: FloatArray | None,
    *,
    seed: int,
    progress: Progress | None = None,
) -> TrainedModel:
    """Train ``config.num_models`` models and return the selected one.

    Inputs must already be validated (finite, matching shapes, labels in range).
    """
    scaler_rng, grid_rng, init_rng, shuffle_rng, calibration_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    scaler = _scaler(config, X, y, scaler_rng)
    Xn = (X - scaler.feature_mean) / scaler.feature_scale
    yn = (y - scaler.label_mean) / scaler.label_scale
    n, d = Xn.shape
    k = config.num_classes if config.predictor_type == "multiclass_classifier" else 1
    grid = model_grid(config, y, grid_rng)
    sample_weight = sample_weights(config, y, grid)
    train_loss, raw_loss = _losses(config, scaler)
    parallel = ParallelModels(config, grid, d, k, init_rng)

    train_eval = eval_set = _Evaluator(config, Xn, y, scaler, raw_loss, calibration_rng)
    on_validation = X_val is not None and y_val is not None
    if X_val is not None and y_val is not None:
        Xv = (X_val - scaler.feature_mean) / scaler.feature_scale
        eval_set = _Evaluator(config, Xv, y_val, scaler, raw_loss, calibration_rng)
    # The SageMaker documentation: the binary criterion on validation data, else the loss.
    monitor_criterion = config.predictor_type == "binary_classifier" and on_validation
    monitored_name = (
        f"validation:{config.criterion}"
        if monitor_criterion
        else ("validation:loss" if on_validation else "train:loss")
    )

    best = _BestSoFar(parallel)
    stopping = _EarlyStopping(config)
    improvement = _Improvement(eval_set.loss_of(eval_set.outputs(parallel)))
    batch = min(config.mini_batch_size, n)
    for epoch in range(1, config.epochs + 1):
        # Divergent models (a learning rate far too large) overflow; they are retired
        # at the end of the epoch, so the warnings carry no information.
        with np.errstate(over="ignore", invalid="ignore"):
            _run_epoch(
                parallel, Xn, yn, sample_weight, train_loss, shuffle_rng.permutation(n), batch
            )
            scores = _score_epoch(config, parallel, train_eval, eval_set, monitor_criterion)
            improvement.observe(scores.eval_loss)
        best.keep(epoch, scores, parallel, latest=not stopping.enabled)
        leader = int(np.argmax(scores.monitored))
        value = float(scores.monitored[leader])
        significant = stopping.observe(value)
        if progress is not None:
            progress(
                EpochReport(
                    epoch=epoch,
                    epochs=config.epochs,
                    best_model=leader,
                    train_loss=float(scores.train_loss[leader]),
                    validation_loss=float(scores.eval_loss[leader]) if on_validation else None,
                    monitored=monitored_name,
                    monitored_value=value if monitor_criterion else -value,
                    improved=significant,
                )
            )
        if stopping.stops_after(epoch):
            break

    winner = best.winner()
    threshold = (
        float(best.threshold[winner]) if config.predictor_type == "binary_classifier" else None
    )
    report = _report(
        config,
        grid,
        best,
        winner,
        batch=batch,
        on_validation=on_validation,
        monitored=monitored_name,
        stopping=stopping,
        improvement=float(improvement.last[winner]),
        diverged_models=int((~parallel.alive).sum()),
        metrics=eval_set.metrics(best.weights[:, winner], best.bias[winner], threshold),
    )
    return TrainedModel(
        weights=best.weights[:, winner].copy(),
        bias=best.bias[winner].copy(),
        scaler=scaler,
        threshold=threshold,
        report=report,
    )
