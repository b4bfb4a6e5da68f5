"""``python -m training explain MODEL INSTANCE``: the table a user reads, the PNG, the errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.catalog import CATALOG
from chalicelib.explain import log_odds
from tests.examples import EXAMPLES, as_csv
from training.cli import main
from training.local.explain import default_output
from training.local.settings import LocalSettings
from training.paths import PROJECT_DIR

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(models_dir: Path, *argv: str) -> int:
    return main(["explain", *argv], environ={"MODELS_DIR": str(models_dir)})


def write(path: Path, body: object) -> Path:
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def only_error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_explain_prints_the_contributions_and_reasons_and_writes_a_waterfall_png(
    models_dir, tmp_path, capsys
):
    applicant = write(tmp_path / "applicant.json", EXAMPLES["credit"])
    chart = tmp_path / "charts" / "applicant.png"
    assert run(models_dir, "credit", str(applicant), "--output", str(chart)) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["duration"][1:3] == ["48", "18"]
    assert rows["checking_account"][1:3] == ["moderate", "null"]
    # Reasons are numbered from the strongest; duration's weight puts it among them.
    assert ". a duration of 48 months, against 18 for the reference" in out
    assert "1. " in out
    assert f"waterfall chart: {chart}" in out
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_the_tables_sum_is_the_margin_minus_the_references(models_dir, tmp_path, capsys):
    applicant = write(tmp_path / "applicant.json", EXAMPLES["credit"])
    assert run(models_dir, "credit", str(applicant), "--output", str(tmp_path / "c.png")) == 0
    lines = capsys.readouterr().out.splitlines()
    total = float(next(line for line in lines if line.startswith("sum")).split()[-1])
    headline = lines[0].replace(",", "").split()
    score, reference = float(headline[2]), float(headline[-1])
    # The headline rounds the probabilities to three places; the margins move with them.
    assert total == pytest.approx(log_odds(score) - log_odds(reference), abs=0.01)


def table_rows(out: str) -> list[list[str]]:
    """The rows between the table's two rules."""
    lines = out.splitlines()
    rules = [index for index, line in enumerate(lines) if line.startswith("---")]
    return [line.split() for line in lines[rules[0] + 1 : rules[1]]]


def test_a_csv_instance_is_read_by_its_suffix_and_listed_largest_effect_first(
    models_dir, tmp_path, capsys
):
    house = write(tmp_path / "house.csv", as_csv("housing"))
    assert run(models_dir, "housing", str(house), "--output", str(tmp_path / "h.png")) == 0
    out = capsys.readouterr().out
    assert out.startswith("housing: score ")
    rows = table_rows(out)
    assert sorted(row[0] for row in rows) == sorted(CATALOG["housing"].field_names)
    sizes = [abs(float(row[-1])) for row in rows]
    assert sizes == sorted(sizes, reverse=True)


def test_a_missing_model_is_trained_first(tmp_path, capsys):
    house = write(tmp_path / "house.json", EXAMPLES["housing"])
    models = tmp_path / "models"
    assert run(models, "housing", str(house), "--output", str(tmp_path / "h.png")) == 0
    assert "housing: no current local model; training it first" in capsys.readouterr().out
    assert (models / "housing" / "model.npz").exists()


def test_a_file_that_cannot_be_read_is_one_error_line(models_dir, tmp_path, capsys):
    assert run(models_dir, "credit", str(tmp_path / "missing.json")) == 2
    assert "cannot read" in only_error(capsys)


def test_an_invalid_instance_names_the_field(models_dir, tmp_path, capsys):
    applicant = write(tmp_path / "a.json", {**EXAMPLES["credit"], "duration": "long"})
    assert run(models_dir, "credit", str(applicant)) == 2
    line = only_error(capsys)
    assert "duration: Input should be a valid integer" in line


def test_a_batch_is_refused_with_the_apis_way_to_explain_many(models_dir, tmp_path, capsys):
    batch = write(tmp_path / "batch.json", {"instances": [EXAMPLES["credit"]] * 2})
    assert run(models_dir, "credit", str(batch)) == 2
    assert "holds 2 instances; explain takes one" in only_error(capsys)


def test_the_aws_target_answers_one_line_naming_the_local_one(models_dir, tmp_path, capsys):
    applicant = write(tmp_path / "a.json", EXAMPLES["credit"])
    assert run(models_dir, "credit", str(applicant), "--target", "aws") == 2
    line = only_error(capsys)
    assert "--target local" in line and "?explain=true" in line


def test_without_output_the_chart_goes_to_the_reports_dir(models_dir, tmp_path, capsys):
    applicant = write(tmp_path / "a.json", EXAMPLES["credit"])
    reports = tmp_path / "reports"
    environ = {"MODELS_DIR": str(models_dir), "REPORTS_DIR": str(reports)}

    assert main(["explain", "credit", str(applicant)], environ=environ) == 0

    chart = reports / "credit_explanation.png"
    assert f"waterfall chart: {chart}" in capsys.readouterr().out
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_the_reports_dir_is_the_projects_reports_folder_by_default():
    assert (
        default_output("credit", LocalSettings())
        == PROJECT_DIR / "reports" / "credit_explanation.png"
    )
