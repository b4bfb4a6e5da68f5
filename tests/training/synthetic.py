"""Small seeded data sets with a known answer, for the local Linear Learner's tests."""

from __future__ import annotations

import numpy as np

TRUE_WEIGHTS = np.array([1.5, -2.0, 0.5, 3.0])
TRUE_BIAS = 4.0
SCALES = np.array([1.0, 100.0, 0.01, 10.0])


def linear_data(
    rows: int = 300, seed: int = 0, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Features on very different scales and offsets, so normalisation matters."""
    rng = np.random.default_rng(seed)
    offsets = np.array([0.0, 500.0, -3.0, 20.0])
    X = rng.normal(size=(rows, 4)) * SCALES + offsets
    y = X @ (TRUE_WEIGHTS / SCALES) + TRUE_BIAS + rng.normal(scale=noise, size=rows)
    return X, y


def overlapping_classes(
    rows: int = 1000, positive_share: float = 0.5, seed: int = 0, shift: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Two classes whose features overlap; ``shift`` moves the positives' first feature."""
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < positive_share).astype(float)
    X = rng.normal(size=(rows, 3)) + np.outer(y, [shift, 0.5, 0.0])
    return X, y


def blobs(rows_per_class: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated classes in two dimensions."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 5.0], [5.0, -3.0], [-5.0, -3.0]])
    X = np.concatenate([rng.normal(size=(rows_per_class, 2)) + c for c in centres])
    y = np.repeat(np.arange(3.0), rows_per_class)
    return X, y
