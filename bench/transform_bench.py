"""Batch transform on the local target: rows a second beside the endpoint's own, and peak RSS.

Run ``python bench/transform_bench.py`` (or ``run(models_dir)`` from ``make bench``). It
writes a housing CSV of 1,000,000 rows (and one of 100,000) and runs ``python -m training
transform housing ...`` on each in a child process, exactly as a user does: it starts its own
local endpoint on a free port. It reports

* ``transform_rows_per_s``: input rows through the command (read, check, send, join, write)
  from the first row read to the last written, as its summary line says; and
  ``transform_command_seconds``, the whole command with its start-up and its endpoint's;
* ``transform_endpoint_rows_per_s``: the baseline, the same payloads (the same feature lines
  packed the same way) POSTed straight to a local endpoint of the same kind, as fast as it
  answers, one at a time as the command sends them; and the ratio of the two;
* ``transform_rss_100k_mb`` and ``transform_rss_1m_mb``: the command's own peak resident set
  (the endpoint's process not included), and their ratio;
* ``transform_accounted``: 1 when every run's summary says input = predicted + rejected.

``BENCH_QUICK=1`` uses 100,000 and 20,000 rows instead.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench import Bars

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from the project root
    sys.path.insert(0, str(ROOT))

BLOCK_ROWS = 10_000
BARS: Bars = {
    "transform_rows_per_s": (">= 100,000", lambda rows: rows >= 100_000),
    "transform_rss_1m_mb": ("<= 300", lambda mb: mb <= 300),
    "transform_rss_ratio": ("<= 1.2", lambda ratio: ratio <= 1.2),
    "transform_accounted": ("1", lambda accounted: accounted == 1),
}
# The command, run in this interpreter, reports its own peak RSS last. VmHWM, not
# getrusage: Linux carries ru_maxrss over from the parent through fork and exec, so a big
# parent would hide the child's own figure; VmHWM belongs to the new process image alone.
_MEASURED = (
    "import sys\n"
    "from training.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "with open('/proc/self/status') as f:\n"
    "    peak = [line.split()[1] for line in f if line.startswith('VmHWM:')][0]\n"
    "print(f'peak_rss_kib={peak}', file=sys.stderr)\n"
    "sys.exit(status)\n"
)
_SUMMARY = re.compile(r"([\d,]+) input rows = ([\d,]+) predicted \+ ([\d,]+) rejected")
_RATE = re.compile(r"([\d,]+) rows/s \(([\d.]+) s\)")


def write_housing_csv(path: Path, rows: int) -> None:
    """A valid housing CSV: a block of distinct rows made from the example, repeated."""
    from chalicelib.catalog import CATALOG

    example = CATALOG["housing"].example
    lines = []
    for i in range(BLOCK_ROWS):
        row = {**example, "rm": 4 + (i % 4000) / 1000, "lstat": 2 + (i % 997) / 100}
        lines.append(",".join(str(value) for value in row.values()))
    block = "\n".join(lines) + "\n"
    with path.open("w", encoding="utf-8") as stream:
        stream.write(",".join(example) + "\n")
        for start in range(0, rows, BLOCK_ROWS):
            count = min(BLOCK_ROWS, rows - start)
            stream.write(block if count == BLOCK_ROWS else "\n".join(lines[:count]) + "\n")


def run_transform(models_dir: Path, source: Path, output: Path) -> dict[str, float]:
    """The command on one file: its rate (as its summary line gives it, from the first row
    read to the last written), its whole time, the rows it accounted for, its peak RSS."""
    from bench.stack import free_port

    env = {
        **os.environ,
        "MODELS_DIR": str(models_dir),
        # Nothing listens there, so the command starts its own endpoint, as by default.
        "EMULATOR_PORT": str(free_port()),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURED,
            "transform",
            "housing",
            str(source),
            "--output",
            str(output),
            "--force",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"transform failed:\n{done.stderr}")
    rss = float(re.search(r"peak_rss_kib=(\d+)", done.stderr).group(1)) / 1024  # type: ignore[union-attr]
    found = _SUMMARY.search(done.stderr)
    assert found is not None, done.stderr
    rows, predicted, rejected = (int(group.replace(",", "")) for group in found.groups())
    rate = _RATE.search(done.stderr)
    assert rate is not None, done.stderr
    return {
        "command_seconds": seconds,
        "rows_per_s": float(rate.group(1).replace(",", "")),
        "rows": rows,
        "accounted": float(rows == predicted + rejected),
        "rss_mb": rss,
    }


def _payloads(source: Path) -> tuple[list[bytes], int]:
    """The feature payloads the command sends for this file: its rows, packed the same way."""
    from training.local.transform import DEFAULT_PAYLOAD_MB

    payload_bytes = DEFAULT_PAYLOAD_MB * 1024 * 1024
    bodies, lines, size, rows = [], [], 0, 0
    with source.open(encoding="utf-8") as stream:
        next(stream)  # the header
        for line in stream:
            if size + len(line) > payload_bytes:
                bodies.append("".join(lines).encode())
                lines, size = [], 0
            lines.append(line)
            size += len(line)
            rows += 1
    bodies.append("".join(lines).encode())
    return bodies, rows


def endpoint_rows_per_s(models_dir: Path, source: Path) -> float:
    """The baseline: the local endpoint answering the same payloads, one after another."""
    from training.local import batch_endpoint

    bodies, rows = _payloads(source)
    headers = {"Content-Type": "text/csv", "Accept": "application/jsonlines"}
    with batch_endpoint.running(models_dir, "housing") as url:
        port = int(url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("POST", "/invocations", bodies[-1], headers)  # warm up
        connection.getresponse().read()
        started = time.perf_counter()
        for body in bodies:
            connection.request("POST", "/invocations", body, headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"the endpoint answered {response.status}")
        elapsed = time.perf_counter() - started
        connection.close()
    return rows / elapsed


def run(models_dir: Path, quick: bool | None = None) -> dict[str, Any]:
    """Measure and return the numbers ``make bench`` merges (see the module docstring)."""
    if quick is None:
        quick = os.environ.get("BENCH_QUICK") == "1"
    large_rows, small_rows = (100_000, 20_000) if quick else (1_000_000, 100_000)
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        large, small = directory / "large.csv", directory / "small.csv"
        write_housing_csv(large, large_rows)
        write_housing_csv(small, small_rows)
        baseline = endpoint_rows_per_s(models_dir, large)
        big = run_transform(models_dir, large, directory / "large.out.csv")
        little = run_transform(models_dir, small, directory / "small.out.csv")
    rate = big["rows_per_s"]
    return {
        "transform_rows": big["rows"],
        "transform_command_seconds": big["command_seconds"],
        "transform_rows_per_s": rate,
        "transform_endpoint_rows_per_s": baseline,
        "transform_over_endpoint": rate / baseline,
        "transform_rss_1m_mb": big["rss_mb"],
        "transform_rss_100k_mb": little["rss_mb"],
        "transform_rss_ratio": big["rss_mb"] / little["rss_mb"],
        "transform_accounted": big["accounted"] * little["accounted"],
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        from training.local.settings import LocalSettings
        from training.local.workflow import train

        models_dir = Path(temp)
        train(["housing"], LocalSettings(models_dir=models_dir), say=lambda _: None)
        results = run(models_dir)
    for key, value in results.items():
        bar = BARS.get(key)
        verdict = f"{bar[0]}  {'ok' if bar[1](value) else 'MISSED'}" if bar else ""
        print(f"{key:<32}{value:>16,.3f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
