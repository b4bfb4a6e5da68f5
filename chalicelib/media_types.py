"""Content-Type headers, read the same way by the API and by the local SageMaker endpoint.

Standard library only: the Lambda imports it, and so does ``training/emulator/formats.py``.
"""

from __future__ import annotations


def media_type(content_type: str | None, default: str) -> str:
    """The bare, lower-case media type of a Content-Type header; ``default`` when absent.

    >>> media_type("Text/CSV; charset=UTF-8", default="application/json")
    'text/csv'
    """
    if not content_type or not content_type.strip():
        return default
    return content_type.split(";", 1)[0].strip().lower()
