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
OUTFILE = "out.json"  # where invoke_endpoint has the CLI write the answer, in tmp_path


def invoke_endpoint(
    emulator: Emulator, tmp_path: Path, endpoint_name: str, csv: bytes
) -> subprocess.CompletedProcess[str]:
    """``aws sagemaker-runtime invoke-endpoint`` of a CSV body from a file, as a user runs it;
    the answer's body goes to ``tmp_path / OUTFILE``."""
    (tmp_path / "rows.csv").write_bytes(csv)
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
        "--endpoint-name",
        endpoint_name,
        "--body",
        f"fileb://{tmp_path / 'rows.csv'}",
        "--content-type",
        "text/csv",
        str(tmp_path / OUTFILE),
    ]
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_aws_cli_invoke_endpoint_writes_the_predictions_to_its_outfile(
    emulator: Emulator, tmp_path: Path, learners: dict[str, LinearLearner]
) -> None:
    rows = feature_rows(3)
    result = invoke_endpoint(emulator, tmp_path, "credit", csv_body(rows))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
    }
    assert json.loads((tmp_path / OUTFILE).read_text()) == json.loads(
        json.dumps({"predictions": learners["credit"].predict_records(rows)})
    )


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_aws_cli_reports_an_unknown_endpoint_as_validation_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    result = invoke_endpoint(emulator, tmp_path, "ghost", b"1,2,3,4")
    assert result.returncode != 0  # 255 from CLI v1, 254 from v2
    assert (
        "An error occurred (ValidationError) when calling the InvokeEndpoint operation: "
        f"Endpoint ghost of account {ACCOUNT_ID} not found."
    ) in result.stderr
