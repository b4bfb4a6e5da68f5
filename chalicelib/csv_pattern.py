"""A model's CSV body as a regular expression, for the OpenAPI document's ``pattern``.

OpenAPI can say no more of a ``text/csv`` body than that it is a string, so a fuzzer reading
the document sends any text, and the API rightly refuses nearly all of it. The pattern
describes the canonical CSV instead: the header naming every field in the catalog's order,
then one to ``max_instances`` lines of values in each field's range (the enum's values for
a category; empty or ``NA`` for a missing account). Every string it matches is a valid
request. The API accepts more than it matches (columns in any order, the dataset's own
names, other spellings of numbers); the schema's description says so.

Numbers are matched digit by digit: an integer range splits into pieces such as
``1[0-3][0-9]`` (100 to 139), and a decimal in ``[lo, hi]`` is an integer in
``[lo, hi - 1]`` with any decimals, or ``hi`` itself. Digits are ``[0-9]``, never ``\\d``, which Python's ``re``
reads as any Unicode digit; and only escapes that ECMA-262 reads the same way with or
without its ``u`` flag are used, as JSON Schema validators in JavaScript compile patterns
with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_SPECIAL = set("\\^$.|?*+()[]{}/")
_FRACTION = r"(?:\.[0-9]+)?"
_NEWLINE = r"\r?\n"


def _literal(text: str) -> str:
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


def _digit_run(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _same_length_range(low: int, high: int) -> list[str]:
    """Pieces matching the integers from ``low`` to ``high``, both with the same digits."""
    pieces = []
    digits = len(str(low))
    while low <= high:
        # The widest block starting at low: low's last k digits are zero and all of
        # low .. low + 10**k - 1 lies in range; then as many such blocks as fit.
        k = 0
        while k + 1 < digits and low % 10 ** (k + 1) == 0 and low + 10 ** (k + 1) - 1 <= high:
            k += 1
        step = 10**k
        end = low + step - 1
        while (end + 1) % (step * 10) != 0 and end + step <= high:
            end += step
        first, last = str(low), str(end)
        pieces.append(
            first[: digits - k - 1]
            + _digit_run(first[digits - k - 1], last[digits - k - 1])
            + ("[0-9]" if k == 1 else f"[0-9]{{{k}}}" if k else "")
        )
        low = end + 1
    return pieces


def integer_range(low: int, high: int) -> str:
    """A pattern for the integers from ``low`` to ``high`` (both at least 0), written
    without leading zeros."""
    if not 0 <= low <= high:
        raise ValueError(f"an integer range runs from 0 up: {low} to {high}")
    pieces = []
    while low <= high:
        # Split where the number of digits changes: 0-9, 10-99, 100-999, ...
        top = min(high, 10 ** len(str(low)) - 1)
        pieces.extend(_same_length_range(low, top))
        low = top + 1
    return pieces[0] if len(pieces) == 1 else "(?:" + "|".join(pieces) + ")"


def _magnitude(low: int, high: int, integer: bool) -> str:
    if integer or low == high:
        return integer_range(low, high)
    return f"(?:{integer_range(low, high - 1)}{_FRACTION}|{high})"


def number_range(minimum: float, maximum: float, integer: bool = False) -> str:
    """A pattern for numbers in ``[minimum, maximum]``, as plain integers or decimals (for
    an integer field, integers only). A fractional bound is rounded inwards."""
    low, high = math.ceil(minimum), math.floor(maximum)
    if low > high:
        raise ValueError(f"no whole number lies between {minimum} and {maximum}")
    options = []
    if high >= 0:
        options.append(_magnitude(max(low, 0), high, integer))
    if low < 0:
        options.append("-" + _magnitude(max(1, -high), -low, integer))
    return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


def _bounds(schema: Mapping[str, Any]) -> tuple[float, float]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = math.floor(low) + 1
    high = schema.get("maximum", schema.get("exclusiveMaximum", max(low, 0) + 1000))
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high = math.ceil(high) - 1
    return low, high


def value_pattern(schema: Mapping[str, Any]) -> str:
    """A pattern for one CSV cell of a field, from the field's JSON Schema."""
    main = next(option for option in schema.get("anyOf", [schema]) if option.get("type") != "null")
    if "enum" in main:
        value = "(?:" + "|".join(_literal(str(item)) for item in main["enum"]) + ")"
    elif main.get("type") in ("number", "integer"):
        value = number_range(*_bounds(main), integer=main["type"] == "integer")
    else:
        raise ValueError(f"no CSV pattern for a field of type {main.get('type')!r}")
    return f"(?:{value}|NA)?" if _nullable(schema) else value


def csv_pattern(instance_schema: Mapping[str, Any], max_instances: int) -> str:
    """The whole body: the header, then one to ``max_instances`` lines of values."""
    properties = instance_schema["properties"]
    header = ",".join(_literal(name) for name in properties)
    row = ",".join(value_pattern(schema) for schema in properties.values())
    more = f"(?:{_NEWLINE}{row}){{0,{max_instances - 1}}}" if max_instances > 1 else ""
    return f"^{header}{_NEWLINE}{row}{more}(?:{_NEWLINE})?$"


def csv_schema(instance_schema: Mapping[str, Any], max_instances: int) -> dict[str, Any]:
    """The JSON Schema of a ``text/csv`` body for the model with this instance schema."""
    properties = instance_schema["properties"]
    nullable = [name for name, schema in properties.items() if _nullable(schema)]
    header = ",".join(properties)
    missing = f", empty or NA for no value in {' or '.join(nullable)}" if nullable else ""
    return {
        "type": "string",
        # The header, a newline, the commas of one line and a character per required value.
        "minLength": len(header) + 1 + 2 * len(properties) - 1 - len(nullable),
        "pattern": csv_pattern(instance_schema, max_instances),
        "description": (
            "A header row naming the fields, then one instance a line (at most "
            f"{max_instances}). The pattern is the canonical form: these columns in this "
            f"order, numbers as plain integers or decimals{missing}. Columns may also come "
            "in any order and under the dataset's own names."
        ),
    }


def _nullable(schema: Mapping[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", [schema]))
