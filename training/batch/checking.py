"""Each row checked with the catalog, as the API checks a request: accepted, or rejected with why.

The rules are the catalog's pydantic declarations and nothing else. A row is accepted when the
model's ``instance_model`` validates it (CSV cells read as the API reads a CSV body,
``chalicelib.payloads.csv_cell``, validation lax; JSON strict), and its feature line is the
catalog's encoding written as the API writes it (``chalicelib.endpoint.format_rows``).
Rejections carry the API's messages (``chalicelib.payloads.error_details``).

Validating row by row costs about 10 µs a row on this project's machine; a million rows want
less. So for the models whose features are their numeric fields in order (rainfall, housing)
a vectorised check runs first: numpy reads a chunk's numbers in one call, and whole columns
are compared with the bounds read from each field's ``ge``/``le`` metadata. That check only
ever accepts: a row it can't vouch for (text numpy won't read, a value out of range, a whole
number written ``2.0``) goes to pydantic, which accepts or rejects it. The fast path can thus
make checking faster, never different; tests/training/batch/test_checking.py holds it to
pydantic's answers on generated rows.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast, get_args

import annotated_types
import numpy as np
import pydantic_core
from numpy.lib.recfunctions import structured_to_unstructured
from pydantic import ValidationError

from chalicelib.catalog import ModelSpec, WholeNumber
from chalicelib.endpoint import format_rows
from chalicelib.payloads import batch_validator, csv_cell, error_details
from training.batch.reading import Chunk, InputFile
from training.errors import InputError

# What a CSV row of plain numbers is made of; anything else leaves the row to pydantic.
_NUMBER_TEXT = str.maketrans("", "", "0123456789.eE+-, \t\n")
_WHOLE_NUMBER_RULES = get_args(WholeNumber)[1:]  # its whole-float-to-int validator


@dataclass(frozen=True)
class Rejection:
    """A row that failed validation: where it is, what it said, and each problem found."""

    line: int
    text: str
    problems: list[dict[str, str]]

    def describe(self) -> str:
        """The problems as one phrase: ``field rm: Input should be ...; field zn: ...``."""
        return "; ".join(
            f"field {problem['field']}: {problem['message']}"
            if problem.get("field")
            else problem["message"]
            for problem in self.problems
        )


@dataclass
class Checked:
    """One chunk checked: the accepted rows with their feature lines, and the rejected ones.

    ``rejected`` holds ``(index in the chunk, rejection)`` pairs, in order.
    """

    texts: list[str]
    features: list[str]
    lines: list[int]
    rejected: list[tuple[int, Rejection]]


@dataclass(frozen=True)
class _Column:
    """A numeric field as the vectorised check reads it from the field's declaration."""

    name: str
    whole: bool
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False


def numeric_columns(spec: ModelSpec) -> list[_Column] | None:
    """The model's fields as numeric columns, or ``None`` if the fast check can't hold them.

    It holds a model only when its features are its fields in declaration order, every
    field is a required float or int, and every rule on a field is a bound (``ge``, ``le``,
    ``gt``, ``lt``) or the catalog's whole-number rule. Anything else is left to pydantic.
    """
    fields = spec.instance_model.model_fields
    if spec.feature_names != tuple(fields):
        return None
    columns = []
    for name, info in fields.items():
        if info.annotation not in (float, int) or not info.is_required():
            return None
        whole = info.annotation is int
        bounds: dict[str, Any] = {}
        for rule in info.metadata:
            if isinstance(rule, annotated_types.Ge):
                bounds.update(low=_bound(rule.ge))
            elif isinstance(rule, annotated_types.Gt):
                bounds.update(low=_bound(rule.gt), low_open=True)
            elif isinstance(rule, annotated_types.Le):
                bounds.update(high=_bound(rule.le))
            elif isinstance(rule, annotated_types.Lt):
                bounds.update(high=_bound(rule.lt), high_open=True)
            elif not (whole and rule in _WHOLE_NUMBER_RULES):
                return None
        columns.append(_Column(name, whole, **bounds))
    return columns


