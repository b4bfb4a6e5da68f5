"""``transform --target aws``: a file predicted by a SageMaker Batch Transform job.

The recipe, in order, each step before the next costs anything:

1. the model's training record (``train --target aws``) and the bucket are checked;
2. every row is checked with the catalog and encoded as a header-less feature line, into a
   local file: a bad row under ``--on-error fail`` stops here, with nothing sent to AWS;
3. that file goes up to ``<prefix>/<model>/transform/<job>/input/`` (multipart when big),
   a SageMaker model is made from the training job's artifact, and the job is started on
   ``--instance-count`` x ``--instance-type``, split Line, MultiRecord, JSON Lines back;
4. the wait reports the job's state and what it has cost so far; the model is removed once
   the job is over (it is only a name for the artifact, but it would pile up);
5. the one ``.out`` object is downloaded and joined, line for line, to the input's accepted
   rows: SageMaker keeps the input's order, and the rows sent were the encoded features, not
   the user's cells, which is why the join is done here and not with ``JoinSource=Input``.

The output is the same file the local target writes. Everything the job touched in S3 lives
under the model's prefix, which ``delete --purge-data`` removes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from training.aws import naming, pricing
from training.aws.errors import InvalidSetting, TransformFailed
from training.aws.sagemaker_backend import TransformJobRequest
from training.aws.settings import DEFAULT_TRANSFORM_TIMEOUT_MINUTES, RealTime
from training.aws.waiting import Observation
from training.aws.workflow import JOB_ENDED, Aws, describe_cost, stop_hint, training_record
from training.batch.batching import batches
from training.batch.checking import Checker
from training.batch.reading import InputFile
from training.batch.records import BadRecords, parse_records
from training.batch.request import MAX_PAYLOAD_MB, TransformRequest
from training.batch.writing import Tally, open_results
from training.errors import InputError

FEATURES_OBJECT = "features.csv"


def transform(
    aws: Aws,
    request: TransformRequest,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> Tally:
    """Predict every row of the request's input with a Batch Transform job; returns the tally."""
    s = aws.settings
    s.require("region", "bucket", "role_arn")
    assert s.bucket is not None and s.role_arn is not None
    model = request.model
    record = training_record(aws, model)
    if record.region != aws.region:
        raise InvalidSetting(
            f"{model} was trained in {record.region}, but the region is {aws.region}: "
            f"pass --region {record.region}"
        )
    if request.max_payload_mb * request.concurrency > MAX_PAYLOAD_MB:
        raise InvalidSetting(
            f"--concurrency x --max-payload-mb is {request.concurrency * request.max_payload_mb}"
            f" MB; SageMaker allows at most {MAX_PAYLOAD_MB}"
        )
    aws.storage.check_bucket(s.bucket, aws.region)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="transform-") as temp:
        source_path = request.input or _spool(stdin or sys.stdin.buffer, Path(temp) / "input")
        features = Path(temp) / FEATURES_OBJECT
        count = _encode(request, source_path, features)
        predictions = Path(temp) / (FEATURES_OBJECT + ".out")
        if count:
            _run_job(aws, request, record.model_data, features, count, predictions)
        else:
            predictions.write_bytes(b"")
            aws.out(f"{model}: no row to predict; no job started")
        return _join(request, source_path, predictions, stdout, stderr or sys.stderr, started)


def _spool(stream: BinaryIO, path: Path) -> Path:
    """Standard input copied to a file: it is read twice, once to send and once to join."""
    with path.open("wb") as copy:
        shutil.copyfileobj(stream, copy, 1 << 20)
    return path


def _encode(request: TransformRequest, source_path: Path, features: Path) -> int:
    """Check every row and write the accepted ones' feature lines; returns how many."""
    count = 0
    with source_path.open("rb") as binary, features.open("w", encoding="ascii") as sink:
        source = InputFile.open(binary, request.input_name)
        checker = Checker(request.spec, source)
        for batch in batches(
            source, checker, request.max_payload_bytes, request.skip_rows, request.on_error
        ):
            if batch.features:
                sink.write("\n".join(batch.features) + "\n")
                count += len(batch.features)
            if batch.stop is not None:
                raise InputError(
                    f"{request.input_name} line {batch.stop.line}: {batch.stop.describe()}; "
                    "nothing was sent to AWS: fix the row, or pass --on-error skip to set such "
                    "rows aside"
                )
    return count


