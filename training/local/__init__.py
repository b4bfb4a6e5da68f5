"""The local target: the same verbs as ``training/aws/``, run on this machine with no AWS account.

- ``verbs``: the verbs as ``training/cli.py`` calls them, ``(args, environ)``;
- ``settings``: environment > defaults for the local folders and ports;
- ``workflow``: train, tune, status, delete, import and export of the local models;
- ``supervision``: ``serve``: the endpoint and API processes, their signals and ports, and
  the curl lines printed;
- ``chalice_server``: the local HTTP server of the Chalice app, API keys enforced;
- ``throttling``: API Gateway's key check, token bucket and quota, as that server applies them;
- ``access``: ``api-keys``: the local server's keys in the git-ignored key file;
- ``tuning``: ``tune``'s search, Optuna over the learner in worker processes;
- ``transform``: a file streamed through the local endpoint, with ``container_client`` (the
  batches POSTed, with retries) and ``batch_endpoint`` (an endpoint started for the run);
- ``explain``: one instance's contributions, through the app's own code.
"""
