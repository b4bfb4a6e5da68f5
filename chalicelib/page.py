"""The browser page at ``GET /``: one static HTML file, its script and style inline.

The page holds no field list of its own: it builds a form per model in the browser from
``GET /models``, so it can't drift from the catalog that validates requests. ``page.html`` sits
beside this module, so ``chalice package`` ships it with the rest of ``chalicelib/``; it is read
on the first request, never at import, so ``import app`` stays fast.

Its Content-Security-Policy allows exactly the page's own inline script and style (by their
SHA-256) and calls to its own origin: nothing from a CDN could load even by mistake.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PAGE_FILE = Path(__file__).with_name("page.html")
MAX_PAGE_BYTES = 60 * 1024
_INLINE = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL) for tag in ("script", "style")}


@dataclass(frozen=True)
class Page:
    """The page's HTML and the headers it is served with."""

    html: str
    headers: dict[str, str]


def _hashes(html: str, tag: str) -> str:
    digests = (
        hashlib.sha256(block.encode("utf-8")).digest() for block in _INLINE[tag].findall(html)
    )
    return " ".join(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)


def content_security_policy(html: str) -> str:
    """A policy that lets the page run its own inline code and call only its own origin."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {_hashes(html, 'script')}",
            f"style-src {_hashes(html, 'style')}",
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@cache
def page() -> Page:
    """The page, read and its policy computed once per warm container."""
    html = PAGE_FILE.read_text(encoding="utf-8")
    return Page(
        html=html,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": content_security_policy(html),
            "X-Content-Type-Options": "nosniff",
            # The page is small and changes with each deploy; revalidating costs little.
            "Cache-Control": "no-cache",
        },
    )
