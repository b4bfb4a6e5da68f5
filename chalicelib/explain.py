"""Why a prediction: each input field's exact contribution, from the same single endpoint call.

For a linear model whose margin is m(x) = w·x + b (the score of a regressor, the log-odds
of the classifier), the contribution of field i against the catalog's reference instance r is

    c_i = m(x) - m(x with field i set to r_i) = w_i·(x_i - r_i),

what SHAP's LinearExplainer computes, and the contributions sum to m(x) - m(r). A one-hot
group (credit's ``purpose``) is one field: its columns take the reference's values together.

So the API needs no weights. In one InvokeEndpoint call it sends the reference row, then for
each instance its own row and one row per field with that field set to the reference's value:
at most 1 + n·(k + 1) rows for n instances of k fields (a field already at the reference's
value needs no row). The contributions are differences of the margins the endpoint answers,
so this works against any Linear Learner endpoint, SageMaker's or the local one.

Numbers worth knowing:

- The classifier's margin is logit(score) with the score clipped to [1e-7, 1 - 1e-7], so
  margins lie within ±16.12. SageMaker's container answers float32 scores, and the float32
  next below 1 is 1 - 6e-8: a score closer to 0 or 1 than the clip tells nothing more. A
  clipped score makes that instance's contributions inexact; it takes a margin beyond ±16,
  a certainty the model can't express in a score.
- Exactness: against the local endpoint, which computes in float64, each contribution is
  w_i·(x_i - r_i) and their sum m(x) - m(r) to about 1e-12 of the margins' size. SageMaker's
  container computes in float32, so each margin it answers is off by up to e, a few float32
  units of the row's |w|·|x| + |b| (for the classifier, plus a few units of 1/(1 - p)). The
  sum of the k contributions takes 2k differences of such margins and m(x) - m(r) two more,
  so the two agree to (2k + 2)·e at worst; ``tests/test_explain.py`` checks that bound
  against a float32 endpoint.
- Size: at most ``MAX_INSTANCES`` instances are explained in one request. Rainfall's 17
  fields then make 1,801 rows of 17 values; at 25 bytes a value at most (the shortest text
  of a float64 is at most 24 characters) that is 766 KB, far under InvokeEndpoint's 6 MB
  payload limit (4 MB on a serverless endpoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.catalog import Instance, ModelSpec
from chalicelib.endpoint import format_rows
from chalicelib.errors import InvalidRequest, PayloadTooLarge

PARAMETER = "explain"
VALUES = {"true": True, "false": False}
MAX_INSTANCES = 100
SCORE_CLIP = 1e-7
MAX_REASONS = 4


class QueryParams(Protocol):
    """A request's query parameters, each name with all its values (Chalice's MultiDict)."""

    def __contains__(self, key: object) -> bool: ...

    def getlist(self, key: str) -> list[str]: ...


def requested(query_params: QueryParams | None) -> bool:
    """Whether the request asks ``?explain=true``; ``InvalidRequest`` for any other value."""
    if query_params is None or PARAMETER not in query_params:
        return False
    values = query_params.getlist(PARAMETER)
    if len(values) != 1 or values[0] not in VALUES:
        given = ", ".join(repr(value) for value in values)
        raise InvalidRequest(
            f"The query parameter '{PARAMETER}' takes one value, true or false; got {given}."
        )
    return VALUES[values[0]]


def check_count(count: int) -> None:
    """``PayloadTooLarge`` when a request asks to explain more than ``MAX_INSTANCES``."""
    if count > MAX_INSTANCES:
        raise PayloadTooLarge(
            f"The request holds {count} instances; with {PARAMETER}=true at most "
            f"{MAX_INSTANCES} are accepted."
        )


def scale(spec: ModelSpec) -> str:
    """What the contributions add up on: the score itself, or the classifier's log-odds."""
    return "score" if spec.class_labels is None else "log_odds"


