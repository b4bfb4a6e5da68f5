"""The report's PNG plots, drawn on matplotlib's Agg canvas without pyplot.

Predicted against actual and residuals for a regressor; the ROC curve and confusion
matrices for the classifier. Each plot sets the served model beside scikit-learn's (and,
for a regressor whose recipe is not on squared loss, the squared-loss model the bar
judges). Using :class:`~matplotlib.figure.Figure` with an Agg canvas directly means no
display, no backend switch and no global figure state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from .results import Evaluation, Result

__all__ = ["PLOTS", "plot"]

# The plots each kind of model gets, by file-name suffix.
PLOTS = {
    "regressor": ("predicted_vs_actual", "residuals"),
    "binary_classifier": ("roc", "confusion_matrix"),
}


def _figure(width: float = 6.0, height: float = 5.0) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def plot(evaluation: Evaluation, kind: str, path: Path) -> Path:
    """Draw one of ``PLOTS[evaluation.predictor_type]`` and save it as a PNG at ``path``."""
    draw = {
        "predicted_vs_actual": _predicted_vs_actual,
        "residuals": _residuals,
        "roc": _roc,
        "confusion_matrix": _confusion_matrix,
    }[kind]
    figure = draw(evaluation)
    figure.savefig(path, dpi=100)
    return path


def _compared(evaluation: Evaluation) -> list[Result]:
    """What each plot sets side by side: the served model, the bar's model, scikit-learn's."""
    return list(
        {r.key: r for r in (evaluation.recipe, evaluation.bar_model, evaluation.baseline)}.values()
    )


_MARKERS = ("o", "s", "x")


def _predicted_vs_actual(evaluation: Evaluation) -> Figure:
    figure = _figure()
    axes = figure.add_subplot()
    actual = evaluation.y_test
    for result, marker in zip(_compared(evaluation), _MARKERS, strict=False):
        axes.scatter(actual, result.scores, s=14, alpha=0.6, marker=marker, label=result.label)
    low = float(min(actual.min(), *(r.scores.min() for r in _compared(evaluation))))
    high = float(max(actual.max(), *(r.scores.max() for r in _compared(evaluation))))
    axes.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect")
    axes.set(
        title=f"{evaluation.model}: predicted against actual (test split)",
        xlabel="actual",
        ylabel="predicted",
    )
    axes.legend(fontsize="small")
    return figure


def _residuals(evaluation: Evaluation) -> Figure:
    figure = _figure()
    axes = figure.add_subplot()
    for result, marker in zip(_compared(evaluation), _MARKERS, strict=False):
        axes.scatter(
            result.scores,
            evaluation.y_test - result.scores,
            s=14,
            alpha=0.6,
            marker=marker,
            label=result.label,
        )
    axes.axhline(0.0, color="grey", linestyle="--")
    axes.set(
        title=f"{evaluation.model}: residuals (test split)",
        xlabel="predicted",
        ylabel="actual − predicted",
    )
    axes.legend(fontsize="small")
    return figure


def _roc(evaluation: Evaluation) -> Figure:
    figure = _figure()
    axes = figure.add_subplot()
    for result in _compared(evaluation):
        fpr, tpr, _ = roc_curve(evaluation.y_test, result.scores)
        axes.plot(fpr, tpr, label=f"{result.label} (AUC {result.test['roc_auc']:.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="chance")
    axes.set(
        title=f"{evaluation.model}: ROC curve (test split)",
        xlabel="false positive rate",
        ylabel="true positive rate",
        aspect="equal",
    )
    axes.legend(fontsize="small", loc="lower right")
    return figure


def _confusion_matrix(evaluation: Evaluation) -> Figure:
    compared = _compared(evaluation)
    figure = _figure(width=5.0 * len(compared), height=4.5)
    names = list(evaluation.class_labels or ("0", "1"))
    for index, result in enumerate(compared, start=1):
        axes = figure.add_subplot(1, len(compared), index)
        counts = np.asarray(result.test["confusion_matrix"])
        axes.imshow(counts, cmap="Blues")
        for (row, column), count in np.ndenumerate(counts):
            # Dark cells get white text so every count stays readable.
            colour = "white" if count > counts.max() / 2 else "black"
            axes.text(column, row, str(count), ha="center", va="center", color=colour)
        axes.set(
            title=result.label,
            xlabel="predicted",
            ylabel="actual",
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=names,
            yticklabels=names,
        )
    figure.suptitle(f"{evaluation.model}: confusion matrices (test split)")
    return figure
