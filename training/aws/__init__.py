"""The AWS target: SageMaker training, endpoints and clean-up for ``--target aws``.

One module per job, read top to bottom in this order:

- ``cli``: the options each subcommand gets and the one place errors become ``error: ...``;
- ``settings``: flags > environment > defaults, validated before any AWS call;
- ``workflow``: the commands (train, deploy, delete, status) as plain functions;
- ``access``: ``api-keys`` (create, list, revoke, and the teardown ``delete --all`` runs);
- ``sagemaker_backend``: every SageMaker Python SDK v2 call, and only those;
- ``resources``, ``scaling``, ``storage``, ``api_keys``: plain boto3 for SageMaker,
  Application Auto Scaling, S3 and API Gateway's keys and usage plans;
- ``waiting``: the polling loop with a time limit and progress lines;
- ``naming``, ``chalice_stage``, ``pricing``, ``state``, ``errors``: names and tags, the API
  stage's variables and IAM policy, rough prices, the ``.aws-state/`` records, error types.
"""
