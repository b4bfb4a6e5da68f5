"""The page at ``GET /``: small, self-contained, locked to its own code, and free of field lists."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from pathlib import Path

from chalicelib.catalog import CATALOG
from chalicelib.page import MAX_PAGE_BYTES, PAGE_FILE, page

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_is_served_as_html_with_its_security_headers(api):
    response = api.http.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; ")
    assert response.body.decode() == PAGE_FILE.read_text(encoding="utf-8")


def test_the_page_is_at_most_60_kb():
    assert len(PAGE_FILE.read_bytes()) <= MAX_PAGE_BYTES == 60 * 1024


def test_the_page_loads_nothing_from_anywhere_else():
    html = PAGE_FILE.read_text(encoding="utf-8")

    assert re.findall(r"<(?:link|iframe|img|object|embed)\b", html) == []
    assert re.findall(r"<script\b[^>]*\bsrc=", html) == []
    # The SVG namespace is a name, never fetched.
    assert set(re.findall(r"https?://[^\s\"'`)]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "@import" not in html


def test_the_policy_allows_exactly_the_pages_own_script_and_style():
    served = page()
    policy = dict(
        directive.split(" ", 1)
        for directive in served.headers["Content-Security-Policy"].split("; ")
    )

    def digest(tag: str) -> str:
        [block] = re.findall(rf"<{tag}>(.*?)</{tag}>", served.html, re.DOTALL)
        return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"

    assert policy["script-src"] == digest("script")
    assert policy["style-src"] == digest("style")
    assert policy["connect-src"] == "'self'"


def test_the_page_names_no_field_so_it_cannot_drift_from_the_catalog():
    html = PAGE_FILE.read_text(encoding="utf-8")
    # Long enough to mean a field, not a word of the page's prose ("age", "housing").
    names = {name for spec in CATALOG.values() for name in spec.instance_model.model_fields}

    assert [name for name in sorted(names) if len(name) > 6 and name in html] == []


def test_importing_the_app_does_not_read_the_page():
    check = "import app, chalicelib.page as p; print(p.page.cache_info().currsize)"
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "0"
