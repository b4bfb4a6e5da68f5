"""The local target: the same verbs as ``training/aws/``, run on this machine with no AWS account.

- ``verbs``: the verbs as ``training/cli.py`` calls them, ``(args, environ)``;
- ``settings``: environment > defaults for the local folders and ports;
- ``workflow``: train, status and delete of the local models under ``models/``;
- ``supervision``: ``serve``: the endpoint and API processes, their signals and ports, and
  the curl lines printed;
- ``chalice_server``: the local HTTP server of the Chalice app, API keys enforced;
- ``throttling``: API Gateway's key check, token bucket and quota, as that server applies them;
- ``access``: ``api-keys``: the local server's keys in the git-ignored key file.
"""
