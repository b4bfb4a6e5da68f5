"""The SageMaker Python SDK v2's predictors, unchanged, against the emulator.

The SDK warns on import and on every Predictor that v2 is being deprecated; those
FutureWarnings (and only those) are ignored in this module. The SDK is imported inside
the fixtures so the warning is raised under this module's filter, not during collection.
"""

from __future__ import annotations

from typing import Any

import boto3
import numpy as np
import pytest

from tests.training.emulator.conftest import REGION, feature_rows
from training.emulator import Emulator
from training.linear_learner import LinearLearner

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*SageMaker Python SDK v2, which is on path of deprecation:FutureWarning"
)


@pytest.fixture
def session(emulator: Emulator) -> Any:
    """A sagemaker.Session whose runtime client talks to the emulator; no network at all."""
    import sagemaker

    boto_session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return sagemaker.Session(
        boto_session=boto_session,
        # Given explicitly so the SDK builds nothing that could reach AWS.
        sagemaker_client=boto_session.client("sagemaker", endpoint_url=emulator.url),
        sagemaker_runtime_client=boto_session.client(
            "sagemaker-runtime", endpoint_url=emulator.url
        ),
        sagemaker_config={"SchemaVersion": "1.0"},
    )


def test_predictor_with_csv_serializer_and_json_deserializer(
    session: Any, learners: dict[str, LinearLearner]
) -> None:
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    predictor = Predictor(
        "housing",
        sagemaker_session=session,
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    rows = feature_rows(3)
    answer = predictor.predict(rows)
    expected = [record["score"] for record in learners["housing"].predict_records(rows)]
    assert [record["score"] for record in answer["predictions"]] == pytest.approx(expected)


@pytest.mark.parametrize("name", ["housing", "credit", "weather"])
def test_linear_learner_predictor_with_its_default_protobuf_serializers(
    session: Any, learners: dict[str, LinearLearner], name: str
) -> None:
    from sagemaker import LinearLearnerPredictor

    rows = feature_rows(4).astype(np.float32)
    records = LinearLearnerPredictor(name, sagemaker_session=session).predict(rows)
    expected = learners[name].predict_records(rows.astype(np.float64))
    assert len(records) == len(expected)
    for record, wanted in zip(records, expected, strict=True):
        scores = list(record.label["score"].float32_tensor.values)
        assert scores == pytest.approx(np.atleast_1d(wanted["score"]).tolist(), rel=1e-6)
        if "predicted_label" in wanted:
            assert record.label["predicted_label"].float32_tensor.values[0] == float(
                wanted["predicted_label"]
            )
        else:
            assert "predicted_label" not in record.label


def test_linear_learner_predictor_accepts_a_single_row_vector(
    session: Any, learners: dict[str, LinearLearner]
) -> None:
    from sagemaker import LinearLearnerPredictor

    row = feature_rows(1)[0].astype(np.float32)
    (record,) = LinearLearnerPredictor("credit", sagemaker_session=session).predict(row)
    expected = learners["credit"].predict_records(row.astype(np.float64).reshape(1, -1))[0]
    assert record.label["predicted_label"].float32_tensor.values[0] == expected["predicted_label"]


def test_predictor_surfaces_the_model_error_botocore_raises(session: Any) -> None:
    from sagemaker import LinearLearnerPredictor

    predictor = LinearLearnerPredictor("housing", sagemaker_session=session)
    runtime = session.sagemaker_runtime_client
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        predictor.predict(np.ones((1, 3), dtype=np.float32))
    assert raised.value.response["OriginalStatusCode"] == 400
