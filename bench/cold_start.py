"""Lambda cold-start proxies: ``import app`` in a fresh interpreter, and the package size."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import Bars

ROOT = Path(__file__).resolve().parent.parent
BARS: Bars = {
    "import_app_ms": ("< 250", lambda ms: ms < 250),
    "lambda_zip_bytes": ("< 6 MB", lambda size: size < 6_000_000),
}
_TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
)


def import_app_ms(runs: int = 7) -> float:
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", _TIMED_IMPORT],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples)


def lambda_zip_bytes() -> int:
    """Size of the deployment package ``chalice package`` builds for the dev stage."""
    chalice = Path(sys.executable).parent / "chalice"
    with tempfile.TemporaryDirectory() as out:
        env = {
            **os.environ,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
        subprocess.run(
            [str(chalice), "package", "--stage", "dev", out],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env=env,
        )
        return (Path(out) / "deployment.zip").stat().st_size


def run() -> dict[str, float]:
    return {"import_app_ms": import_app_ms(), "lambda_zip_bytes": lambda_zip_bytes()}
