"""What one ``transform`` asks for, checked before a byte of the input is read.

Both targets build a ``TransformRequest`` from the command line the same way, so the same
mistakes get the same one-line answers whichever target runs.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chalicelib.catalog import CATALOG, ModelSpec
from training.errors import InputError, UsageError

STDIO = "-"
MAX_PAYLOAD_MB = 100
"""SageMaker's ceiling for MaxPayloadInMB (and for MaxConcurrentTransforms x MaxPayloadInMB)."""
DEFAULT_PAYLOAD_MB = 6
REJECTED_SUFFIX = ".rejected.jsonl"
MB = 1024 * 1024

OnError = Literal["fail", "skip"]


@dataclass(frozen=True)
class TransformRequest:
    """One file to predict with one model, and where its results go.

    ``input`` and ``output`` are ``None`` for standard input and output. ``skip_rows`` data
    rows at the start of the input are passed over; with an existing output that is a
    resumption, and the rows are appended to it.
    """

    model: str
    input: Path | None
    output: Path | None
    rejected: Path | None
    force: bool = False
    on_error: OnError = "fail"
    skip_rows: int = 0
    max_payload_bytes: int = DEFAULT_PAYLOAD_MB * MB
    concurrency: int = 1

    @property
    def spec(self) -> ModelSpec:
        return CATALOG[self.model]

    @property
    def input_name(self) -> str:
        return "standard input" if self.input is None else str(self.input)

    @property
    def output_name(self) -> str:
        return "standard output" if self.output is None else str(self.output)

    @property
    def max_payload_mb(self) -> int:
        """The payload limit as SageMaker takes it: whole MB (``--max-payload-mb``)."""
        return self.max_payload_bytes // MB

    @property
    def appends(self) -> bool:
        """Whether the output is a resumption: rows go after those already written."""
        return (
            self.skip_rows > 0
            and not self.force
            and self.output is not None
            and self.output.exists()
        )

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, default_payload_mb: int = DEFAULT_PAYLOAD_MB
    ) -> TransformRequest:
        """The request the parsed command line makes; ``UsageError`` or ``InputError`` if unsound.

        ``default_payload_mb`` is the target's payload limit when ``--max-payload-mb`` is not given.
        """
        model = args.model
        if model not in CATALOG:
            raise UsageError(f"unknown model {model!r}: use one of {', '.join(CATALOG)}")
        source = None if args.input == STDIO else Path(args.input)
        if source is not None and not source.is_file():
            reason = "is a directory" if source.is_dir() else "does not exist"
            raise InputError(f"{source} {reason}: give a CSV or JSON Lines file, or - for stdin")
        output = _output_path(args.output, source)
        on_error: OnError = args.on_error
        rejected = _rejected_path(args.rejected, output, on_error)
        request = cls(
            model=model,
            input=source,
            output=output,
            rejected=rejected,
            force=bool(args.force),
            on_error=on_error,
            skip_rows=args.skip_rows,
            max_payload_bytes=MB
            * (default_payload_mb if args.max_payload_mb is None else args.max_payload_mb),
            concurrency=args.concurrency,
        )
        request.check()
        return request

    def check(self) -> None:
        """Refuse limits out of range and outputs that would overwrite something."""
        # (The limit is held in bytes so that tests can make payloads of a few rows.)
        if not 1 <= self.max_payload_bytes / MB <= MAX_PAYLOAD_MB:
            raise UsageError(f"--max-payload-mb must be between 1 and {MAX_PAYLOAD_MB}")
        if self.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if self.skip_rows < 0:
            raise UsageError("--skip-rows can't be negative")
        for path in (self.output, self.rejected):
            if path is None:
                continue
            if self.input is not None and path.exists() and path.samefile(self.input):
                raise UsageError(f"{path} is the input: give another --output")
            if path.exists() and not (self.force or self.skip_rows):
                raise UsageError(
                    f"{path} exists: pass --force to replace it, or --skip-rows N to add to it"
                )

    def resume_command(self, rows: int) -> str:
        """The command that carries on after the first ``rows`` data rows of the input."""
        parts = ["python -m training transform", self.model, str(self.input or STDIO)]
        parts += ["--output", str(self.output or STDIO)]
        if self.on_error == "skip":
            parts += ["--on-error", "skip", "--rejected", str(self.rejected)]
        return " ".join([*parts, "--skip-rows", str(rows)])


def _output_path(given: str | None, source: Path | None) -> Path | None:
    if given == STDIO or (given is None and source is None):
        return None
    if given is not None:
        return Path(given)
    assert source is not None
    # houses.csv -> houses.predictions.csv, beside the input.
    return source.with_name(f"{source.stem}.predictions{source.suffix or '.csv'}")


def _rejected_path(given: str | None, output: Path | None, on_error: OnError) -> Path | None:
    if on_error == "fail":
        return None
    if given is not None:
        return Path(given)
    if output is None:
        raise UsageError("with the output on stdout, say where rejected rows go: --rejected FILE")
    return output.with_name(output.name + REJECTED_SUFFIX)
