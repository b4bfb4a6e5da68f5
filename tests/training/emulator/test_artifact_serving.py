"""The local endpoint serving SageMaker artifacts: through boto3, the AWS CLI and the SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest

from tests.training.emulator.artifact_layout import artifact, tar_of
from tests.training.emulator.conftest import csv_body, feature_rows
from tests.training.emulator.test_aws_cli import AWS, OUTFILE, invoke_endpoint
from training.emulator import Emulator

RNG = np.random.default_rng(11)
WEIGHTS = {
    "prices": (RNG.normal(size=(4, 1)), RNG.normal(size=1), "regressor"),
    "approvals": (RNG.normal(size=(4, 1)), RNG.normal(size=1), "binary_classifier"),
    "species": (RNG.normal(size=(4, 3)), RNG.normal(size=3), "multiclass_classifier"),
}


def expected_scores(name: str, rows: np.ndarray) -> np.ndarray:
    """What the weights compute, by numpy, from the float32 values the artifact stores."""
    weights, bias, kind = WEIGHTS[name]
    z = rows @ weights.astype(np.float32).astype(np.float64) + bias.astype(np.float32)
    if kind == "regressor":
        return z[:, 0]
    if kind == "binary_classifier":
        return 1 / (1 + np.exp(-z[:, 0]))
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """Artifacts in place of the local models: what the conftest's ``emulator`` serves here."""
    for name, (weights, bias, kind) in WEIGHTS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.tar.gz").write_bytes(artifact(kind, weights, bias))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model.tar.gz").write_bytes(tar_of({"notes.txt": b"no model"}))
    return tmp_path


@pytest.mark.parametrize("name", list(WEIGHTS))
def test_boto3_gets_what_the_weights_compute_from_an_imported_artifact(
    runtime: Any, name: str
) -> None:
    rows = feature_rows(5)
    answer = runtime.invoke_endpoint(EndpointName=name, Body=csv_body(rows), ContentType="text/csv")

    predictions = json.loads(answer["Body"].read())["predictions"]

    scores = np.array([p["score"] for p in predictions])
    assert scores == pytest.approx(expected_scores(name, rows), rel=1e-6)


def test_a_multiclass_artifact_is_served_by_endpoint_name_with_no_catalog_entry(
    runtime: Any,
) -> None:
    rows = feature_rows(3)
    answer = runtime.invoke_endpoint(
        EndpointName="species", Body=csv_body(rows), ContentType="text/csv"
    )

    predictions = json.loads(answer["Body"].read())["predictions"]

    labels = [p["predicted_label"] for p in predictions]
    assert labels == expected_scores("species", rows).argmax(axis=1).tolist()


def test_a_broken_artifact_is_reported_by_name_while_the_others_keep_serving(
    runtime: Any, log: list[str]
) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName="broken", Body=b"1,2,3,4", ContentType="text/csv")

    answer = runtime.invoke_endpoint(EndpointName="prices", Body=b"1,2,3,4", ContentType="text/csv")
    # Read to the end: an unread body keeps its socket out of the pool, left for the GC.
    predictions = json.loads(answer["Body"].read())["predictions"]

    assert "has no model_algo-1" in raised.value.response["Error"]["Message"]
    assert any(line.startswith("endpoint broken: cannot load") for line in log)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(predictions) == 1


@pytest.mark.skipif(not AWS.exists(), reason="the AWS CLI is not installed in this venv")
def test_the_aws_cli_gets_what_the_weights_compute(emulator: Emulator, tmp_path: Path) -> None:
    rows = feature_rows(2)

    result = invoke_endpoint(emulator, tmp_path, "approvals", csv_body(rows))

    assert result.returncode == 0, result.stderr
    scores = [p["score"] for p in json.loads((tmp_path / OUTFILE).read_text())["predictions"]]
    assert scores == pytest.approx(expected_scores("approvals", rows).tolist(), rel=1e-6)


@pytest.mark.filterwarnings(
    "ignore:.*SageMaker Python SDK v2, which is on path of deprecation:FutureWarning"
)
@pytest.mark.parametrize("name", list(WEIGHTS))
def test_the_sdk_linear_learner_predictor_gets_what_the_weights_compute(
    emulator: Emulator, name: str
) -> None:
    import sagemaker
    from sagemaker import LinearLearnerPredictor

    boto_session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    control = boto_session.client("sagemaker", endpoint_url=emulator.url)
    runtime = boto_session.client("sagemaker-runtime", endpoint_url=emulator.url)
    session: Any = sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=control,
        sagemaker_runtime_client=runtime,
        sagemaker_config={"SchemaVersion": "1.0"},
    )
    rows = feature_rows(3).astype(np.float32)

    try:
        records = LinearLearnerPredictor(name, sagemaker_session=session).predict(rows)
    finally:
        # Closed here, not whenever the garbage collector gets to them: an open socket found
        # then is a ResourceWarning in whichever test happens to be running.
        runtime.close()
        control.close()

    scores = np.array([list(r.label["score"].float32_tensor.values) for r in records])
    expected = expected_scores(name, rows.astype(np.float64))
    assert scores.reshape(expected.shape) == pytest.approx(expected, rel=1e-5)
