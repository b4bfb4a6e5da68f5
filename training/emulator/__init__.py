"""A local, offline twin of SageMaker real-time endpoints hosting Linear Learner models.

``Emulator`` serves every ``<models_dir>/<endpoint_name>/`` holding a model (an imported
``model.tar.gz``, or the local learner's ``model.npz``) over SageMaker Runtime's
InvokeEndpoint protocol (``POST /endpoints/{name}/invocations``) closely enough that boto3,
the AWS CLI and the SageMaker Python SDK work against it unchanged, given ``endpoint_url``.
It also answers the container contract (``GET /ping``, ``POST /invocations``).

Modules, one job each (after moto's per-service layout):

- ``server``: the ``Emulator``: port, event loop, start and stop;
- ``protocol``: HTTP/1.1 framing and keep-alive on asyncio;
- ``responses``: routing and the operations, request in, response out;
- ``endpoints``: the endpoint store: the hosted endpoints and their models (state, no HTTP);
- ``formats``: request and response bodies (CSV, JSON, JSON Lines, RecordIO-protobuf);
- ``recordio``: RecordIO-protobuf, on the SageMaker SDK's ``Record`` message;
- ``exceptions``: errors with their AWS code and HTTP status.
"""

from training.emulator.exceptions import ACCOUNT_ID
from training.emulator.server import Emulator

__all__ = ["ACCOUNT_ID", "Emulator"]
