"""The AWS CLI, unchanged, against the emulator (run as a subprocess, like a user would)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.emulator.conftest import csv_body, feature_rows
from training.emulator import ACCOUNT_ID, Emulator
from training.linear_learner import LinearLearner

AWS = Path(sys.executable).parent / "aws"


def run_aws(emulator: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Dummy credentials and config files that don't exist: nothing is read from the user's
    # ~/.aws and nothing is looked up on the network.
    environment = {
        "PATH": str(AWS.parent),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    command = [
        str(AWS),
        "sagemaker-runtime",
        "invoke-endpoint",
        "--endpoint-url",
        emulator.url,
        *args,
    ]
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_aws_cli_invoke_endpoint_writes_the_predictions_to_its_outfile(
    emulator: Emulator, tmp_path: Path, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(3)
    (tmp_path / "rows.csv").write_bytes(csv_body(rows))
    outfile = tmp_path / "out.json"
    result = run_aws(
        emulator,
        tmp_path,
        "--endpoint-name",
        "credit",
        "--body",
        f"fileb://{tmp_path / 'rows.csv'}",
        "--content-type",
        "text/csv",
        str(outfile),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
    }
    assert json.loads(outfile.read_text()) == json.loads(
        json.dumps({"predictions": learners["credit"].predict_records(rows)})
    )


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_aws_cli_reports_an_unknown_endpoint_as_validation_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_bytes(b"1,2,3,4")
    result = run_aws(
        emulator,
        tmp_path,
        "--endpoint-name",
        "ghost",
        "--body",
        f"fileb://{tmp_path / 'rows.csv'}",
        "--content-type",
        "text/csv",
        str(tmp_path / "out.json"),
    )
    assert result.returncode != 0  # 255 from CLI v1, 254 from v2
    assert (
        "An error occurred (ValidationError) when calling the InvokeEndpoint operation: "
        f"Endpoint ghost of account {ACCOUNT_ID} not found."
    ) in result.stderr
