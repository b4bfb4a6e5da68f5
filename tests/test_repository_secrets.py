"""No secret lives in the repository: credentials come from the environment or the AWS chain."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"aws_secret_access_key\s*=\s*['\"]?[A-Za-z0-9/+]{40}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if not n.endswith((".csv", ".png", ".npz"))]


def test_no_tracked_file_holds_an_aws_key_or_private_key():
    found = [
        str(path.relative_to(ROOT))
        for path in tracked_text_files()
        if path.is_file()
        and any(p.search(path.read_text(errors="ignore")) for p in SECRET_PATTERNS)
    ]
    assert found == []


def test_the_chalice_stages_hold_no_credentials():
    text = (ROOT / ".chalice" / "config.json").read_text().lower()
    assert "secret" not in text
    assert "aws_access_key_id" not in text


def test_the_local_key_file_is_git_ignored():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".local-api-keys.json"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
