"""Loss functions of the Linear Learner, vectorised over many models at once.

Every loss takes raw linear outputs ``s`` of shape ``(n, M, K)`` (rows, models, outputs;
``K`` is 1 except for softmax) and labels ``y`` of shape ``(n,)``. :meth:`Loss.value`
returns per-row, per-model values ``(n, M)``; :meth:`Loss.gradient` the gradient with
respect to ``s`` (same shape as ``s``), computed separately because training only needs
the gradient. Formulas follow SageMaker's launch notebook, with the residual
``e = s - y``:

=============================  ===========================================
squared_loss                   e^2 / 2 (Huber's inner branch; the gradient is e)
absolute_loss                  |e|
eps_insensitive_squared_loss   max(0, e^2 - eps^2)
eps_insensitive_absolute_loss  max(0, |e| - eps)
quantile_loss                  q (y - s)+  +  (1 - q) (s - y)+
huber_loss                     e^2 / 2 if |e| < delta, else delta |e| - delta^2 / 2
logistic                       log(1 + exp(s)) - y s        (y in {0, 1})
hinge_loss                     max(0, margin - t s), t = 2y - 1 (labels {0, 1} as -1/+1)
softmax_loss                   -log softmax(s)[y]
=============================  ===========================================

At a kink the gradient is a subgradient (0 where the loss is flat on one side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = ["Loss", "make_loss", "sigmoid", "softmax"]


def sigmoid(s: FloatArray) -> FloatArray:
    """Logistic function without overflow warnings for large ``|s|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def softmax(s: FloatArray, axis: int = -1) -> FloatArray:
    """Softmax along ``axis``, shifted by the maximum so ``exp`` cannot overflow."""
    shifted = np.exp(s - s.max(axis=axis, keepdims=True))
    result: FloatArray = shifted / shifted.sum(axis=axis, keepdims=True)
    return result


@dataclass(frozen=True)
class Loss:
    """One loss with its parameters; call :meth:`value` or :meth:`gradient`.

    Parameters
    ----------
    name : str
        A resolved loss name (never ``auto``).
    quantile, huber_delta, loss_insensitivity, margin : float
        The loss's parameters, in the units of the labels the loss is applied to.
    """

    name: str
    quantile: float = 0.5
    huber_delta: float = 1.0
    loss_insensitivity: float = 0.01
    margin: float = 1.0

    def value(self, s: FloatArray, y: FloatArray) -> FloatArray:
        """Per-row, per-model loss, shape ``(n, M)``."""
        if self.name == "softmax_loss":
            labels = y.astype(np.intp)
            shifted = s - s.max(axis=2, keepdims=True)
            rows = np.arange(len(labels))
            result: FloatArray = np.log(np.exp(shifted).sum(axis=2)) - shifted[rows, :, labels]
            return result
        return _VALUES[self.name](self, s[..., 0], y[:, None])

    def gradient(self, s: FloatArray, y: FloatArray) -> FloatArray:
        """Gradient of the loss with respect to ``s``, same shape as ``s``."""
        if self.name == "softmax_loss":
            labels = y.astype(np.intp)
            grad = softmax(s, axis=2)
            grad[np.arange(len(labels)), :, labels] -= 1.0
            return grad
        return _GRADIENTS[self.name](self, s[..., 0], y[:, None])[..., None]


# Single-output losses work on (n, M) outputs and (n, 1) labels.


def _squared(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return 0.5 * e * e


def _squared_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return s - y


def _absolute(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return np.abs(s - y)


def _absolute_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return np.sign(s - y)


def _eps_squared(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return np.maximum(e * e - loss.loss_insensitivity**2, 0.0)


def _eps_squared_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return np.where(np.abs(e) > loss.loss_insensitivity, 2.0 * e, 0.0)


def _eps_absolute(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return np.maximum(np.abs(s - y) - loss.loss_insensitivity, 0.0)


def _eps_absolute_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return np.where(np.abs(e) > loss.loss_insensitivity, np.sign(e), 0.0)


def _quantile(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return np.where(e > 0, (1.0 - loss.quantile) * e, -loss.quantile * e)


def _quantile_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = s - y
    return np.where(e > 0, 1.0 - loss.quantile, np.where(e < 0, -loss.quantile, 0.0))


def _huber(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    e = np.abs(s - y)
    delta = loss.huber_delta
    return np.where(e < delta, 0.5 * e * e, delta * e - 0.5 * delta * delta)


def _huber_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return np.clip(s - y, -loss.huber_delta, loss.huber_delta)


def _logistic(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = np.logaddexp(0.0, s) - y * s
    return result


def _logistic_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return sigmoid(s) - y


def _hinge(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    return np.maximum(loss.margin - (2.0 * y - 1.0) * s, 0.0)


def _hinge_grad(loss: Loss, s: FloatArray, y: FloatArray) -> FloatArray:
    t = 2.0 * y - 1.0
    return np.where(loss.margin - t * s > 0, -t, 0.0)


_Function = Callable[[Loss, FloatArray, FloatArray], FloatArray]
_VALUES: dict[str, _Function] = {
    "squared_loss": _squared,
    "absolute_loss": _absolute,
    "eps_insensitive_squared_loss": _eps_squared,
    "eps_insensitive_absolute_loss": _eps_absolute,
    "quantile_loss": _quantile,
    "huber_loss": _huber,
    "logistic": _logistic,
    "hinge_loss": _hinge,
}
_GRADIENTS: dict[str, _Function] = {
    "squared_loss": _squared_grad,
    "absolute_loss": _absolute_grad,
    "eps_insensitive_squared_loss": _eps_squared_grad,
    "eps_insensitive_absolute_loss": _eps_absolute_grad,
    "quantile_loss": _quantile_grad,
    "huber_loss": _huber_grad,
    "logistic": _logistic_grad,
    "hinge_loss": _hinge_grad,
}


def make_loss(
    name: str,
    *,
    quantile: float = 0.5,
    huber_delta: float = 1.0,
    loss_insensitivity: float = 0.01,
    margin: float = 1.0,
) -> Loss:
    """Build a :class:`Loss`, checking the name.

    >>> make_loss("huber_loss", huber_delta=2.0).huber_delta
    2.0
    """
    if name not in _VALUES and name != "softmax_loss":
        raise ValueError(f"unknown loss {name!r}")
    return Loss(name, quantile, huber_delta, loss_insensitivity, margin)
