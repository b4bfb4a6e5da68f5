"""``transform --target aws``: a file as a SageMaker Batch Transform job, against moto.

moto's transform jobs complete at once and write nothing, so each test puts in S3 the
``.out`` object SageMaker would write (JSON Lines, one record per row sent, in order) and
checks what comes back. The job's name, and so where it writes, follows from the fake clock.
botocore's Stubber stands in where a job must take time (still running, then done) or fail.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from tests.training.aws.support import (
    BUCKET,
    REGION,
    build_aws,
    expect_model,
    given_trained,
)
from tests.training.batch.files import (
    credit_rows,
    csv_text,
    housing_rows,
    jsonl,
    output_rows,
    write,
)
from training.aws import workflow
from training.aws.errors import InvalidSetting, NotTrained, TransformFailed
from training.aws.transform import transform
from training.batch.request import TransformRequest
from training.cli import build_parser
from training.errors import InputError

JOB = "sagemaker-predictions-housing-transform-20250301-120001"  # the fake clock's first tick
BASE = f"sagemaker-predictions/housing/transform/{JOB}"
TAGS = [
    {"Key": "project", "Value": "sagemaker-predictions"},
    {"Key": "model", "Value": "housing"},
]


def request(*argv: str) -> TransformRequest:
    return TransformRequest.from_args(build_parser().parse_args(["transform", *argv]))


def will_write(harness, records: list[dict], job: str = JOB, model: str = "housing") -> None:
    """The .out object the job writes: one JSON Lines record per row it was sent."""
    key = f"sagemaker-predictions/{model}/transform/{job}/output/features.csv.out"
    body = "".join(json.dumps(record) + "\n" for record in records)
    harness.s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def test_a_csv_file_is_predicted_by_a_job_and_joined_back_in_order(harness, tmp_path):
    given_trained(harness, "housing")
    rows = housing_rows(5)
    source = write(tmp_path / "in.csv", csv_text(rows))
    will_write(harness, [{"score": 10.0 + i} for i in range(5)])

    tally = transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    written = output_rows(tmp_path / "in.predictions.csv")
    assert [row["score"] for row in written] == ["10.0", "11.0", "12.0", "13.0", "14.0"]
    assert [row["rm"] for row in written] == [str(row["rm"]) for row in rows]
    assert (tally.predicted, tally.rejected) == (5, 0)


def test_the_job_gets_header_less_feature_csv_split_by_line_in_payloads(harness, tmp_path):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(2)))
    will_write(harness, [{"score": 1.0}, {"score": 2.0}])
    harness.with_settings(instance_type="ml.m5.xlarge", instance_count=2)

    transform(
        harness.aws,
        request("housing", str(source), "--max-payload-mb", "4", "--concurrency", "3"),
        stderr=io.StringIO(),
    )

    job = harness.sagemaker.describe_transform_job(TransformJobName=JOB)
    assert job["ModelName"] == JOB
    assert (job["BatchStrategy"], job["MaxPayloadInMB"], job["MaxConcurrentTransforms"]) == (
        "MultiRecord",
        4,
        3,
    )
    assert job["TransformInput"] == {
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{BASE}/input/"}
        },
        "ContentType": "text/csv",
        "SplitType": "Line",
    }
    assert job["TransformOutput"] == {
        "S3OutputPath": f"s3://{BUCKET}/{BASE}/output",
        "Accept": "application/jsonlines",
        "AssembleWith": "Line",
    }
    assert job["TransformResources"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2}
    sent = harness.s3.get_object(Bucket=BUCKET, Key=f"{BASE}/input/features.csv")["Body"].read()
    assert sent.decode().splitlines() == csv_text(housing_rows(2)).splitlines()[1:]


def test_the_model_made_for_the_job_is_removed_once_it_is_over(harness, tmp_path):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))
    will_write(harness, [{"score": 1.0}])

    transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    assert harness.sagemaker.list_models()["Models"] == []
    assert "housing: uploaded 1 rows" in harness.output
    assert (
        f"housing: started transform job {JOB} on 1 x ml.m5.large (~$0.115/h while it runs)"
        in harness.output
    )


def test_credit_json_lines_come_back_with_labels_and_rejects_set_aside(harness, tmp_path):
    given_trained(harness, "credit")
    rows = credit_rows(4)
    rows[1] = {**rows[1], "purpose": "a yacht"}
    source = write(tmp_path / "in.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    job = JOB.replace("housing", "credit")
    will_write(
        harness,
        [
            {"score": 0.8, "predicted_label": 1},
            {"score": 0.1, "predicted_label": 0},
            {"score": 0.6, "predicted_label": 1},
        ],
        job,
        "credit",
    )

    tally = transform(
        harness.aws, request("credit", str(source), "--on-error", "skip"), stderr=io.StringIO()
    )

    written = jsonl(tmp_path / "in.predictions.jsonl")
    assert [
        (row["age"], row["label"], row["predicted_label"], row["score"]) for row in written
    ] == [
        (rows[0]["age"], "bad", 1, 0.8),
        (rows[2]["age"], "good", 0, 0.1),
        (rows[3]["age"], "bad", 1, 0.6),
    ]
    (rejected,) = jsonl(tmp_path / "in.predictions.jsonl.rejected.jsonl")
    assert (rejected["line"], rejected["errors"][0]["field"]) == (2, "purpose")
    assert (tally.predicted, tally.rejected) == (3, 1)
    sent = harness.s3.get_object(
        Bucket=BUCKET, Key=f"sagemaker-predictions/credit/transform/{job}/input/features.csv"
    )["Body"].read()
    assert [len(line.split(b",")) for line in sent.splitlines()] == [26, 26, 26]


def test_standard_input_to_standard_output(harness):
    given_trained(harness, "housing")
    will_write(harness, [{"score": 3.5}, {"score": 4.5}])
    out, err = io.StringIO(), io.StringIO()

    transform(
        harness.aws,
        request("housing", "-"),
        stdin=io.BytesIO(csv_text(housing_rows(2)).encode()),
        stdout=out,
        stderr=err,
    )

    assert [line.rsplit(",", 1)[1] for line in out.getvalue().splitlines()] == [
        "score",
        "3.5",
        "4.5",
    ]
    assert "housing: 2 input rows = 2 predicted + 0 rejected" in err.getvalue()


def test_a_bad_row_stops_before_anything_is_sent_to_aws(harness, tmp_path):
    given_trained(harness, "housing")
    rows = housing_rows(3)
    rows[2] = {**rows[2], "tax": "lots"}
    source = write(tmp_path / "in.csv", csv_text(rows))

    with pytest.raises(InputError) as stopped:
        transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    assert str(stopped.value).startswith(
        f"{source} line 4: field tax: Input should be a valid number, unable to parse string as "
        "a number; nothing was sent to AWS"
    )
    assert harness.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert harness.sagemaker.list_transform_jobs()["TransformJobSummaries"] == []


def test_a_model_with_no_training_record_is_refused_with_the_command_that_makes_one(
    harness, tmp_path
):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))

    with pytest.raises(NotTrained) as refused:
        transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    assert "run `python -m training train housing --target aws` first" in str(refused.value)


def test_a_job_that_writes_nothing_is_an_error_naming_where_it_looked(harness, tmp_path):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))

    with pytest.raises(TransformFailed) as failed:
        transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    assert str(failed.value) == (
        f"transform job {JOB} completed, but s3://{BUCKET}/{BASE}/output/ holds 0 .out "
        "objects where one was expected"
    )
    assert not (tmp_path / "in.predictions.csv").exists()


def test_output_with_fewer_predictions_than_rows_is_an_error(harness, tmp_path):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(3)))
    will_write(harness, [{"score": 1.0}, {"score": 2.0}])

    with pytest.raises(TransformFailed, match="holds 2 predictions for 3 rows"):
        transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())


def test_purge_data_removes_the_jobs_input_and_output(harness, tmp_path):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))
    will_write(harness, [{"score": 1.0}])
    transform(harness.aws, request("housing", str(source)), stderr=io.StringIO())

    workflow.delete(harness.aws, ["housing"], purge_data=True)

    assert harness.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


# -- a job that takes time, or fails: SageMaker's answers through the Stubber ---------------


def described_job(status: str, reason: str = "") -> dict:
    answer = {
        "TransformJobName": JOB,
        "TransformJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:transform-job/{JOB}",
        "TransformJobStatus": status,
        "ModelName": JOB,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{BASE}/input/"}
            }
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "CreationTime": datetime(2025, 3, 1, 12, 0, 1, tzinfo=UTC),
    }
    if status != "InProgress":
        answer["TransformStartTime"] = datetime(2025, 3, 1, 12, 3, 0, tzinfo=UTC)
        answer["TransformEndTime"] = datetime(2025, 3, 1, 12, 9, 0, tzinfo=UTC)
    if reason:
        answer["FailureReason"] = reason
    return answer


def expect_job(stubber, statuses: list[str], reason: str = "") -> None:
    expect_model(stubber, JOB, TAGS)
    stubber.add_response(
        "create_transform_job",
        {"TransformJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:transform-job/{JOB}"},
        {
            "TransformJobName": JOB,
            "ModelName": JOB,
            "BatchStrategy": "MultiRecord",
            "MaxConcurrentTransforms": 1,
            "MaxPayloadInMB": 6,
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/{BASE}/input/",
                    }
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": f"s3://{BUCKET}/{BASE}/output",
                "Accept": "application/jsonlines",
                "AssembleWith": "Line",
            },
            "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
            "Tags": TAGS,
        },
    )
    for status in statuses:
        stubber.add_response(
            "describe_transform_job", described_job(status, reason), {"TransformJobName": JOB}
        )
    stubber.add_response("delete_model", {}, {"ModelName": JOB})
    stubber.add_response(
        "describe_transform_job", described_job(statuses[-1], reason), {"TransformJobName": JOB}
    )


@pytest.fixture
def stubbed_aws(session, stubbed, harness):
    """The harness's settings and records, its SageMaker calls answered by the Stubber."""
    client, stubber = stubbed
    given_trained(harness, "housing")
    return build_aws(session, harness.aws.settings, harness.time, harness.printed, client), stubber


