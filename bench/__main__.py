"""``make bench``: every benchmark in one run; prints a table and writes bench/results.json.

Numbers are ratios against a baseline measured in the same run wherever one exists (the
floor of a direct boto3 call, a do-nothing HTTP server, scikit-learn's fit), because this
machine is shared and noisy. ``BENCH_QUICK=1`` shortens every run for a smoke check.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import Bars, api_bench, api_inprocess, cold_start, emulator_bench, transform_bench
from bench.stack import local_stack
from training import evaluation
from training.local.settings import LocalSettings
from training.local.workflow import train
from training.recipes import HYPERPARAMETERS

RESULTS = Path(__file__).parent / "results.json"

# Each benchmark's bars are its own module's, and the quality and training bars the
# evaluation's: each limit is written once, beside what it judges.
BARS: Bars = {
    **api_bench.BARS,
    **api_inprocess.BARS,
    **cold_start.BARS,
    **emulator_bench.BARS,
    **transform_bench.BARS,
    **evaluation.benchmark_bars(),
}


def _section(name: str, run: Any) -> dict[str, Any]:
    print(f"... {name}", file=sys.stderr, flush=True)
    return dict(run())


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as temp:
        models_dir = Path(temp)
        results.update(_section("training", lambda: training_section(models_dir)))
        with local_stack(models_dir) as stack:
            results.update(_section("API", lambda: api_bench.run(stack, quick)))
        results.update(_section("transform", lambda: transform_bench.run(models_dir, quick)))
    results.update(_section("API in-process", lambda: api_inprocess.run(quick)))
    results.update(_section("emulator", emulator_bench.run))
    results.update(_section("cold start", cold_start.run))
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))
    print_table(results)
    return 0


def training_section(models_dir: Path) -> dict[str, Any]:
    """Train the models the stack serves; the evaluation's quality and training numbers."""
    train(list(HYPERPARAMETERS), LocalSettings(models_dir=models_dir), say=lambda _: None)
    return evaluation.benchmark()


def print_table(results: dict[str, Any]) -> None:
    print(f"\n{'metric':<28}{'value':>16}  bar")
    for key in sorted(results):
        value = results[key]
        text = (
            f"{value:,.3f}"
            if isinstance(value, float)
            else f"{value:,}"
            if isinstance(value, int)
            else str(value)
        )
        bar = ""
        if key in BARS:
            description, met = BARS[key]
            bar = f"{description}  {'ok' if met(value) else 'MISSED'}"
        print(f"{key:<28}{text:>16}  {bar}")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
