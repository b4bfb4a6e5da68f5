"""The OpenAPI document describes the key and the CSV body as the API enforces them."""

from __future__ import annotations

import re

import pytest

import app as app_module
from chalicelib.catalog import CATALOG
from chalicelib.openapi import openapi_document

DOCUMENT = openapi_document(1000)


def test_the_key_is_an_api_key_scheme_in_the_x_api_key_header():
    schemes = DOCUMENT["components"]["securitySchemes"]

    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items()} == {
        "api_key": ("apiKey", "header", "x-api-key")
    }


def test_exactly_the_operations_whose_routes_need_a_key_name_the_scheme():
    secured = {
        (path, method.upper())
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") == [{"api_key": []}]
    }
    keyed = {
        (path, method)
        for path, methods in app_module.app.routes.items()
        for method, entry in methods.items()
        if entry.api_key_required
    }

    assert secured == keyed == {(f"/{name}", "POST") for name in CATALOG}


@pytest.mark.parametrize("model", list(CATALOG))
def test_a_prediction_operation_documents_the_gateways_403_and_429(model):
    responses = DOCUMENT["paths"][f"/{model}"]["post"]["responses"]

    for status in ("403", "429"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/GatewayError"}


@pytest.mark.parametrize("model", list(CATALOG))
def test_the_csv_body_is_described_as_a_header_row_and_at_least_one_line(model):
    body = DOCUMENT["paths"][f"/{model}"]["post"]["requestBody"]["content"]["text/csv"]
    schema = body["schema"]
    header = ",".join(CATALOG[model].instance_model.model_fields)

    assert schema["minLength"] > len(header)
    assert re.search(schema["pattern"], body["example"])
    for refused in ("", "\n", header, header + "\n"):
        assert re.search(schema["pattern"], refused) is None
