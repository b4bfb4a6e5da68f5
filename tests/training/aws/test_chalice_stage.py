"""The API's Chalice stages point at the endpoints that ``deploy`` names, and no further."""

from __future__ import annotations

import json
import shutil

from training.aws import chalice_stage, naming
from training.paths import PROJECT_DIR


def test_the_committed_prod_stage_and_policy_are_what_write_stage_makes():
    assert chalice_stage.stage_is_current("prod", PROJECT_DIR / ".chalice")


def test_the_chalice_app_name_is_the_prefix_of_every_resource_name():
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())

    assert config["app_name"] == naming.APP


def test_a_stage_policy_invokes_only_that_stages_three_endpoints():
    [invoke, logs] = chalice_stage.invoke_policy("beta")["Statement"]

    assert (invoke["Action"], invoke["Resource"]) == (
        "sagemaker:InvokeEndpoint",
        [
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-rainfall-beta",
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-housing-beta",
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-credit-beta",
        ],
    )
    assert (logs["Action"], logs["Resource"]) == (
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "arn:aws:logs:*:*:log-group:/aws/lambda/*",
    )


def test_writing_a_new_stage_keeps_the_other_stages_as_they_were(tmp_path):
    shutil.copy(PROJECT_DIR / ".chalice" / "config.json", tmp_path / "config.json")
    before = json.loads((tmp_path / "config.json").read_text())

    chalice_stage.write_stage("beta", tmp_path)

    after = json.loads((tmp_path / "config.json").read_text())
    assert {k: v for k, v in after["stages"].items() if k != "beta"} == before["stages"]
    assert after["stages"]["beta"] == {
        "api_gateway_stage": "api",
        "environment_variables": chalice_stage.stage_environment("beta"),
        "autogen_policy": False,
        "iam_policy_file": "policy-beta.json",
    }


def test_writing_a_stage_twice_changes_nothing_the_second_time(tmp_path):
    shutil.copy(PROJECT_DIR / ".chalice" / "config.json", tmp_path / "config.json")
    chalice_stage.write_stage("beta", tmp_path)

    assert chalice_stage.write_stage("beta", tmp_path) == []
