"""The AWS target: SageMaker training, tuning, endpoints, batch transform, API keys and clean-up
for ``--target aws``.

One module per job, read top to bottom in this order:

- ``verbs``: each verb as ``training/cli.py`` calls it: flags, settings, credentials, then
  the work, with botocore's errors reworded;
- ``settings``: flags > environment > defaults, validated before any AWS call;
- ``workflow``: the commands (train, tune, deploy, delete, status, import) as plain functions;
- ``transform``: ``transform``, a file through a Batch Transform job;
- ``access``: ``api-keys`` (create, list, revoke, and the teardown ``delete --all`` runs);
- ``sagemaker_backend``: every SageMaker Python SDK v2 call, and only those;
- ``resources``, ``scaling``, ``storage``, ``api_keys``: plain boto3 for SageMaker,
  Application Auto Scaling, S3 and API Gateway's keys and usage plans;
- ``waiting``: the polling loop with a time limit and progress lines;
- ``naming``, ``chalice_stage``, ``pricing``, ``state``, ``errors``: names and tags, the API
  stage's variables and IAM policy, rough prices, the ``.aws-state/`` records, error types.
"""