def log_odds(score: float) -> float:
    """The classifier's margin from its probability, clipped to ``SCORE_CLIP`` from 0 and 1."""
    probability = min(max(score, SCORE_CLIP), 1.0 - SCORE_CLIP)
    return math.log(probability / (1.0 - probability))


def _margin(spec: ModelSpec) -> Callable[[float], float]:
    return float if spec.class_labels is None else log_odds


@dataclass(frozen=True)
class ExplainingRows:
    """What one explained request sends: the rows as CSV, how many, and for each instance the
    fields its varied rows stand for, in order."""

    csv: bytes
    count: int
    plan: list[list[str]]


def rows_to_send(spec: ModelSpec, rows: Sequence[list[float]]) -> ExplainingRows:
    """The reference row first; then each instance's own row, followed by one row for each
    field whose value differs from the reference's, that field set to the reference's.

    A field already at the reference's value needs no row: its contribution is exactly 0,
    where scoring two equal rows could differ in the last bit (a BLAS kernel sums a block of
    rows in another order than the rows left over). The CSV is written cell by cell from
    each row's formatted values, so a value is formatted once, not once per varied row.
    """
    reference = spec.reference_row
    reference_line, *instance_lines = format_rows([reference, *rows]).split(b"\n")
    reference_cells = reference_line.split(b",")
    groups = [
        (name, columns, [reference[column] for column in columns])
        for name, columns in spec.field_columns.items()
    ]
    lines = [reference_line]
    plan = []
    for row, line in zip(rows, instance_lines, strict=True):
        lines.append(line)
        cells = line.split(b",")
        varied_fields = []
        for name, columns, at_reference in groups:
            if [row[column] for column in columns] == at_reference:
                continue
            varied = cells.copy()
            for column in columns:
                varied[column] = reference_cells[column]
            lines.append(b",".join(varied))
            varied_fields.append(name)
        plan.append(varied_fields)
    return ExplainingRows(b"\n".join(lines), len(lines), plan)


def explained_predictions(
    spec: ModelSpec,
    instances: Sequence[Instance],
    plan: Sequence[Sequence[str]],
    records: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Each instance's prediction with its ``explanation``, from the records of the rows
    ``rows_to_send`` made, in order, and its plan. Raises ``KeyError``, ``TypeError`` or
    ``ValueError`` for records that are not this model's predictions."""
    margin = _margin(spec)
    reference_score = float(records[0]["score"])
    predictions = []
    start = 1
    for instance, varied_fields in zip(instances, plan, strict=True):
        own, *varied = records[start : start + 1 + len(varied_fields)]
        start += 1 + len(varied_fields)
        prediction = spec.to_prediction(own)
        own_margin = margin(prediction["score"])
        contributions = dict.fromkeys(spec.field_names, 0.0)
        for name, record in zip(varied_fields, varied, strict=True):
            contributions[name] = own_margin - margin(float(record["score"]))
        explanation: dict[str, Any] = {
            "scale": scale(spec),
            "reference_score": reference_score,
            "contributions": contributions,
        }
        if spec.class_labels is not None:
            explanation["reasons"] = reasons(spec, instance, contributions)
        prediction["explanation"] = explanation
        predictions.append(prediction)
    return predictions


def reasons(
    spec: ModelSpec, instance: Instance, contributions: Mapping[str, float]
) -> list[dict[str, Any]]:
    """The fields that pushed most towards the positive class ("bad" risk), strongest first,
    at most ``MAX_REASONS``, each with its sentence ("a duration of 48 months, against 18
    for the reference")."""
    pushing = sorted(
        (item for item in contributions.items() if item[1] > 0), key=lambda item: -item[1]
    )
    found = []
    for name, contribution in pushing[:MAX_REASONS]:
        phrase = spec.phrase(name)
        assert phrase is not None  # the catalog refuses a classifier field without one
        found.append(
            {
                "field": name,
                "contribution": contribution,
                "sentence": phrase.sentence(getattr(instance, name), spec.reference[name]),
            }
        )
    return found
