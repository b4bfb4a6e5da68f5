"""Linear Learner's answer to a batch: JSON Lines, one prediction record per row, in row order.

The local endpoint answers a request this way (``Accept: application/jsonlines``), and a
Batch Transform job writes its ``.out`` object this way (``AssembleWith=Line``), so both
targets read predictions with the one function here.
"""

from __future__ import annotations

from typing import Any

import pydantic_core


class BadRecords(Exception):
    """The answer is not one prediction record per row sent; the message says how."""


def parse_records(answer: bytes, rows: int) -> list[dict[str, Any]]:
    """The prediction records of a JSON Lines answer for ``rows`` rows; ``BadRecords`` if not."""
    lines = answer.strip()
    try:
        # One parse of the lines as a JSON array costs a third of parsing them one by one.
        records = pydantic_core.from_json(b"[" + lines.replace(b"\n", b",") + b"]") if lines else []
    except ValueError:
        raise BadRecords("it is not JSON Lines") from None
    if not all(isinstance(record, dict) and "score" in record for record in records):
        raise BadRecords("its lines are not prediction records")
    if len(records) != rows:
        raise BadRecords(f"it holds {len(records)} predictions for {rows} rows")
    return records
