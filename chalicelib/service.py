"""A request's journey, from body to predictions: validate, encode, invoke, map (and explain).

``app.py`` hands each route's body here and returns what comes back; this is the recipe a
newcomer reads to see where a request goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import explain as explanations
from chalicelib.catalog import ModelSpec
from chalicelib.config import Settings
from chalicelib.endpoint import SageMakerEndpoints, create_runtime_client
from chalicelib.errors import ModelFailed
from chalicelib.payloads import parse_instances


class PredictionService:
    """Answers prediction requests for any model of a catalog; ``app.py`` says which.

    No I/O happens at construction: the SageMaker Runtime client is made on the first call.
    """

    def __init__(
        self,
        settings: Settings,
        client_factory: Callable[[Settings], Any] = create_runtime_client,
    ) -> None:
        self.settings = settings
        self.endpoints = SageMakerEndpoints(lambda: client_factory(settings))

    def endpoint_name(self, model: str) -> str:
        return self.settings.endpoint_names[model]

    def predict(
        self, spec: ModelSpec, body: bytes, content_type: str | None, explain: bool = False
    ) -> dict[str, Any]:
        """The response body for one prediction request to the model ``spec`` describes; with
        ``explain``, each prediction carries its explanation (``chalicelib/explain.py``)."""
        model = spec.name
        instances = parse_instances(
            spec,
            body,
            content_type,
            max_instances=self.settings.max_instances,
            max_body_bytes=self.settings.max_body_bytes,
        )
        if explain:
            explanations.check_count(len(instances))
        rows = spec.encode_all(instances)
        endpoint_name = self.endpoint_name(model)
        if explain:
            sent = explanations.rows_to_send(spec, rows)
            records = self.endpoints.predict_csv(
                endpoint_name, sent.csv, sent.count, spec.predictor_type
            )
            predictions = _mapped(
                spec,
                endpoint_name,
                lambda: explanations.explained_predictions(spec, instances, sent.plan, records),
            )
        else:
            records = self.endpoints.predict(endpoint_name, rows, spec.predictor_type)
            predictions = _mapped(spec, endpoint_name, lambda: spec.to_predictions(records))
        return {"model": model, "predictions": predictions}


def _mapped(
    spec: ModelSpec, endpoint_name: str, mapping: Callable[[], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The endpoint's records as the API's predictions; ``ModelFailed`` if they aren't ones."""
    try:
        return mapping()
    except (KeyError, TypeError, ValueError, IndexError):
        raise ModelFailed(
            f"The endpoint {endpoint_name!r} answered records that are not {spec.predictor_type} "
            "predictions; is it serving the right model?"
        ) from None
