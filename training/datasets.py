"""The datasets: load, clean, encode with the catalog and split.

Every row goes through the catalog's own pydantic model and encoder, the same code the API
runs on a request, so training and serving can't disagree on a feature. The split is fixed
and seeded (70 % train, 15 % validation, 15 % test) so every run, report and benchmark sees
the same held-out rows.

Cleaning rules:

- rainfall: ``T`` (a trace of rain) in the target is 0.0. Days with ``-`` (not recorded) in
  any of the 17 features are dropped (14 of 1,319), because the API requires every field and
  a fabricated 0 °F dew point would teach the model something false.
  ``SeaLevelPressureLowInches``, ``Date`` and ``Events`` are not features.
- housing: the ``506,13`` count line above the header is skipped.
- credit: ``NA`` in the account columns is "no account"; ``bad`` risk is the positive class.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.catalog import CATALOG, NO_ACCOUNT, ModelSpec

DATA_DIR = Path(__file__).parent / "data"
SPLIT_SEED = 20131221
TRAIN_SHARE, VALIDATION_SHARE = 0.70, 0.15


@dataclass(frozen=True)
class Split:
    """Feature rows and labels of one part of a dataset."""

    X: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Dataset:
    """One model's data, encoded in the catalog's feature order and split three ways."""

    spec: ModelSpec
    train: Split
    validation: Split
    test: Split

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.spec.feature_names


def _rows(path: Path, skip_lines: int = 0) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for _ in range(skip_lines):
            next(handle)
        yield from csv.DictReader(handle)


def _rainfall_rows(path: Path, spec: ModelSpec) -> Iterator[tuple[dict[str, Any], float]]:
    aliases = [field.alias or name for name, field in spec.instance_model.model_fields.items()]
    for row in _rows(path):
        if any(row[alias] == "-" for alias in aliases):
            continue
        target = row[spec.target]
        yield (
            {alias: row[alias] for alias in aliases},
            0.0 if target in ("T", "-") else float(target),
        )


def _housing_rows(path: Path, spec: ModelSpec) -> Iterator[tuple[dict[str, Any], float]]:
    for row in _rows(path, skip_lines=1):
        target = float(row.pop(spec.target))
        yield {key: float(value) for key, value in row.items()}, target


def _credit_rows(path: Path, spec: ModelSpec) -> Iterator[tuple[dict[str, Any], float]]:
    assert spec.class_labels is not None
    for row in _rows(path):
        row.pop("")  # the file's unnamed row index
        label = spec.class_labels.index(row.pop(spec.target))
        instance = {key: None if value == "NA" else value for key, value in row.items()}
        yield instance, float(label)


Rows = Callable[[Path, ModelSpec], Iterator[tuple[dict[str, Any], float]]]


@dataclass(frozen=True)
class Source:
    """Where one model's data is (a file in ``data_dir``) and how its rows are read.

    ``rows`` yields each row as the raw instance (field or alias to text, as in a CSV
    request) and its label: the target value, or the index of its class label.
    """

    file: str
    rows: Rows


SOURCES: dict[str, Source] = {
    "rainfall": Source("austin_weather.csv", _rainfall_rows),
    "housing": Source("boston_house_prices.csv", _housing_rows),
    "credit": Source("german_credit_data.csv", _credit_rows),
}


def load(
    name: str,
    data_dir: Path = DATA_DIR,
    *,
    spec: ModelSpec | None = None,
    source: Source | None = None,
) -> Dataset:
    """Load, clean, encode and split one model's dataset.

    ``spec`` and ``source`` default to the model's entries in ``CATALOG`` and ``SOURCES``;
    a test passes its own model's.

    >>> load("housing").train.X.shape
    (354, 13)
    """
    spec = CATALOG[name] if spec is None else spec
    source = SOURCES[name] if source is None else source
    features: list[list[float]] = []
    labels: list[float] = []
    for raw, label in source.rows(data_dir / source.file, spec):
        # Lax mode: the CSV holds text, which pydantic turns into numbers exactly as it
        # does for a text/csv request to the API.
        instance = spec.instance_model.model_validate(raw)
        features.append(spec.encode(instance))
        labels.append(label)
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    return split(spec, X, y)


def split(spec: ModelSpec, X: np.ndarray, y: np.ndarray, seed: int = SPLIT_SEED) -> Dataset:
    """Shuffle the rows with ``seed`` and cut them into training, validation and test."""
    order = np.random.default_rng(seed).permutation(len(y))
    n_train = int(round(TRAIN_SHARE * len(y)))
    n_validation = int(round(VALIDATION_SHARE * len(y)))
    parts = np.split(order, [n_train, n_train + n_validation])
    train, validation, test = (Split(X[idx], y[idx]) for idx in parts)
    return Dataset(spec=spec, train=train, validation=validation, test=test)


def reference(name: str, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """The reference instance the training split gives: each number's median, each
    category's most frequent value (``None`` when "no account" is), ties to the first in
    the catalog's order. ``CATALOG[name].reference`` must equal it (a test checks).

    >>> reference("credit")["duration"], reference("credit")["checking_account"]
    (18, None)
    """
    spec = CATALOG[name]
    train = load(name, data_dir).train.X
    found: dict[str, Any] = {}
    for field, columns in spec.field_columns.items():
        if _is_number(spec, field, columns):
            # 12 significant digits keep every digit of the data (at most 7 in a mean of two
            # middle values) and drop the float noise of that mean (2.8954500000000003).
            median = float(f"{np.median(train[:, columns[0]]):.12g}")
            found[field] = int(median) if median.is_integer() else median
        else:
            counts = train[:, list(columns)].sum(axis=0)
            found[field] = _category(spec, columns[int(np.argmax(counts))])
    return found


def decode(name: str, row: Sequence[float]) -> dict[str, Any]:
    """A feature row back as the instance a user would send (a one-hot group as its category).

    >>> decode("credit", load("credit").test.X[0])["purpose"]
    'radio/TV'
    """
    spec = CATALOG[name]
    instance: dict[str, Any] = {}
    for field, columns in spec.field_columns.items():
        if _is_number(spec, field, columns):
            instance[field] = float(row[columns[0]])
        else:
            instance[field] = _category(spec, next(c for c in columns if row[c] == 1.0))
    return instance


def _is_number(spec: ModelSpec, field: str, columns: Sequence[int]) -> bool:
    """Whether ``field`` is one numeric column, not a one-hot group of categories."""
    return len(columns) == 1 and spec.feature_names[columns[0]] == field


def _category(spec: ModelSpec, column: int) -> str | None:
    """The category a one-hot column stands for, as a user sends it (None: no account)."""
    category = spec.feature_names[column].split("=", 1)[1]
    return None if category == NO_ACCOUNT else category


def held_out_instances(name: str, count: int, data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The first ``count`` held-out instances as a user would send them: the test split's,
    then the validation split's (housing's test split has 76 rows)."""
    data = load(name, data_dir)
    rows = np.vstack([data.test.X, data.validation.X])
    if count > len(rows):
        raise ValueError(f"{name} holds out {len(rows)} rows, fewer than {count}")
    return [decode(name, row) for row in rows[:count]]


def names() -> list[str]:
    """The models there is data for, in catalog order."""
    return [name for name in CATALOG if name in SOURCES]
