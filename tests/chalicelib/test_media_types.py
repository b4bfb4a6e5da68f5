"""Content-Type headers as the API and the local endpoint both read them."""

import pytest

from chalicelib.media_types import media_type


@pytest.mark.parametrize(
    ("header", "media"),
    [("Text/CSV; charset=UTF-8", "text/csv"), (" Application/JSON ", "application/json")],
)
def test_media_type_ignores_parameters_case_and_blanks(header, media):
    assert media_type(header, default="x/y") == media


@pytest.mark.parametrize("header", [None, "", "  "])
def test_an_absent_content_type_is_the_callers_default(header):
    assert media_type(header, default="application/octet-stream") == "application/octet-stream"
