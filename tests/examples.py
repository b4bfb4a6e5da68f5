"""The catalog's example instances, as plain dicts the tests can copy and change."""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import CATALOG

EXAMPLES: dict[str, dict[str, Any]] = {name: dict(spec.example) for name, spec in CATALOG.items()}


def as_csv(model: str) -> str:
    return CATALOG[model].example_csv()
