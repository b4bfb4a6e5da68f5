"""The parallel models: their hyperparameter grid, class weights and vectorised update.

SageMaker trains ``num_models`` models at once: "One model is trained according to the
given training parameter (regularization, optimizer, loss), and the rest by close
parameters". Here model 0 gets exactly the given hyperparameters; models 1..M-1 get a
learning rate, ``wd`` and ``l1`` drawn around them by a seeded Latin hypercube (one draw
per stratum in each dimension, so 31 models cover the neighbourhood evenly):

* learning rate: a factor between 0.1 and 10 (log-uniform);
* ``wd`` and ``l1``: the same factor range when the given value is positive; when it is 0
  (the ``auto`` default), half the models keep 0 and half get 1e-6 to 1e-2;
* ``positive_example_weight_mult='auto'``: a weight between 1 and the balanced ratio
  (negatives / positives), log-uniform. SageMaker describes ``auto`` as choosing "the
  weight that optimizes performance"; selection does the choosing.

Class weights come from the training labels: ``balanced`` is negatives / positives for a
binary classifier; ``balance_multiclass_weights`` gives class ``k`` the weight
``n / (K n_k)`` (mean weight 1), and a class absent from the labels 1e6 as SageMaker's
multiclass blog describes.

All models live in one array: weights ``(d, M, K)`` and biases ``(M, K)``, so a mini-batch
update of every model is two matrix products.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .hyperparameters import Config
from .losses import Loss
from .optimizers import Optimizer, scheduled_learning_rate, soft_threshold

FloatArray = npt.NDArray[np.float64]

__all__ = ["ParallelModels", "model_grid", "sample_weights"]

# SageMaker's multiclass blog: a class missing from the sample gets this weight.
_ABSENT_CLASS_WEIGHT = 1_000_000.0


def _latin_hypercube(rng: np.random.Generator, count: int, dims: int) -> FloatArray:
    """``count`` points in [0, 1)^dims with exactly one point per stratum in each dimension."""
    strata = np.stack([rng.permutation(count) for _ in range(dims)], axis=1)
    result: FloatArray = (strata + rng.random((count, dims))) / count
    return result


def _around(base: float, u: FloatArray) -> FloatArray:
    """Values a factor of up to 10 either side of ``base``; from 0, half 0 and half small."""
    if base > 0:
        return base * 10.0 ** (2.0 * u - 1.0)
    return np.where(u < 0.5, 0.0, 10.0 ** (-6.0 + 8.0 * (u - 0.5)))


def _balanced_ratio(y: FloatArray) -> float:
    positives = float(y.sum())
    return (len(y) - positives) / positives if positives > 0 else 1.0


def model_grid(config: Config, y: FloatArray, rng: np.random.Generator) -> dict[str, FloatArray]:
    """Each model's learning rate, ``wd``, ``l1`` and positive weight, arrays of length M."""
    models = config.num_models
    weight = config.positive_example_weight_mult
    if weight == "balanced":
        weight_0: float = _balanced_ratio(y)
    elif weight == "auto":
        weight_0 = 1.0
    else:
        weight_0 = float(weight)
    grid = {
        "learning_rate": np.full(models, config.learning_rate),
        "wd": np.full(models, config.wd),
        "l1": np.full(models, config.l1),
        "positive_example_weight_mult": np.full(models, weight_0),
    }
    if models > 1:
        u = _latin_hypercube(rng, models - 1, 4)
        grid["learning_rate"][1:] = _around(config.learning_rate, u[:, 0])
        grid["wd"][1:] = _around(config.wd, u[:, 1])
        grid["l1"][1:] = _around(config.l1, u[:, 2])
        if weight == "auto" and config.predictor_type == "binary_classifier":
            # "auto" asks for the weight that performs best: search between 1 and balanced.
            grid["positive_example_weight_mult"][1:] = _balanced_ratio(y) ** u[:, 3]
    return grid


