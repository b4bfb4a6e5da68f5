"""The S3 side of the AWS target: checking the bucket before anything is sent, purging data.

Training data goes up through the SDK (``sagemaker_backend``); this module asks S3 whether
the bucket can be used, downloads a model artifact, and removes what the project put under
its prefix. The files of a batch transform go up and come down here too, through boto3's
transfer manager, which splits a big file into a multipart upload (or a ranged download) of
parallel parts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from training.aws.errors import BucketProblem

S3_URI = re.compile(r"s3://(?P<bucket>[^/]+)/(?P<key>.+)")


class Storage:
    """One boto3 ``s3`` client's view of the project's bucket."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def check_bucket(self, bucket: str, region: str) -> None:
        """Raise ``BucketProblem`` unless the bucket exists, is reachable and is in ``region``."""
        try:
            answer = self._client.head_bucket(Bucket=bucket)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise BucketProblem(
                    f"bucket {bucket!r} does not exist: create it with "
                    f"`aws s3 mb s3://{bucket} --region {region}` or pass another --bucket"
                ) from None
            if code in ("403", "AccessDenied"):
                raise BucketProblem(
                    f"no access to bucket {bucket!r}: it belongs to another account, or your "
                    "credentials lack s3:ListBucket on it"
                ) from None
            if code in ("301", "PermanentRedirect"):
                elsewhere = headers.get("x-amz-bucket-region", "another region")
                raise BucketProblem(_wrong_region(bucket, elsewhere, region)) from None
            raise
        headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        located = answer.get("BucketRegion") or headers.get("x-amz-bucket-region")
        if located and located != region:
            raise BucketProblem(_wrong_region(bucket, located, region))

    def download(self, uri: str) -> bytes:
        """The bytes of the object at ``s3://bucket/key``."""
        match = S3_URI.fullmatch(uri)
        if match is None:
            raise BucketProblem(f"{uri!r} is not an S3 object URI (s3://bucket/key)")
        try:
            answer = self._client.get_object(Bucket=match["bucket"], Key=match["key"])
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                raise BucketProblem(f"{uri} does not exist: check the bucket and key") from None
            raise
        data: bytes = answer["Body"].read()
        return data

    def upload_file(self, path: Path, bucket: str, key: str) -> None:
        """Put a local file at ``s3://bucket/key``; multipart above 8 MB."""
        self._client.upload_file(str(path), bucket, key, Config=TransferConfig())

    def download_file(self, bucket: str, key: str, path: Path) -> None:
        self._client.download_file(bucket, key, str(path), Config=TransferConfig())

    def keys_under(self, bucket: str, prefix: str) -> list[str]:
        """Every object key under ``prefix/``, sorted."""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.rstrip("/") + "/"
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Delete every object under ``prefix/``; returns how many there were."""
        removed = 0
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.rstrip("/") + "/"
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                # A listing page holds at most 1000 keys, DeleteObjects' own limit.
                self._client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
        return removed


def _wrong_region(bucket: str, located: str, region: str) -> str:
    return (
        f"bucket {bucket!r} is in {located}, but the region is {region}: SageMaker reads "
        f"training data from its own region; pass --region {located} or a bucket in {region}"
    )