def test_the_wait_reports_the_running_cost_until_the_job_is_done(stubbed_aws, tmp_path, harness):
    aws, stubber = stubbed_aws
    source = write(tmp_path / "in.csv", csv_text(housing_rows(2)))
    expect_job(stubber, ["InProgress", "InProgress", "Completed"])

    def while_waiting(seconds: float) -> None:
        will_write(harness, [{"score": 1.0}, {"score": 2.0}])  # SageMaker at work
        harness.time.sleep(seconds)

    aws.sleep = while_waiting

    transform(aws, request("housing", str(source)), stderr=io.StringIO())

    assert harness.printed[-4:] == [
        f"housing: started transform job {JOB} on 1 x ml.m5.large (~$0.115/h while it runs)",
        f"housing: transform job {JOB}: InProgress (~$0.000 so far), 0s so far",
        f"housing: transform job {JOB}: Completed after 1m00s",
        "housing: the job ran 360 s, about $0.011",
    ]
    assert len(output_rows(tmp_path / "in.predictions.csv")) == 2


def test_a_failed_job_says_why_and_where_its_logs_are(stubbed_aws, tmp_path):
    aws, stubber = stubbed_aws
    source = write(tmp_path / "in.csv", csv_text(housing_rows(2)))
    expect_job(stubber, ["Failed"], reason="ClientError: 400 unable to evaluate payload provided")

    with pytest.raises(TransformFailed) as failed:
        transform(aws, request("housing", str(source)), stderr=io.StringIO())

    assert str(failed.value) == (
        f"transform job {JOB} Failed: ClientError: 400 unable to evaluate payload provided "
        f"(log: CloudWatch group /aws/sagemaker/TransformJobs, streams {JOB}/...); "
        "no output was written"
    )
    assert not (tmp_path / "in.predictions.csv").exists()