def _run_job(
    aws: Aws,
    request: TransformRequest,
    model_data: str,
    features: Path,
    count: int,
    predictions: Path,
) -> None:
    s = aws.settings
    assert s.bucket is not None and s.role_arn is not None
    model = request.model
    job = naming.transform_job_name(model, aws.now())
    base = f"{naming.data_prefix(s.prefix, model)}/transform/{job}"
    aws.storage.upload_file(features, s.bucket, f"{base}/input/{FEATURES_OBJECT}")
    size = features.stat().st_size / (1024 * 1024)
    aws.out(f"{model}: uploaded {count:,} rows ({size:,.1f} MB) to s3://{s.bucket}/{base}/input/")

    hosting = RealTime(s.instance_type, s.instance_count)
    tags = naming.tags(model)
    aws.backend.create_model(job, model_data, s.role_arn, hosting, tags)
    aws.backend.start_transform(
        TransformJobRequest(
            job_name=job,
            model_name=job,
            instance_type=s.instance_type,
            instance_count=s.instance_count,
            input_uri=f"s3://{s.bucket}/{base}/input/",
            output_uri=f"s3://{s.bucket}/{base}/output",
            max_payload_mb=request.max_payload_mb,
            max_concurrent_transforms=request.concurrency,
            tags=tags,
        )
    )
    hourly = pricing.hourly_cost(hosting)
    aws.out(
        f"{model}: started transform job {job} on {s.instance_count} x {s.instance_type} "
        f"({describe_cost(hourly, hosting)} while it runs)"
    )
    seen = _wait(aws, model, job, hourly)
    aws.sagemaker.delete_model(job)
    described = aws.sagemaker.transform_job(job)
    if seen.status != "Completed":
        raise TransformFailed(
            f"transform job {job} {seen.status}: {described.failure_reason or 'no reason given'} "
            f"(log: CloudWatch group /aws/sagemaker/TransformJobs, streams {job}/...); "
            "no output was written"
        )
    if described.seconds is not None and hourly is not None:
        aws.out(
            f"{model}: the job ran {described.seconds:,.0f} s, about ${hourly * described.seconds / 3600:.3f}"
        )
    outputs = [
        key for key in aws.storage.keys_under(s.bucket, f"{base}/output") if key.endswith(".out")
    ]
    if len(outputs) != 1:
        raise TransformFailed(
            f"transform job {job} completed, but s3://{s.bucket}/{base}/output/ holds "
            f"{len(outputs)} .out objects where one was expected"
        )
    aws.storage.download_file(s.bucket, outputs[0], predictions)


def _wait(aws: Aws, model: str, job: str, hourly: float | None) -> Observation:
    began = aws.clock()

    def poll() -> Observation:
        status = aws.sagemaker.transform_job(job).status
        if hourly is None:
            return Observation(status)
        spent = hourly * (aws.clock() - began) / 3600
        return Observation(status, f"~${spent:.3f} so far")

    return aws.wait(
        f"{model}: transform job {job}",
        poll,
        JOB_ENDED,
        DEFAULT_TRANSFORM_TIMEOUT_MINUTES,
        stop_hint("transform-job", job),
    )


def _join(
    request: TransformRequest,
    source_path: Path,
    predictions: Path,
    stdout: TextIO | None,
    stderr: TextIO,
    started: float,
) -> Tally:
    """The input's rows again, each accepted one with the next line of the job's output."""
    tally = Tally()
    with source_path.open("rb") as binary, predictions.open("rb") as answers:
        source = InputFile.open(binary, request.input_name)
        checker = Checker(request.spec, source)
        with open_results(request, source, stdout) as (output, rejects):
            for batch in batches(
                source, checker, request.max_payload_bytes, request.skip_rows, "skip"
            ):
                lines = b"".join(islice(answers, len(batch.texts)))
                output.write(
                    batch.texts, _records(lines, len(batch.texts), batch.first_line, request)
                )
                rejects.write(batch.rejected)
                tally.predicted += len(batch.texts)
                tally.rejected += len(batch.rejected)
            if answers.read(1):
                raise TransformFailed("the job's output holds more predictions than rows were sent")
    stderr.write(tally.summary(request, source, time.perf_counter() - started) + "\n")
    return tally


def _records(
    lines: bytes, rows: int, first_line: int, request: TransformRequest
) -> list[dict[str, Any]]:
    try:
        return parse_records(lines, rows)
    except BadRecords as error:
        raise TransformFailed(
            f"the job's output does not match the input from {request.input_name} line "
            f"{first_line}: {error}"
        ) from None
