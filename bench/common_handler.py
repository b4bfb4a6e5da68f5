"""The baseline of the batch benchmark: a prediction handler of the common kind.

It does what most Chalice-in-front-of-SageMaker handlers do: read the JSON, join each
instance's values with ``str()`` into CSV rows, call the endpoint and pass its answer on.
It validates nothing (a missing field shifts every column after it; a string reaches the
model), so it is the cost of a handler that does no work of its own. ``api_bench`` serves it
with the project's local server, in a process of its own, in front of the same local
endpoint as the API, and measures both in the same run: the API validates every field and
must still be faster.

``python -m bench.common_handler PORT ENDPOINT_URL`` serves it until terminated.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from chalice import Chalice
from chalice.config import Config

from training.local.chalice_server import create_server


def create_app(endpoint_url: str) -> Chalice:
    app = Chalice(app_name="common-handler")
    runtime = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    ).client("sagemaker-runtime", endpoint_url=endpoint_url)

    @app.route("/housing", methods=["POST"])
    def housing() -> Any:
        request = app.current_request
        assert request is not None
        instances = request.json_body["instances"]
        rows = "\n".join(",".join(str(value) for value in row.values()) for row in instances)
        answer = runtime.invoke_endpoint(
            EndpointName="housing", ContentType="text/csv", Accept="application/json", Body=rows
        )
        return json.loads(answer["Body"].read())

    return app


def main(port: int, endpoint_url: str) -> None:
    app = create_app(endpoint_url)
    create_server(app, Config.create(chalice_app=app), "127.0.0.1", port).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
