"""The Lambda stays small: only pydantic (and boto3, which the runtime ships) beyond the stdlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCES = [ROOT / "app.py", *sorted((ROOT / "chalicelib").glob("*.py"))]
ALLOWED = {"chalice", "chalicelib", "pydantic", "pydantic_core", "boto3", "botocore"} | set(
    sys.stdlib_module_names
)


def top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_lambda_code_imports_nothing_beyond_its_runtime():
    imported = set().union(*(top_level_imports(path) for path in LAMBDA_SOURCES))
    assert imported - ALLOWED == set()


def test_importing_the_app_loads_no_numpy_pandas_or_sagemaker():
    check = "import sys, app; print(sorted({'numpy', 'pandas', 'sagemaker', 'boto3'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # boto3 too: it is imported on the first request, which keeps cold starts short.
    assert result.stdout.strip() == "[]"


def test_requirements_hold_only_pydantic():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert [
        line.split(">")[0].split("=")[0] for line in lines if line and not line.startswith("#")
    ] == ["pydantic"]
