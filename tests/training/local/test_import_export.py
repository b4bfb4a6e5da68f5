"""``python -m training import`` and ``export`` on the local target: artifacts in and out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.training.emulator.artifact_layout import artifact, tar_of
from training import datasets
from training.cli import main
from training.emulator.artifacts import read_artifact
from training.linear_learner import LinearLearner


def run(capsys: pytest.CaptureFixture[str], models_dir: Path, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), environ={"MODELS_DIR": str(models_dir)})
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("model", ["housing", "credit"])
def test_an_exported_local_model_reads_back_with_the_same_predictions(
    capsys: pytest.CaptureFixture[str], models_dir: Path, tmp_path: Path, model: str
) -> None:
    out = tmp_path / f"{model}.tar.gz"

    status, _, _ = run(capsys, models_dir, "export", model, str(out))

    X = datasets.load(model).test.X
    local = LinearLearner.load(models_dir / model).predict_records(X)
    exported = read_artifact(out.read_bytes()).predict_records(X)
    assert status == 0
    assert np.array([r["score"] for r in exported]) == pytest.approx(
        [r["score"] for r in local], rel=1e-5, abs=1e-6
    )
    assert [r.get("predicted_label") for r in exported] == [r.get("predicted_label") for r in local]


def test_export_refuses_to_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], models_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "taken.tar.gz"
    out.write_bytes(b"keep me")

    status, _, err = run(capsys, models_dir, "export", "housing", str(out))

    assert (status, err) == (2, f"error: {out} exists: pass --force to replace it\n")
    assert out.read_bytes() == b"keep me"


def test_an_imported_artifact_is_what_the_endpoint_directory_serves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "model.tar.gz"
    source.write_bytes(artifact("multiclass_classifier", np.ones((4, 3)), np.zeros(3)))

    status, out, _ = run(capsys, tmp_path / "models", "import", "species", str(source))

    assert status == 0
    assert out.startswith("species: imported")
    assert "a multiclass_classifier with 4 features" in out
    assert (tmp_path / "models" / "species" / "model.tar.gz").read_bytes() == source.read_bytes()


def test_an_artifact_with_the_wrong_feature_count_for_a_catalog_endpoint_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "model.tar.gz"
    source.write_bytes(artifact("regressor", np.ones((4, 1)), np.zeros(1)))

    status, _, err = run(capsys, tmp_path / "models", "import", "housing", str(source))

    assert status == 2
    assert err == (
        f"error: {source}: its weights take 4 features, but the API sends 13 to endpoint "
        "'housing'; import it under another endpoint name\n"
    )
    assert not (tmp_path / "models" / "housing").exists()


def test_a_corrupt_artifact_is_refused_by_name_and_replaces_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = artifact("regressor", np.ones((4, 1)), np.zeros(1))
    (tmp_path / "models" / "prices").mkdir(parents=True)
    (tmp_path / "models" / "prices" / "model.tar.gz").write_bytes(good)
    source = tmp_path / "bad.tar.gz"
    source.write_bytes(tar_of({"README": b"not a model"}))

    status, _, err = run(capsys, tmp_path / "models", "import", "prices", str(source))

    assert status == 2
    assert err.startswith(f"error: {source}: model.tar.gz has no model_algo-1")
    assert (tmp_path / "models" / "prices" / "model.tar.gz").read_bytes() == good


@pytest.mark.parametrize("source", [["s3://bucket/model.tar.gz"], ["--from-training-job", "job-1"]])
def test_an_aws_source_on_the_local_target_asks_for_the_aws_target(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: list[str]
) -> None:
    status, _, err = run(capsys, tmp_path, "import", "prices", *source)

    assert (status, err) == (
        2,
        "error: an artifact in S3 or a training job's is read from AWS: add --target aws\n",
    )


def test_export_has_no_aws_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, tmp_path, "export", "housing", "x.tar.gz", "--target", "aws")

    assert (status, err) == (2, "error: 'export' has no aws target; run it with --target local\n")


def test_status_says_which_endpoint_serves_an_imported_artifact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "housing").mkdir()
    (tmp_path / "housing" / "model.tar.gz").write_bytes(
        artifact("regressor", np.ones((13, 1)), np.zeros(1))
    )

    _, out, _ = run(capsys, tmp_path, "status", "housing")

    assert out.startswith("housing: serves an imported SageMaker artifact")
