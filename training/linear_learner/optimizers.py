"""SGD, Adam and RMSProp updates for many models at once, plus the learning-rate schedule.

Parameters are numpy arrays updated in place. Learning rates arrive per model, already
broadcastable against each parameter (``(1, M, 1)`` for weights ``(d, M, K)``, ``(M, 1)``
for biases ``(M, K)``), which is how the parallel models train with different rates in
one pass.

Choices SageMaker does not document:

* SGD momentum follows MXNet: ``v = momentum * v - lr * g``; ``p += v``.
* RMSProp uses a decay of 0.9 for its squared-gradient average (there is no
  hyperparameter for it) and epsilon 1e-8, like Adam.
* L1 is applied as a proximal step (soft-thresholding by ``lr * l1``) after the optimizer
  update, so weights reach exactly 0 instead of oscillating around it as with the
  subgradient. It is applied to weights, never to the bias.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = ["Optimizer", "scheduled_learning_rate", "soft_threshold"]

_EPSILON = 1e-8
_RMSPROP_DECAY = 0.9


class Optimizer:
    """Per-parameter optimizer state for a list of arrays.

    Parameters
    ----------
    name : {"sgd", "adam", "rmsprop"}
        The update rule.
    params : list of ndarray
        The arrays to update; state of the same shapes is allocated for each.
    momentum, beta_1, beta_2 : float
        SGD momentum and Adam's decay rates.
    """

    def __init__(
        self,
        name: str,
        params: list[FloatArray],
        *,
        momentum: float = 0.0,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
    ) -> None:
        if name not in ("sgd", "adam", "rmsprop"):
            raise ValueError(f"unknown optimizer {name!r}")
        self.name = name
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.steps = 0
        self._first = [np.zeros_like(p) for p in params]
        self._second = [np.zeros_like(p) for p in params]

    def forget(self, masks: list[npt.NDArray[np.bool_]]) -> None:
        """Zero the state where ``masks`` (one per parameter, broadcastable) are true.

        Used to retire a diverged model: its NaN moments would otherwise poison its
        parameters forever.
        """
        for index, mask in enumerate(masks):
            for state in (self._first[index], self._second[index]):
                np.copyto(state, 0.0, where=np.broadcast_to(mask, state.shape))

    def step(
        self, params: list[FloatArray], grads: list[FloatArray], lrs: list[FloatArray]
    ) -> None:
        """Update every parameter in place from its gradient and learning rate."""
        self.steps += 1
        for index, (param, grad, lr) in enumerate(zip(params, grads, lrs, strict=True)):
            first, second = self._first[index], self._second[index]
            if self.name == "sgd":
                if self.momentum:
                    first *= self.momentum
                    first -= lr * grad
                    param += first
                else:
                    param -= lr * grad
            elif self.name == "adam":
                first *= self.beta_1
                first += (1.0 - self.beta_1) * grad
                second *= self.beta_2
                second += (1.0 - self.beta_2) * grad * grad
                # Bias correction folded into the step size, as in the Adam paper.
                correction = np.sqrt(1.0 - self.beta_2**self.steps) / (
                    1.0 - self.beta_1**self.steps
                )
                param -= (lr * correction) * first / (np.sqrt(second) + _EPSILON)
            else:
                second *= _RMSPROP_DECAY
                second += (1.0 - _RMSPROP_DECAY) * grad * grad
                param -= lr * grad / (np.sqrt(second) + _EPSILON)


def scheduled_learning_rate(
    base: FloatArray, step: int, *, every: int, factor: float, minimum: float
) -> FloatArray:
    """Learning rates after ``step`` updates: times ``factor`` every ``every`` steps.

    The floor ``minimum`` never raises a rate that started below it.

    >>> scheduled_learning_rate(np.array([0.1]), 200, every=100, factor=0.5, minimum=0.0)
    array([0.025])
    """
    decayed = base * factor ** (step // every)
    result: FloatArray = np.minimum(base, np.maximum(decayed, minimum))
    return result


def soft_threshold(weights: FloatArray, amount: FloatArray) -> None:
    """Shrink ``weights`` towards 0 by ``amount`` in place, stopping at 0 (L1's proximal step)."""
    np.copyto(weights, np.sign(weights) * np.maximum(np.abs(weights) - amount, 0.0))
