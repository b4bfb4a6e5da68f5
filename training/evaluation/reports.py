"""The Markdown and JSON reports of an :class:`~.results.Evaluation`, and its console summary.

:func:`write` puts ``<model>.md``, ``<model>.json`` and the PNG plots of :mod:`.plots` in a
directory; :func:`summary` is the short table the ``evaluate`` command prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .plots import PLOTS, plot
from .results import FIT_REPEATS, ONE_FEATURE, SEED, TRAINING_SECONDS_LIMIT, Bar, Evaluation, Result

__all__ = ["summary", "write"]

_COLUMNS = {
    "regressor": (("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²")),
    "binary_classifier": (
        ("accuracy", "accuracy"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("f1", "F1"),
        ("roc_auc", "ROC AUC"),
        ("threshold", "threshold"),
    ),
}


def write(evaluation: Evaluation, directory: Path) -> list[Path]:
    """Write the report, its JSON and its plots into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    name = evaluation.model
    plots = [
        plot(evaluation, kind, directory / f"{name}_{kind}.png")
        for kind in PLOTS[evaluation.predictor_type]
    ]
    numbers = directory / f"{name}.json"
    numbers.write_text(json.dumps(evaluation.to_json(), indent=2) + "\n", encoding="utf-8")
    report = directory / f"{name}.md"
    report.write_text(_markdown(evaluation, plots), encoding="utf-8")
    return [report, numbers, *plots]


# -- text ------------------------------------------------------------------------------------


def _number(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}"


def _milliseconds(result: Result) -> str:
    return "–" if result.fit_seconds is None else f"{1000 * result.fit_seconds:.1f}"


def _rows(evaluation: Evaluation, results: Sequence[Result]) -> list[list[str]]:
    columns = _COLUMNS[evaluation.predictor_type]
    return [
        [
            result.label,
            *(_number(result.test.get(key)) for key, _ in columns),
            _milliseconds(result),
        ]
        for result in results
    ]


def _header(evaluation: Evaluation) -> list[str]:
    return ["model", *(title for _, title in _COLUMNS[evaluation.predictor_type]), "fit ms"]


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  "
        + "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    )


def _winner(result: Result) -> str:
    """The winning model of Linear Learner's parallel training, in one line."""
    assert result.learner is not None
    report = result.learner.training_report_
    settings = ", ".join(
        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in report["hyperparameters"].items()
    )
    return (
        f"model {report['winning_model']} of {report['num_models']} "
        f"(best epoch {report['best_epoch']} of {report['epochs_run']} run, "
        f"selected on {report['selected_on']}): {settings}"
    )


def _bar_line(bar: Bar) -> str:
    if bar.key == "rmse_ratio":
        measured, limit = f"{bar.value:.3f}", f"<= {bar.limit:g}"
    else:
        measured, limit = f"{bar.value:+.3f}", f">= {bar.limit:+g}"
    return f"{bar.description}: {measured} ({limit}) {'met' if bar.met else 'MISSED'}"


def summary(evaluation: Evaluation) -> str:
    """The console table: ours against scikit-learn against trivial, bars and the winner."""
    results = list(evaluation.results.values())
    lines = [
        f"{evaluation.model}: {evaluation.predictor_type}, test split of "
        f"{evaluation.rows['test']} rows",
        _text_table(_header(evaluation), _rows(evaluation, results)),
        *(f"  bar: {_bar_line(bar)}" for bar in evaluation.bars),
        f"  winner: {_winner(evaluation.recipe)}",
    ]
    return "\n".join(lines)


def _provenance(evaluation: Evaluation) -> str:
    rows = evaluation.rows
    trained = (
        f"trained afresh in this run (seed {SEED}, which makes it the same model `python -m "
        "training train` saves; the saved one in `models/` is not read)"
        if evaluation.trained_fresh
        else "loaded from the saved model"
    )
    return (
        f"The Linear Learner was {trained} with {evaluation.recipe_source}, the one `train` "
        f"uses: fitted on the {rows['train']}-row training split, its winner "
        f"selected on the {rows['validation']}-row validation split, as a SageMaker training "
        f"job does. scikit-learn's baseline and the trivial baseline were fitted on the same "
        f"{rows['train']} training rows. Every number below is on the {rows['test']}-row "
        "held-out test split, which no model saw."
    )


def _bars_section(evaluation: Evaluation) -> list[str]:
    recipe, baseline = evaluation.recipe, evaluation.baseline
    rows = [
        [
            bar.description,
            f"{bar.value:.3f}",
            ("≤ " if bar.key == "rmse_ratio" else "≥ ") + f"{bar.limit:g}",
            "met" if bar.met else "**missed**",
        ]
        for bar in evaluation.bars
    ]
    if recipe.fit_seconds is not None and baseline.fit_seconds is not None:
        rows.append(
            [
                "training time, this model (scikit-learn's baseline beside it)",
                f"{recipe.fit_seconds:.3f} s ({baseline.fit_seconds:.3f} s)",
                f"all three < {TRAINING_SECONDS_LIMIT:g} s",
                "met" if recipe.fit_seconds < TRAINING_SECONDS_LIMIT else "**missed**",
            ]
        )
    lines = ["## Quality bars", "", _markdown_table(["bar", "value", "limit", ""], rows)]
    if evaluation.predictor_type == "regressor" and not all(bar.met for bar in evaluation.bars):
        ours = evaluation.bar_model.validation["rmse"]
        theirs = baseline.validation["rmse"]
        if ours < theirs:
            lines += [
                "",
                f"On the validation split the same Linear Learner beats OLS (RMSE {ours:.3f} "
                f"against {theirs:.3f}, ratio {ours / theirs:.3f}). It kept the model and epoch "
                f"that fit those {evaluation.rows['validation']} validation rows best, and they "
                f"disagree with the {evaluation.rows['test']} test rows: with splits this small "
                "the ratio moves by several per cent from one random split to the next.",
            ]
    return lines


