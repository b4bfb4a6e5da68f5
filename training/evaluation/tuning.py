"""The report of a local tuning run: ``reports/<model>-tuning.md`` and two PNG plots.

The report holds the trials table, an optimisation-history plot (every trial's objective and
the best so far) and a hyperparameter-importance plot (Optuna's fANOVA importances), and the
tuned model against the lesson's recipe and scikit-learn's plain model on the held-out test
split, which the search never saw. The plots are drawn here on matplotlib's Agg canvas,
like the evaluation plots: Optuna's own matplotlib plots are marked experimental and warn.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from training import datasets
from training.linear_learner import ConvergenceWarning, LinearLearner
from training.recipes import HYPERPARAMETERS

from .compare import baseline, baseline_predictions, learner_predictions
from .metrics import prediction_metrics
from .results import SEED

if TYPE_CHECKING:
    from training.local.tuning import TuningResult

__all__ = ["Comparison", "compare", "write"]


@dataclass(frozen=True)
class Comparison:
    """One model's test-split metrics, beside the others of the report's comparison."""

    label: str
    test: dict[str, float]
    note: str = ""


# The report's columns: every regression metric; for a classifier these three.
_CLASSIFIER_COLUMNS = ("accuracy", "f1", "roc_auc")


def _measured(y: np.ndarray, scores: np.ndarray, labels: np.ndarray | None) -> dict[str, float]:
    found = prediction_metrics(y, scores, labels)
    keys = found if labels is None else _CLASSIFIER_COLUMNS
    return {key: float(found[key]) for key in keys}


def compare(model: str, tuned: dict[str, Any]) -> list[Comparison]:
    """The tuned recipe, the lesson's recipe and scikit-learn's model, on the test split."""
    data = datasets.load(model)
    train, validation, test = data.train, data.validation, data.test
    rows = []
    for label, hyperparameters in (
        ("Linear Learner, tuned recipe", tuned),
        ("Linear Learner, the lessons' recipe", HYPERPARAMETERS[model]),
    ):
        learner = LinearLearner(**hyperparameters, seed=SEED)
        with warnings.catch_warnings():
            # Said in the table's note instead.
            warnings.simplefilter("ignore", ConvergenceWarning)
            learner.fit(train.X, train.y, validation.X, validation.y)
        converged = learner.training_report_["converged"]
        measured = _measured(test.y, *learner_predictions(learner, test.X))
        rows.append(
            Comparison(label, measured, "" if converged else "not converged (ConvergenceWarning)")
        )
    plain = baseline(data).fit(train.X, train.y)
    label = (
        "scikit-learn LinearRegression (least squares)"
        if data.spec.predictor_type == "regressor"
        else "scikit-learn LogisticRegression"
    )
    rows.append(Comparison(label, _measured(test.y, *baseline_predictions(plain, test.X))))
    return rows


# ---- plots -------------------------------------------------------------------------------


def _figure() -> Figure:
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _history(result: TuningResult, path: Path) -> Path:
    figure = _figure()
    axes = figure.add_subplot()
    objective = result.plan.objective
    complete = [t for t in result.trials if t.state == "complete" and t.value is not None]
    numbers = [t.number + 1 for t in complete]
    values = [float(t.value) for t in complete if t.value is not None]
    axes.scatter(numbers, values, s=18, label="trial")
    best, line = None, []
    for value in values:
        best = value if best is None or objective.better(value, best) else best
        line.append(best)
    axes.step(numbers, line, where="post", color="tab:red", label="best so far")
    pruned = [t.number + 1 for t in result.trials if t.state == "pruned"]
    if pruned and values:
        edge = max(values) if not objective.maximize else min(values)
        axes.scatter(pruned, [edge] * len(pruned), marker="x", color="grey", label="pruned")
    axes.set(
        title=f"{result.plan.model}: optimisation history ({result.plan.strategy})",
        xlabel="trial",
        ylabel=f"{objective.name} ({objective.direction})",
    )
    axes.legend(fontsize="small")
    figure.savefig(path, dpi=100)
    return path


def importances(result: TuningResult) -> dict[str, float]:
    """Optuna's fANOVA importance of each tuned hyperparameter (empty with too few trials)."""
    import optuna

    complete = [t for t in result.trials if t.state == "complete"]
    if len(result.plan.ranges) == 1 and complete:
        return {result.plan.ranges[0].name: 1.0}
    if len(complete) < 2:
        return {}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=SEED)
    try:
        found = optuna.importance.get_param_importances(result.study, evaluator=evaluator)
    except (RuntimeError, ValueError):  # e.g. every completed trial scored the same
        return {}
    return {name: float(value) for name, value in found.items()}


