"""``python -m training ... --target aws``: each problem ends as one line saying what to fix."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.training.aws.support import (
    BUCKET,
    ENDPOINT,
    NEW,
    REGION,
    ROLE_ARN,
    FakeTime,
    build_aws,
    described,
    expect_new_version,
    record_training,
)
from training.aws import errors
from training.aws import verbs as aws_verbs
from training.aws.state import TrainingStore
from training.cli import build_parser, report_errors

ROLE_ENV = {"SAGEMAKER_ROLE_ARN": ROLE_ARN, "SAGEMAKER_BUCKET": BUCKET}


def parse(*argv: str):
    args = build_parser().parse_args([*argv, "--target", "aws"])
    args.models = list(args.models) or ["rainfall", "housing", "credit"]
    return args


def must_not_connect(*_: object) -> None:
    raise AssertionError("an AWS client was made before the settings were complete")


def run(args, environ, session_factory=boto3.session.Session, connect=must_not_connect):
    return report_errors(
        lambda: aws_verbs.run(
            args.command,
            args,
            environ=environ,
            session_factory=session_factory,
            out=lambda line: None,
            connect=connect,
        )
    )


def only_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_train_without_bucket_or_role_names_both_and_calls_nothing(capsys):
    status = run(parse("train"), environ={})

    assert status == 2
    assert only_line(capsys) == (
        "error: missing --bucket (or SAGEMAKER_BUCKET), --role-arn (or SAGEMAKER_ROLE_ARN); "
        "nothing was sent to AWS"
    )


def test_deploy_without_a_region_anywhere_asks_for_one(capsys, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    status = run(parse("deploy", "housing"), environ={"SAGEMAKER_ROLE_ARN": ROLE_ARN})

    assert status == 2
    assert only_line(capsys) == (
        "error: missing --region (or AWS_REGION / AWS_DEFAULT_REGION); nothing was sent to AWS"
    )


def test_a_role_that_is_not_a_role_arn_is_refused_before_any_call(capsys):
    status = run(parse("deploy", "--role-arn", "SageMakerRole"), environ={})

    assert status == 2
    assert only_line(capsys).startswith(
        "error: --role-arn 'SageMakerRole' is not an IAM role ARN (arn:aws:iam::"
    )


def test_missing_credentials_end_with_one_line_saying_where_to_put_them(capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    status = run(parse("status"), environ={})

    assert status == 2
    assert only_line(capsys).startswith("error: no AWS credentials found: run `aws configure`")


def test_an_unknown_profile_ends_with_one_line_naming_it(capsys):
    status = run(parse("status", "--profile", "nowhere"), environ={})

    assert status == 2
    assert only_line(capsys).startswith("error: AWS profile 'nowhere' is not in ~/.aws/config")


def test_a_bucket_that_does_not_exist_ends_with_the_command_that_makes_it(capsys, session):
    status = run(
        parse("train", "housing", "--bucket", "absent-bucket"),
        environ=ROLE_ENV,
        session_factory=lambda **_: session,
        connect=aws_verbs.connect,
    )

    assert status == 2
    assert only_line(capsys) == (
        "error: bucket 'absent-bucket' does not exist: create it with "
        "`aws s3 mb s3://absent-bucket --region us-east-1` or pass another --bucket"
    )


def test_an_aws_refusal_ends_as_one_line_with_a_hint_not_a_traceback(capsys, session, stubbed):
    client, stubber = stubbed
    stubber.add_client_error(
        "list_endpoints",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/dev is not authorized to "
        "perform: sagemaker:ListEndpoints",
        http_status_code=400,
    )

    def connect(settings, session_, out):
        return build_aws(session_, settings, FakeTime(), [], client)

    status = run(parse("status"), environ={}, session_factory=lambda **_: session, connect=connect)

    assert status == 2
    assert only_line(capsys) == (
        "error: ListEndpoints was refused (AccessDeniedException): User: "
        "arn:aws:iam::123456789012:user/dev is not authorized to perform: "
        "sagemaker:ListEndpoints; the credentials lack a permission for this call; check the "
        "IAM policy of the user or role you run as"
    )


def test_an_endpoint_that_fails_to_reach_in_service_ends_with_exit_status_2(
    capsys, session, stubbed, tmp_path
):
    client, stubber = stubbed
    stubber.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f'Could not find endpoint "{ENDPOINT}".',
    )
    expect_new_version(stubber)
    stubber.add_response("create_endpoint", {"EndpointArn": f"arn:aws:sagemaker:{REGION}:1:e/x"})
    for _ in range(2):
        stubber.add_response("describe_endpoint", described("Failed", NEW, "ping failed"))
    record_training(TrainingStore(tmp_path / "state"), "housing")

    def connect(settings, session_, out):
        return build_aws(session_, settings, FakeTime(), [], client)

    status = run(
        parse("deploy", "housing"),
        environ={**ROLE_ENV, "SAGEMAKER_STATE_DIR": str(tmp_path / "state")},
        session_factory=lambda **_: session,
        connect=connect,
    )

    assert status == 2
    assert only_line(capsys).startswith(f"error: endpoint {ENDPOINT} is Failed: ping failed")


# Each AWS verb with the positional arguments it needs.
AWS_COMMAND_LINES = {
    "train": ["train"],
    "tune": ["tune", "housing"],
    "deploy": ["deploy"],
    "delete": ["delete"],
    "status": ["status"],
    "api-keys": ["api-keys", "list"],
    "import": ["import", "housing"],
    "transform": ["transform", "housing", "in.csv"],
}


def test_every_aws_verb_is_covered_here():
    assert sorted(AWS_COMMAND_LINES) == sorted(aws_verbs.VERBS)


@pytest.mark.parametrize("verb", sorted(AWS_COMMAND_LINES))
def test_every_aws_verb_takes_region_and_profile_flags(verb):
    argv = [*AWS_COMMAND_LINES[verb], "--region", "eu-west-1", "--profile", "p"]

    args = build_parser().parse_args(argv)

    assert (args.region, args.profile) == ("eu-west-1", "p")


def test_a_serverless_memory_size_aws_does_not_offer_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["deploy", "--serverless", "--memory-mb", "1000"])

    assert raised.value.code == 2
    assert "--memory-mb: invalid choice: 1000" in capsys.readouterr().err


def test_a_role_sagemaker_cannot_assume_is_explained_with_the_trust_policy_to_check():
    refusal = ClientError(
        {
            "Error": {
                "Code": "ValidationException",
                "Message": "Could not assume role arn:aws:iam::123456789012:role/x. Please "
                "ensure that the role exists and allows principal 'sagemaker.amazonaws.com' "
                "to assume the role.",
            }
        },
        "CreateTrainingJob",
    )

    explained = str(errors.explain(refusal))

    assert explained.startswith("CreateTrainingJob was refused (ValidationException): Could not")
    assert explained.endswith(
        "check that --role-arn names a role whose trust policy lets sagemaker.amazonaws.com "
        "assume it"
    )