def _validation_section(evaluation: Evaluation) -> list[str]:
    columns = _COLUMNS[evaluation.predictor_type]
    rows = [
        [result.label, *(_number(result.validation.get(key)) for key, _ in columns)]
        for result in evaluation.results.values()
    ]
    return [
        "## Validation split",
        "",
        "What the Linear Learner selected its winner on; the baselines do no selection.",
        "",
        _markdown_table(["model", *(title for _, title in columns)], rows),
    ]


def _test_section(evaluation: Evaluation) -> list[str]:
    lines = [
        "## Test split",
        "",
        _markdown_table(_header(evaluation), _rows(evaluation, list(evaluation.results.values()))),
        "",
        f"Fit times are the median of {FIT_REPEATS} runs of the same seeded fit.",
        "",
    ]
    if evaluation.hyperparameters.get("loss") == "absolute_loss":
        recipe, trivial = evaluation.recipe, evaluation.trivial
        lines.append(
            "The recipe trains with `absolute_loss`, which fits the conditional median rather "
            f"than the mean: judge it by MAE ({recipe.test['mae']:.3f} against the training "
            f"mean's {trivial.test['mae']:.3f}) more than by RMSE and R², which squared loss "
            "and OLS optimise."
        )
    return lines


def _one_feature_section(evaluation: Evaluation) -> list[str]:
    if "one_feature" not in evaluation.results:
        return []
    results, count = evaluation.results, len(evaluation.feature_names)
    pairs = [
        ("the recipe", results["one_feature"], evaluation.recipe),
        ("squared loss", results.get("one_feature_squared_loss"), evaluation.bar_model),
        ("OLS", results["one_feature_ols"], evaluation.baseline),
    ]
    rows = [
        [
            what,
            *(f"{one.test[key]:.3f} / {full.test[key]:.3f}" for key in ("rmse", "mae", "r2")),
        ]
        for what, one, full in pairs
        if one is not None
    ]
    header = ["model", *(f"{title}: 1 / {count} features" for title in ("RMSE", "MAE", "R²"))]
    return [
        f"## One feature against {count}",
        "",
        f"The lessons first fit rainfall on `{ONE_FEATURE}` alone. Test split, that one "
        f"feature against all {count}:",
        "",
        _markdown_table(header, rows),
        "",
        "Temperature alone explains none of the variance (R² at or below 0); the other "
        "features carry the signal. Under absolute loss both models predict close to the "
        "median day, which is dry, so their MAE hardly differs: compare them by RMSE and R², "
        "or on squared loss.",
    ]


def _confusion_section(evaluation: Evaluation) -> list[str]:
    if evaluation.predictor_type != "binary_classifier":
        return []
    good, bad = evaluation.class_labels or ("0", "1")
    header = [
        "model",
        f"{good} → {good} (TN)",
        f"{good} → {bad} (FP)",
        f"{bad} → {good} (FN)",
        f"{bad} → {bad} (TP)",
    ]
    rows = [
        [result.label, *(str(count) for row in result.test["confusion_matrix"] for count in row)]
        for result in evaluation.results.values()
    ]
    return [
        "## Confusion matrices (test split)",
        "",
        f"Actual → predicted; '{bad}' is the positive class (`predicted_label` 1). The Linear "
        f"Learner predicts '{bad}' when its score exceeds the threshold it calibrated on the "
        "validation split; logistic regression uses 0.5.",
        "",
        _markdown_table(header, rows),
    ]


def _winner_section(evaluation: Evaluation) -> list[str]:
    lines = ["## Winning models", ""]
    for result in evaluation.results.values():
        if result.learner is not None:
            lines.append(f"- {result.label}: {_winner(result)}")
    lines += [
        "",
        "Recipe hyperparameters: "
        + ", ".join(f"`{key}={value}`" for key, value in evaluation.hyperparameters.items()),
    ]
    return lines


def _markdown(evaluation: Evaluation, plots: Sequence[Path]) -> str:
    sections = [
        [f"# {evaluation.model}: quality on the held-out test split", "", _provenance(evaluation)],
        _test_section(evaluation),
        _bars_section(evaluation),
        _one_feature_section(evaluation),
        _confusion_section(evaluation),
        _validation_section(evaluation),
        _winner_section(evaluation),
        ["## Plots", "", *(f"![{path.stem}]({path.name})" for path in plots)],
    ]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"