def test_status_lists_a_running_transform_job_and_its_hourly_cost(session, stubbed, harness):
    client, stubber = stubbed
    harness.aws.sagemaker = type(harness.aws.sagemaker)(client)
    for operation, key in (
        ("list_endpoints", "Endpoints"),
        ("list_endpoint_configs", "EndpointConfigs"),
        ("list_models", "Models"),
        ("list_training_jobs", "TrainingJobSummaries"),
    ):
        stubber.add_response(operation, {key: []})
    stubber.add_response(
        "list_transform_jobs",
        {
            "TransformJobSummaries": [
                {
                    "TransformJobName": JOB,
                    "TransformJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:transform-job/{JOB}",
                    "CreationTime": datetime(2025, 3, 1, 12, 0, 1, tzinfo=UTC),
                    "TransformJobStatus": "InProgress",
                }
            ]
        },
        {"NameContains": "sagemaker-predictions", "StatusEquals": "InProgress"},
    )
    stubber.add_response(
        "describe_transform_job",
        {
            **described_job("InProgress"),
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2},
        },
        {"TransformJobName": JOB},
    )

    total = workflow.status(harness.aws, ["housing"])

    assert f"transform job {JOB} running on 2 x ml.m5.large (~$0.230/h)" in harness.printed
    assert total == pytest.approx(0.23)


def test_concurrency_times_payload_over_sagemakers_limit_is_refused_before_any_call(
    harness, tmp_path
):
    given_trained(harness, "housing")
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))

    with pytest.raises(
        InvalidSetting,
        match="--concurrency x --max-payload-mb is 120 MB; SageMaker allows at most 100",
    ):
        transform(
            harness.aws,
            request("housing", str(source), "--max-payload-mb", "20", "--concurrency", "6"),
            stderr=io.StringIO(),
        )
    assert harness.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_without_bucket_or_role_the_command_names_both_and_calls_nothing(capsys, tmp_path):
    from training.aws import verbs
    from training.cli import report_errors

    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))
    args = build_parser().parse_args(["transform", "housing", str(source), "--target", "aws"])

    def must_not_connect(*_: object) -> None:
        raise AssertionError("an AWS client was made before the settings were complete")

    status = report_errors(
        lambda: verbs.run("transform", args, environ={}, connect=must_not_connect)
    )

    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: missing --bucket (or SAGEMAKER_BUCKET), --role-arn (or SAGEMAKER_ROLE_ARN); "
        "nothing was sent to AWS"
    ]
