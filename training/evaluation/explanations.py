"""One explained prediction as a reader sees it: a table for the terminal and a waterfall PNG.

Both take the API's own answer (a prediction with its ``explanation``, as
``chalicelib/explain.py`` builds it) and the catalog's instance and reference, so what the
command shows is what the API answers. The waterfall starts at the reference's margin, adds
each field's contribution, largest first, and ends at the instance's margin; for the
classifier the margin is log-odds, and a second axis reads it as the probability.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chalicelib.catalog import ModelSpec
from chalicelib.explain import log_odds

__all__ = ["table", "waterfall"]

_UP, _DOWN = "#c0392b", "#2e86c1"


def _margin(spec: ModelSpec, score: float) -> float:
    return score if spec.class_labels is None else log_odds(score)


def _ordered(contributions: Mapping[str, float]) -> list[tuple[str, float]]:
    """Largest effect first; ties keep the catalog's order."""
    return sorted(contributions.items(), key=lambda item: -abs(item[1]))


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _headline(spec: ModelSpec, prediction: Mapping[str, Any]) -> str:
    explanation = prediction["explanation"]
    if spec.class_labels is None:
        return (
            f"{spec.name}: score {prediction['score']:.4g}; "
            f"reference {explanation['reference_score']:.4g}"
        )
    positive = spec.class_labels[1]
    return (
        f"{spec.name}: P({positive}) {prediction['score']:.3f}, label {prediction['label']}; "
        f"reference P({positive}) {explanation['reference_score']:.3f}"
    )


def table(spec: ModelSpec, instance: Mapping[str, Any], prediction: Mapping[str, Any]) -> str:
    """The contributions as aligned text: field, value, reference, contribution; then the
    sum beside the margins it equals and, for the classifier, the reasons."""
    explanation = prediction["explanation"]
    contributions = explanation["contributions"]
    scale = explanation["scale"].replace("_", "-")
    rows = [("field", "value", "reference", f"contribution ({scale})")]
    rows += [
        (name, _value(instance[name]), _value(spec.reference[name]), f"{value:+.6f}")
        for name, value in _ordered(contributions)
    ]
    own = _margin(spec, prediction["score"])
    reference = _margin(spec, explanation["reference_score"])
    rows.append(("sum", "", "", f"{sum(contributions.values()):+.6f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [_headline(spec, prediction), ""]
    for index, row in enumerate(rows):
        if index in (1, len(rows) - 1):
            lines.append("  ".join("-" * width for width in widths))
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)),
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append(f"margin {own:.6f} - reference margin {reference:.6f} = {own - reference:+.6f}")
    if "reasons" in explanation:
        assert spec.class_labels is not None
        lines += ["", f"Reasons towards '{spec.class_labels[1]}', strongest first:"]
        lines += [
            f"  {number}. {reason['sentence']}"
            for number, reason in enumerate(explanation["reasons"], start=1)
        ]
        if not explanation["reasons"]:
            lines.append("  none: no field pushed this prediction that way")
    return "\n".join(lines)


def waterfall(spec: ModelSpec, prediction: Mapping[str, Any], path: Path) -> Path:
    """Draw the waterfall from the reference's margin to the instance's and save it as PNG."""
    explanation = prediction["explanation"]
    steps = [(name, value) for name, value in _ordered(explanation["contributions"]) if value]
    start = _margin(spec, explanation["reference_score"])
    end = _margin(spec, prediction["score"])
    figure = Figure(figsize=(8.0, 1.2 + 0.42 * (len(steps) + 2)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = ["reference", *(name for name, _ in steps), "this instance"]
    positions = list(range(len(labels)))[::-1]
    # The two totals are points on dashed lines, not bars from zero: a housing score of 23
    # would dwarf its steps of 3, and a zero margin means nothing for a regressor.
    for position, total in ((positions[0], start), (positions[-1], end)):
        axes.axvline(total, color="grey", linestyle="--", linewidth=0.8)
        axes.plot(total, position, marker="D", color="black")
        axes.annotate(
            f"{total:.4g}", (total, position), xytext=(6, 0), textcoords="offset points",
            va="center", fontsize="small",
        )  # fmt: skip
    level = start
    for position, (_, value) in zip(positions[1:-1], steps, strict=True):
        axes.barh(position, value, left=level, color=_UP if value > 0 else _DOWN)
        axes.annotate(
            f"{value:+.3g}",
            (level + value, position),
            xytext=(4 if value > 0 else -4, 0),
            textcoords="offset points",
            va="center",
            ha="left" if value > 0 else "right",
            fontsize="small",
        )
        level += value
    axes.set_yticks(positions, labels)
    levels = [start, end, *(start + sum(v for _, v in steps[: i + 1]) for i in range(len(steps)))]
    low, high = min(levels), max(levels)
    pad = 0.15 * (high - low or 1.0)
    axes.set_xlim(low - pad, high + pad)
    scale = "log-odds" if spec.class_labels is not None else "score"
    axes.set_xlabel(f"margin ({scale}): reference + contributions = this instance")
    if spec.class_labels is not None:
        probability = axes.secondary_xaxis("top", functions=(_probability, _log_odds))
        probability.set_xlabel(f"P({spec.class_labels[1]})")
    figure.suptitle(_headline(spec, prediction), fontsize="medium")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def _probability(margins: Any) -> Any:
    return 1 / (1 + np.exp(-np.clip(margins, -700, 700)))


def _log_odds(probabilities: Any) -> Any:
    clipped = np.clip(probabilities, 1e-12, 1 - 1e-12)
    return np.log(clipped / (1 - clipped))
