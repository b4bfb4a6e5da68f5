"""Input files for the transform tests: valid rows made from the catalog's examples."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.catalog import CATALOG
from training.linear_learner import LinearLearner


def housing_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    """Distinct valid housing instances, the same ones for the same ``count`` and ``start``."""
    example = CATALOG["housing"].example
    return [
        {**example, "rm": 4 + (i % 4000) / 1000, "lstat": 2 + (i % 997) / 100}
        for i in range(start, start + count)
    ]


def credit_rows(count: int) -> list[dict[str, Any]]:
    """Valid credit applicants, some with no savings account (an empty cell in CSV)."""
    example = CATALOG["credit"].example
    return [
        {
            **example,
            "age": 20 + i % 50,
            "saving_accounts": None if i % 3 == 0 else "quite rich",
            "credit_amount": 500 + 37 * i,
        }
        for i in range(count)
    ]


def csv_text(rows: Sequence[Mapping[str, Any]], line_end: str = "\n") -> str:
    """Rows as CSV with a header, quoting only where CSV needs it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(rows[0])
    writer.writerows(["" if value is None else value for value in row.values()] for row in rows)
    return buffer.getvalue()


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def scores(models_dir: Path, model: str, rows: Iterable[Mapping[str, Any]]) -> list[float]:
    """What the saved model predicts for these instances, encoded by the catalog."""
    spec = CATALOG[model]
    features = [spec.encode(spec.instance_model.model_validate(row)) for row in rows]
    learner = LinearLearner.load(models_dir / model)
    return [record["score"] for record in learner.predict_records(np.array(features, dtype=float))]


def output_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