class Checker:
    """Checks the chunks of one input against one model.

    Making one checks a CSV header: an unknown, missing or repeated column is an
    ``InputError`` naming it, since no row could pass. ``vectorised=False`` leaves every row
    to pydantic, the reference the fast path is tested against.
    """

    def __init__(self, spec: ModelSpec, source: InputFile, vectorised: bool = True) -> None:
        self.spec = spec
        self.format = source.format
        self._name = source.name
        self._names: list[str] = []
        self._columns: list[_Column] | None = None
        if source.format == "csv":
            assert source.header is not None
            self._names = self._resolve_header(source.header, source.header_line)
            self._columns = numeric_columns(spec) if vectorised else None
        if self._columns is not None:
            position = {name: index for index, name in enumerate(self._names)}
            self._order = [position[column.name] for column in self._columns]
            self._in_order = self._order == list(range(len(self._order)))
            whole = {position[column.name] for column in self._columns if column.whole}
            # The columns as the file has them: integers where the field is a whole number.
            self._file_types = np.dtype(
                [(f"c{i}", np.int64 if i in whole else np.float64) for i in range(len(self._names))]
            )
            self._float_types = np.dtype([(f"c{i}", np.float64) for i in range(len(self._names))])
            self._whole_text = {
                index: re.compile(rf"^(?:[^,\n]*,){{{position[column.name]}}}[^,\n]*[.eE]", re.M)
                for index, column in enumerate(self._columns)
                if column.whole
            }

    # -- header ----------------------------------------------------------------------------

    def _resolve_header(self, header: list[str], line: int) -> list[str]:
        fields = self.spec.instance_model.model_fields
        by_name = {name: name for name in fields}
        by_name.update({info.alias: name for name, info in fields.items() if info.alias})
        where = f"{self._name} line {line}"
        unknown = [column for column in header if column not in by_name]
        if unknown and len(unknown) == len(header) and any(_is_number(c) for c in header):
            raise InputError(
                f"{where} is not a header row: a CSV file starts with a line naming its "
                f"columns ({','.join(fields)})"
            )
        if unknown:
            aliases = ", ".join(info.alias for info in fields.values() if info.alias)
            raise InputError(
                f"{where}: unknown column{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))} for {self.spec.name}; its fields are "
                f"{', '.join(fields)} (or the dataset's names: {aliases})"
            )
        names = [by_name[column] for column in header]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise InputError(f"{where}: the header names {', '.join(repeated)} more than once")
        missing = [
            name for name, info in fields.items() if info.is_required() and name not in names
        ]
        if missing:
            raise InputError(
                f"{where}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            )
        return names

    # -- rows ------------------------------------------------------------------------------

    def check(self, chunk: Chunk) -> Checked:
        """Every row of ``chunk``, accepted with its feature line or rejected, in order."""
        accepted: list[int] = []
        features: list[str] = []
        if self._columns is not None and chunk.cells is None:
            accepted, features = self._fast(chunk.texts)
        if len(accepted) == len(chunk):
            return Checked(chunk.texts, features, chunk.lines, [])
        fast = dict(zip(accepted, features, strict=True))
        rest = [index for index in range(len(chunk)) if index not in fast]
        slow, rejected = self._slow(chunk, rest)
        found = {**fast, **slow}
        order = sorted(found)
        return Checked(
            [chunk.texts[index] for index in order],
            [found[index] for index in order],
            [chunk.lines[index] for index in order],
            rejected,
        )

    def _fast(self, texts: list[str]) -> tuple[list[int], list[str]]:
        """The rows the vectorised check vouches for, and their feature lines."""
        assert self._columns is not None
        body = "\n".join(texts)
        candidates = list(range(len(texts)))
        if body.translate(_NUMBER_TEXT):
            candidates = [i for i, text in enumerate(texts) if not text.translate(_NUMBER_TEXT)]
            body = "\n".join(texts[i] for i in candidates)
        # Whole-number columns are read as integers, so "2.0" and "2e0" (which pydantic
        # treats each its own way) make the parse fail rather than pass unseen.
        values = _numbers(body, len(candidates), self._file_types)
        exact_whole = values is not None
        if values is None:
            # Without the rows of too few or too many cells, and reading every column as a
            # float, the other rows may still go the fast way.
            width = len(self._columns) - 1
            candidates = [i for i in candidates if texts[i].count(",") == width]
            body = "\n".join(texts[i] for i in candidates)
            values = _numbers(body, len(candidates), self._float_types)
        if values is None:
            return [], []
        if not self._in_order:
            values = values[:, self._order]
        ok = np.isfinite(values).all(axis=1)
        for index, column in enumerate(self._columns):
            ok &= _within(values[:, index], column)
            if column.whole and not exact_whole:
                ok &= values[:, index] == np.trunc(values[:, index])
                ok &= ~self._written_with_a_point(index, body, len(candidates))
        as_read = self._in_order and " " not in body and "\t" not in body
        if ok.all():
            rows = candidates
        else:
            kept = np.flatnonzero(ok)
            rows = [candidates[i] for i in kept.tolist()]
            values = values[kept]
        if not as_read:
            return rows, _feature_lines(values.tolist())
        if len(rows) == len(texts):
            return rows, texts  # each row is already its feature line
        return rows, [texts[i] for i in rows]

    def _written_with_a_point(self, index: int, body: str, count: int) -> np.ndarray:
        """Rows whose cell in whole-number column ``index`` has a point or an exponent."""
        flagged = np.zeros(count, dtype=bool)
        matches = [match.start() for match in self._whole_text[index].finditer(body)]
        if matches:
            line_starts = np.array([0, *(m.end() for m in re.finditer("\n", body))])
            flagged[np.searchsorted(line_starts, matches, side="right") - 1] = True
        return flagged

    def _slow(
        self, chunk: Chunk, rows: Sequence[int]
    ) -> tuple[dict[int, str], list[tuple[int, Rejection]]]:
        """Rows validated one by one through pydantic: feature lines, and rejections."""
        raw: list[Any] = []
        indexes: list[int] = []
        rejected: list[tuple[int, Rejection]] = []
        for index in rows:
            text = chunk.texts[index]
            if self.format == "jsonl":
                try:
                    raw.append(pydantic_core.from_json(text))
                except ValueError as error:
                    rejected.append(
                        (index, self._rejection(chunk, index, f"not valid JSON: {error}"))
                    )
                    continue
            else:
                cells = text.split(",") if chunk.cells is None else chunk.cells[index]
                if len(cells) != len(self._names):
                    message = f"{len(cells)} values, but the header names {len(self._names)}"
                    rejected.append((index, self._rejection(chunk, index, message)))
                    continue
                raw.append(
                    {name: csv_cell(cell) for name, cell in zip(self._names, cells, strict=True)}
                )
            indexes.append(index)
        instances, problems = self._validate(raw, strict=self.format == "jsonl")
        for position, found in problems.items():
            index = indexes[position]
            rejected.append((index, Rejection(chunk.lines[index], chunk.texts[index], found)))
        rejected.sort(key=lambda pair: pair[0])
        valid = sorted(instances)
        lines = _feature_lines(self.spec.encode_all([instances[position] for position in valid]))
        return {
            indexes[position]: line for position, line in zip(valid, lines, strict=True)
        }, rejected

    def _validate(
        self, raw: list[Any], strict: bool
    ) -> tuple[dict[int, Any], dict[int, list[dict[str, str]]]]:
        validator = batch_validator(self.spec.instance_model)
        try:
            return dict(enumerate(validator.validate_python(raw, strict=strict))), {}
        except ValidationError as error:
            details = error_details(error, self.spec)
        problems: dict[int, list[dict[str, str]]] = defaultdict(list)
        for detail in details:
            problems[int(detail["instance"])].append(
                {key: str(value) for key, value in detail.items() if key != "instance"}
            )
        good = [position for position in range(len(raw)) if position not in problems]
        instances = validator.validate_python([raw[position] for position in good], strict=strict)
        return dict(zip(good, instances, strict=True)), dict(problems)

    def _rejection(self, chunk: Chunk, index: int, message: str) -> Rejection:
        return Rejection(chunk.lines[index], chunk.texts[index], [{"message": message}])


def _numbers(body: str, rows: int, types: np.dtype) -> np.ndarray | None:
    """``rows`` lines of numbers as a float matrix, each column parsed as ``types`` says;
    ``None`` if they aren't that."""
    if not rows:
        return None
    try:
        parsed = np.loadtxt(io.StringIO(body), delimiter=",", dtype=types, ndmin=1, comments=None)
    except ValueError:  # a cell that is no number, a row with too few or many cells
        return None
    if parsed.shape != (rows,):
        return None
    return structured_to_unstructured(parsed, dtype=np.float64)


def _bound(value: object) -> float:
    return float(cast(float, value))


def _within(values: np.ndarray, column: _Column) -> np.ndarray:
    ok = np.ones(len(values), dtype=bool)
    if column.low is not None:
        ok &= values > column.low if column.low_open else values >= column.low
    if column.high is not None:
        ok &= values < column.high if column.high_open else values <= column.high
    return ok


def _feature_lines(rows: Sequence[Sequence[float]]) -> list[str]:
    if not rows:
        return []
    return format_rows(rows).decode().split("\n")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
