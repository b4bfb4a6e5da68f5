"""``chalice package --stage prod`` makes a CloudFormation template that cfn-lint passes, and
whose only IAM grant is the least-privilege policy: invoke the three prod endpoints, write logs.

The app is packaged from a copy of its Chalice inputs (``app.py``, ``chalicelib/``,
``.chalice/config.json``, ``.chalice/policy-prod.json``) whose ``requirements.txt`` is empty.
The template does not depend on what the dependency zip holds, and building that zip would
make Chalice run ``pip download pydantic``, which needs PyPI unless ``.chalice/deployments``
already caches it. ``PIP_NO_INDEX`` makes any pip run fail rather than go online.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from training.aws.chalice_stage import invoke_policy, stage_environment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "app.py", project / "app.py")
    shutil.copytree(
        ROOT / "chalicelib", project / "chalicelib", ignore=shutil.ignore_patterns("__pycache__")
    )
    (project / ".chalice").mkdir()
    for name in ("config.json", "policy-prod.json"):
        shutil.copy(ROOT / ".chalice" / name, project / ".chalice" / name)
    (project / "requirements.txt").write_text("")
    out = project / "out"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(project),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(project / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(project / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PIP_NO_INDEX": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", "prod", str(out)],
        cwd=project,
        env=environment,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def resources(template_dir: Path) -> dict[str, Any]:
    return json.loads((template_dir / "sam.json").read_text())["Resources"]


def test_the_prod_template_passes_cfn_lint(template_dir):
    result = subprocess.run(
        [str(BIN / "cfn-lint"), str(template_dir / "sam.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stdout) == (0, "")


def test_the_prod_function_has_one_role_with_only_the_least_privilege_policy(template_dir):
    found = resources(template_dir)
    roles = {name: r for name, r in found.items() if r["Type"].startswith("AWS::IAM::")}
    function = found["APIHandler"]["Properties"]

    assert list(roles) == ["ApiHandlerRole"]
    role = roles["ApiHandlerRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in function
    assert function["Role"] == {"Fn::GetAtt": ["ApiHandlerRole", "Arn"]}
    assert [policy["PolicyDocument"] for policy in role["Policies"]] == [invoke_policy("prod")]


def test_the_prod_policy_grants_invoke_on_exactly_the_three_endpoints_and_log_writes(template_dir):
    [policy] = resources(template_dir)["ApiHandlerRole"]["Properties"]["Policies"]
    grants = {
        action: statement["Resource"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }

    assert all(
        statement["Effect"] == "Allow" for statement in policy["PolicyDocument"]["Statement"]
    )
    assert grants == {
        "sagemaker:InvokeEndpoint": [
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-rainfall-prod",
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-housing-prod",
            "arn:aws:sagemaker:*:*:endpoint/sagemaker-predictions-credit-prod",
        ],
        "logs:CreateLogGroup": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
        "logs:CreateLogStream": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
        "logs:PutLogEvents": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
    }


def test_the_prod_function_is_told_the_prod_endpoint_names(template_dir):
    function = resources(template_dir)["APIHandler"]["Properties"]

    assert function["Environment"]["Variables"] == stage_environment("prod")


def swagger(template_dir: Path) -> dict[str, Any]:
    return resources(template_dir)["RestAPI"]["Properties"]["DefinitionBody"]


def test_the_prod_template_asks_for_an_api_key_on_the_three_prediction_methods_only(template_dir):
    paths = swagger(template_dir)["paths"]
    keyed = sorted(
        f"{method.upper()} {path}"
        for path, methods in paths.items()
        for method, operation in methods.items()
        if {"api_key": []} in operation.get("security", [])
    )

    assert keyed == ["POST /credit", "POST /housing", "POST /rainfall"]
    assert swagger(template_dir)["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }


def test_the_prod_function_may_run_at_most_ten_at_once(template_dir):
    function = resources(template_dir)["APIHandler"]["Properties"]

    assert function["ReservedConcurrentExecutions"] == 10


def test_the_package_ships_the_browser_page_beside_the_code(template_dir):
    with zipfile.ZipFile(template_dir / "deployment.zip") as package:
        names = set(package.namelist())
        page = package.read("chalicelib/page.html")

    assert {"app.py", "chalicelib/page.py", "chalicelib/page.html"} <= names
    assert page == (ROOT / "chalicelib" / "page.html").read_bytes()
