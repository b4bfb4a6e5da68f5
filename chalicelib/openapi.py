"""The API describing itself: ``GET /models`` and ``GET /openapi.json``.

Both are built from the catalog's pydantic models, the same ones that validate requests, so
the documentation can't drift from what the API accepts. The CSV body's ``pattern`` comes
from the same schemas (``csv_pattern.py``); the prediction operations name the ``x-api-key``
header as their ``apiKey`` security scheme.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from chalicelib import explain
from chalicelib.catalog import CATALOG, Instance, ModelSpec
from chalicelib.csv_pattern import csv_schema
from chalicelib.errors import (
    ApiError,
    EndpointTimeout,
    EndpointUnavailable,
    InvalidRequest,
    ModelFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
)

_REF = "#/components/schemas/{model}"


@cache
def instance_schema(instance_model: type[Instance]) -> dict[str, Any]:
    """The JSON Schema of a model's input, snake_case names, refs into the document's
    components; made once per process (pydantic takes milliseconds per model), shared by
    ``GET /models`` and the OpenAPI document, and never changed."""
    return instance_model.model_json_schema(by_alias=False, ref_template=_REF)


def _field_summary(name: str, schema: Mapping[str, Any], alias: str | None) -> dict[str, Any]:
    options = schema.get("anyOf", [schema])
    nullable = any(option.get("type") == "null" for option in options)
    main = next(option for option in options if option.get("type") != "null")
    summary: dict[str, Any] = {"name": name, "alias": alias, "type": main.get("type")}
    for key, label in (("minimum", "minimum"), ("maximum", "maximum"), ("enum", "values")):
        if key in main:
            summary[label] = main[key]
    summary["nullable"] = nullable
    if "description" in schema:
        summary["description"] = schema["description"]
    return summary


def describe_model(spec: ModelSpec, endpoint_name: str, max_instances: int) -> dict[str, Any]:
    """One model as ``GET /models`` lists it."""
    schema = instance_schema(spec.instance_model)
    fields = spec.instance_model.model_fields
    return {
        "name": spec.name,
        "description": spec.description,
        "path": f"/{spec.name}",
        "predictor_type": spec.predictor_type,
        "endpoint_name": endpoint_name,
        "max_instances": max_instances,
        "example": dict(spec.example),
        "reference": dict(spec.reference),
        "fields": [
            _field_summary(name, schema["properties"][name], fields[name].alias) for name in fields
        ],
        "output": (
            {"score": "predicted value"}
            if spec.class_labels is None
            else {
                "score": f"probability of '{spec.class_labels[1]}'",
                "predicted_label": "0 or 1",
                "label": list(spec.class_labels),
            }
        ),
    }


def _error_response(error: type[ApiError]) -> dict[str, Any]:
    return {
        "description": (error.__doc__ or error.code).strip().splitlines()[0],
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
    }


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "instance": {"type": "integer"},
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


def _explanation_name(spec: ModelSpec) -> str:
    return spec.instance_model.__name__.removesuffix("Instance") + "Explanation"


def _explanation_schema(spec: ModelSpec) -> dict[str, Any]:
    numbers = {name: {"type": "number"} for name in spec.field_names}
    margin = "the score" if spec.class_labels is None else "the log-odds of the score"
    properties: dict[str, Any] = {
        "scale": {
            "type": "string",
            "const": explain.scale(spec),
            "description": f"What the contributions add up on: {margin}.",
        },
        "reference_score": {
            "type": "number",
            "description": "The score of the reference instance (GET /models lists it).",
        },
        "contributions": {
            "type": "object",
            "description": (
                "Each input field's contribution to the margin against the reference: "
                "w·(x - r) over the field's columns (a one-hot group is one field). They sum "
                "to the instance's margin minus the reference's"
                + (
                    "."
                    if spec.class_labels is None
                    else f", the margin being logit(score) with the score clipped to "
                    f"[{explain.SCORE_CLIP:g}, 1 - {explain.SCORE_CLIP:g}]."
                )
            ),
            "required": list(numbers),
            "additionalProperties": False,
            "properties": numbers,
        },
    }
    if spec.class_labels is not None:
        properties["reasons"] = {
            "type": "array",
            "maxItems": explain.MAX_REASONS,
            "description": (
                f"The fields that pushed most towards '{spec.class_labels[1]}', strongest "
                f"first: at most {explain.MAX_REASONS}, only those with a positive contribution."
            ),
            "items": {
                "type": "object",
                "required": ["field", "contribution", "sentence"],
                "properties": {
                    "field": {"type": "string", "enum": list(spec.field_names)},
                    "contribution": {"type": "number", "exclusiveMinimum": 0},
                    "sentence": {
                        "type": "string",
                        "examples": ["a duration of 48 months, against 18 for the reference"],
                    },
                },
            },
        }
    return {"type": "object", "required": list(properties), "properties": properties}


# API Gateway's own answers, sent before the app runs (a bad key, a spent rate or quota).
_GATEWAY_ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
_API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "x-api-key",
    "description": "A key of the stage's usage plan; `python -m training api-keys` makes one.",
}
_GATEWAY_RESPONSES = {
    str(status): {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="GatewayError")}}},
    }
    for status, description in (
        (403, "No valid API key (API Gateway's answer)."),
        (429, "The key's rate or quota is spent (API Gateway's answer)."),
    )
}


def _prediction_schema(spec: ModelSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {"score": {"type": "number"}}
    if spec.class_labels is not None:
        properties["predicted_label"] = {"type": "integer", "enum": [0, 1]}
        properties["label"] = {"type": "string", "enum": list(spec.class_labels)}
    required = list(properties)
    properties["explanation"] = {
        "$ref": _REF.format(model=_explanation_name(spec)),
        "description": f"Only with ?{explain.PARAMETER}=true.",
    }
    return {
        "type": "object",
        "required": ["model", "predictions"],
        "properties": {
            "model": {"type": "string", "const": spec.name},
            "predictions": {
                "type": "array",
                "items": {"type": "object", "required": required, "properties": properties},
            },
        },
    }


def _explain_parameter() -> dict[str, Any]:
    return {
        "name": explain.PARAMETER,
        "in": "query",
        "required": False,
        "description": (
            "true adds an explanation to each prediction: every input field's exact "
            "contribution against the model's reference instance, from the same single "
            f"endpoint call. At most {explain.MAX_INSTANCES} instances; more is a 413. Any "
            "value but true or false is a 400."
        ),
        "schema": {"type": "string", "enum": list(explain.VALUES), "default": "false"},
    }


def _operation(spec: ModelSpec, max_instances: int) -> dict[str, Any]:
    instance_name = spec.instance_model.__name__
    instance_ref = {"$ref": _REF.format(model=instance_name)}
    return {
        "summary": spec.description,
        "operationId": f"predict_{spec.name}",
        "parameters": [_explain_parameter()],
        "security": [{"api_key": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            instance_ref,
                            {
                                "type": "object",
                                "required": ["instances"],
                                "additionalProperties": False,
                                "properties": {
                                    "instances": {
                                        "type": "array",
                                        "items": instance_ref,
                                        "minItems": 1,
                                        "maxItems": max_instances,
                                    }
                                },
                            },
                        ]
                    },
                    "example": dict(spec.example),
                },
                "text/csv": {
                    "schema": csv_schema(instance_schema(spec.instance_model), max_instances),
                    "example": spec.example_csv(),
                },
            },
        },
        "responses": {
            "200": {
                "description": "One prediction per instance, in request order.",
                "content": {"application/json": {"schema": _prediction_schema(spec)}},
            },
            **{
                str(error.status): _error_response(error)
                for error in (
                    InvalidRequest,
                    PayloadTooLarge,
                    UnsupportedMediaType,
                    ModelFailed,
                    EndpointUnavailable,
                    EndpointTimeout,
                )
            },
            **_GATEWAY_RESPONSES,
        },
    }


def openapi_document(
    max_instances: int, catalog: Mapping[str, ModelSpec] = CATALOG
) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every route (JSON Schema 2020-12, as pydantic emits)."""
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA, "GatewayError": _GATEWAY_ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for spec in catalog.values():
        schemas[spec.instance_model.__name__] = instance_schema(spec.instance_model)
        schemas[_explanation_name(spec)] = _explanation_schema(spec)
        paths[f"/{spec.name}"] = {"post": _operation(spec, max_instances)}
    json_ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    paths["/health"] = {
        "get": {"summary": "Liveness; calls no endpoint.", "responses": {"200": json_ok}}
    }
    paths["/models"] = {
        "get": {
            "summary": "The models: their fields, example and reference instances, endpoints.",
            "responses": {"200": json_ok},
        }
    }
    paths["/openapi.json"] = {"get": {"summary": "This document.", "responses": {"200": json_ok}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SageMaker Linear Learner predictions",
            "version": "1.0.0",
            "description": "Rainfall, housing and credit-risk predictions from SageMaker endpoints.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"api_key": _API_KEY_SCHEME}},
    }
