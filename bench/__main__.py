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

from bench import api_bench, cold_start
from bench.stack import local_stack
from training.local.settings import LocalSettings
from training.local.workflow import train

RESULTS = Path(__file__).parent / "results.json"

# key: (the bar as text, a predicate over all results that says whether it is met).
BARS: dict[str, tuple[str, Any]] = {
    "single_over_floor": ("<= 1.5", lambda r: r["single_over_floor"] <= 1.5),
    "batch_rows_per_s": (">= 50,000", lambda r: r["batch_rows_per_s"] >= 50_000),
    "explain_over_plain": ("<= 3", lambda r: r["explain_over_plain"] <= 3),
    "emulator_rps": (">= 1,500", lambda r: r["emulator_rps"] >= 1500),
    "emulator_p99_ms": ("< 10", lambda r: r["emulator_p99_ms"] < 10),
    "import_app_ms": ("< 250", lambda r: r["import_app_ms"] < 250),
    "lambda_zip_bytes": ("< 6 MB", lambda r: r["lambda_zip_bytes"] < 6_000_000),
    "load_non_2xx": ("0", lambda r: r["load_non_2xx"] == 0),
    "load_lost": ("0", lambda r: r["load_lost"] == 0),
    "load_mixed": ("0", lambda r: r["load_mixed"] == 0),
    "training_seconds": ("< 5", lambda r: r["training_seconds"] < 5),
    "rainfall_rmse_ratio": ("<= 1.02", lambda r: r["rainfall_rmse_ratio"] <= 1.02),
    "housing_rmse_ratio": ("<= 1.02", lambda r: r["housing_rmse_ratio"] <= 1.02),
    "credit_accuracy_gap": (">= -0.01", lambda r: r["credit_accuracy_gap"] >= -0.01),
    "credit_auc_gap": (">= -0.01", lambda r: r["credit_auc_gap"] >= -0.01),
}


def _section(name: str, run: Any) -> dict[str, Any]:
    print(f"... {name}", file=sys.stderr, flush=True)
    return dict(run())


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as temp:
        models_dir = Path(temp)
        results.update(_section("training", lambda: training_section(models_dir, quick)))
        with local_stack(models_dir) as stack:
            results.update(_section("API", lambda: api_bench.run(stack, quick)))
    results.update(_section("emulator", emulator_section))
    results.update(_section("cold start", cold_start.run))
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))
    print_table(results)
    return 0


def training_section(models_dir: Path, quick: bool) -> dict[str, Any]:
    import time

    started = time.perf_counter()
    train(
        ["rainfall", "housing", "credit"], LocalSettings(models_dir=models_dir), say=lambda _: None
    )
    results: dict[str, Any] = {"training_seconds": time.perf_counter() - started}
    try:
        from training import evaluation
    except ImportError:
        return results
    results.update(evaluation.benchmark(models_dir))
    return results


def emulator_section() -> dict[str, Any]:
    from bench import emulator_bench

    return emulator_bench.run()


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
        if key in BARS and key in results:
            description, met = BARS[key]
            bar = f"{description}  {'ok' if met(results) else 'MISSED'}"
        print(f"{key:<28}{text:>16}  {bar}")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