def _importance(result: TuningResult, found: dict[str, float], path: Path) -> Path:
    figure = _figure()
    axes = figure.add_subplot()
    if found:
        names = list(found)[::-1]
        axes.barh(names, [found[name] for name in names])
        axes.set(xlabel="importance (fANOVA, sums to 1)", xlim=(0, 1))
    else:
        axes.text(0.5, 0.5, "too few completed trials", ha="center", va="center")
        axes.set_axis_off()
    axes.set_title(
        f"{result.plan.model}: hyperparameter importance for {result.plan.objective.name}"
    )
    figure.savefig(path, dpi=100)
    return path


# ---- the Markdown ------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _trials_table(result: TuningResult) -> list[str]:
    names = [tuned.name for tuned in result.plan.ranges]
    best = result.best.number
    rows = []
    for trial in result.trials:
        note = trial.error or ("not converged" if not trial.converged else "")
        rows.append(
            [
                f"**{trial.number + 1}**" if trial.number == best else str(trial.number + 1),
                trial.state,
                *(_cell(trial.params.get(name)) for name in names),
                _cell(trial.value),
                str(trial.epochs_run),
                f"{trial.seconds:.2f}",
                note,
            ]
        )
    header = ["trial", "state", *names, result.plan.objective.name, "epochs", "s", "note"]
    return _table(header, rows)


def _comparison_table(rows: Sequence[Comparison]) -> list[str]:
    keys = list(rows[0].test)
    return _table(
        ["model", *keys, "note"],
        [[row.label, *(f"{row.test[key]:.4f}" for key in keys), row.note] for row in rows],
    )


def write(result: TuningResult, directory: Path, compared: Sequence[Comparison]) -> list[Path]:
    """Write ``<model>-tuning.md`` and its plots into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    plan, best = result.plan, result.best
    model = plan.model
    history = _history(result, directory / f"{model}-tuning-history.png")
    found = importances(result)
    importance = _importance(result, found, directory / f"{model}-tuning-importance.png")
    counts = result.counts()
    tuned = ", ".join(f"`{name}={_cell(value)}`" for name, value in best.params.items())
    fixed = ", ".join(f"`{name}={_cell(value)}`" for name, value in plan.static.items())
    lines = [
        f"# {model}: tuning for {plan.objective.name}",
        "",
        f"{counts['run']} trials ({counts['complete']} complete, {counts['pruned']} pruned, "
        f"{counts['failed']} failed), {plan.strategy} search with seed {plan.seed}, "
        f"{result.workers} at a time, in {result.seconds:.1f} s. Each trial trained one "
        "Linear Learner on the training split and was scored on the validation split.",
        "",
        f"Repeat it with `{plan.command()}`.",
        "",
        f"**Best: trial {best.number + 1}**, {plan.objective.name} = {best.value:.5g} "
        f"({plan.objective.direction}): {tuned}.",
        "",
        f"Held fixed: {fixed}.",
        "",
        "## On the test split",
        "",
        "The search never saw these rows. The tuned recipe against the lessons' recipe and "
        "scikit-learn's plain model, each fitted on the training split (the learners "
        "selecting on the validation split):",
        "",
        *_comparison_table(compared),
        "",
        "## Trials",
        "",
        *_trials_table(result),
        "",
        "## Plots",
        "",
        f"![optimisation history]({history.name})",
        "",
        f"![hyperparameter importance]({importance.name})",
        "",
    ]
    if found:
        lines[-4:-4] = [
            "Importance (fANOVA): "
            + ", ".join(f"{name} {value:.2f}" for name, value in found.items())
            + ".",
            "",
        ]
    report = directory / f"{model}-tuning.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return [report, history, importance]