def sample_weights(config: Config, y: FloatArray, grid: dict[str, FloatArray]) -> FloatArray:
    """Per-row, per-model weights ``(n, M)`` (or ``(n, 1)`` when shared by all models)."""
    if config.predictor_type == "binary_classifier":
        positive = grid["positive_example_weight_mult"]
        return np.where(y[:, None] == 1.0, positive[None, :], 1.0)
    if config.predictor_type == "multiclass_classifier" and config.balance_multiclass_weights:
        counts = np.bincount(y.astype(np.intp), minlength=config.num_classes).astype(float)
        with np.errstate(divide="ignore"):
            per_class = np.where(counts > 0, len(y) / (config.num_classes * counts), 0.0)
        per_class[counts == 0] = _ABSENT_CLASS_WEIGHT
        return per_class[y.astype(np.intp)][:, None]
    return np.ones((len(y), 1))


class ParallelModels:
    """The weights ``(d, M, K)``, biases ``(M, K)`` and optimizer state of all models."""

    def __init__(
        self,
        config: Config,
        grid: dict[str, FloatArray],
        features: int,
        outputs: int,
        rng: np.random.Generator,
    ) -> None:
        self.config = config
        models = config.num_models
        shape = (features, models, outputs)
        if config.init_method == "uniform":
            self.weights = rng.uniform(-config.init_scale, config.init_scale, size=shape)
        else:
            self.weights = rng.normal(0.0, config.init_sigma, size=shape)
        self.bias = np.full((models, outputs), config.init_bias if config.use_bias else 0.0)
        self.optimizer = Optimizer(
            config.optimizer,
            [self.weights, self.bias],
            momentum=config.momentum,
            beta_1=config.beta_1,
            beta_2=config.beta_2,
        )
        self.base_lr = grid["learning_rate"].copy()
        self.wd = grid["wd"][None, :, None]
        self.bias_wd = (grid["wd"] * config.bias_wd_mult)[:, None]
        self.l1 = grid["l1"]
        self.alive = np.ones(models, dtype=bool)
        self.steps = 0

    def outputs(self, X: FloatArray) -> FloatArray:
        """Every model's linear output for ``X``, shape ``(n, M, K)``."""
        d, models, k = self.weights.shape
        result: FloatArray = (X @ self.weights.reshape(d, models * k)).reshape(
            len(X), models, k
        ) + self.bias
        return result

    def learning_rates(self) -> FloatArray:
        config = self.config
        if not config.use_lr_scheduler:
            return self.base_lr
        return scheduled_learning_rate(
            self.base_lr,
            self.steps,
            every=config.lr_scheduler_step,
            factor=config.lr_scheduler_factor,
            minimum=config.lr_scheduler_minimum_lr,
        )

    def step(self, X: FloatArray, y: FloatArray, weight: FloatArray, loss: Loss) -> None:
        """One mini-batch update of every model; ``weight`` is per row, per model."""
        rows = len(X)
        d, models, k = self.weights.shape
        grad = loss.gradient(self.outputs(X), y)
        grad *= (weight / rows)[..., None]
        grad_w = (X.T @ grad.reshape(rows, models * k)).reshape(d, models, k)
        grad_w += self.wd * self.weights
        if self.config.use_bias:
            grad_b = grad.sum(axis=0) + self.bias_wd * self.bias
        else:
            grad_b = np.zeros_like(self.bias)
        lr = self.learning_rates()
        self.optimizer.step(
            [self.weights, self.bias],
            [grad_w, grad_b],
            [lr[None, :, None], (lr * self.config.bias_lr_mult)[:, None]],
        )
        if self.l1.any():
            soft_threshold(self.weights, (lr * self.l1)[None, :, None])
        self.steps += 1

    def retire_diverged(self) -> None:
        """Stop training models whose parameters overflowed; they keep their best epoch."""
        finite = np.isfinite(self.weights).all(axis=(0, 2)) & np.isfinite(self.bias).all(axis=1)
        diverged = self.alive & ~finite
        if diverged.any():
            self.alive &= ~diverged
            self.base_lr[diverged] = 0.0
            self.weights[:, diverged] = 0.0
            self.bias[diverged] = 0.0
            self.optimizer.forget([diverged[None, :, None], diverged[:, None]])
