"""One real instance per model, from the datasets: for curl examples, the README and tests."""

from __future__ import annotations

import json
from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    # Austin, 2013-12-21: 0.46 inches of rain fell.
    "rainfall": {
        "temp_high_f": 74,
        "temp_avg_f": 60,
        "temp_low_f": 45,
        "dew_point_high_f": 67,
        "dew_point_avg_f": 49,
        "dew_point_low_f": 43,
        "humidity_high_percent": 93,
        "humidity_avg_percent": 75,
        "humidity_low_percent": 57,
        "sea_level_pressure_high_inches": 29.86,
        "sea_level_pressure_avg_inches": 29.68,
        "visibility_high_miles": 10,
        "visibility_avg_miles": 7,
        "visibility_low_miles": 2,
        "wind_high_mph": 20,
        "wind_avg_mph": 4,
        "wind_gust_mph": 31,
    },  # fmt: skip
    # The first Boston tract: median value $24,000.
    "housing": {
        "crim": 0.00632,
        "zn": 18,
        "indus": 2.31,
        "chas": 0,
        "nox": 0.538,
        "rm": 6.575,
        "age": 65.2,
        "dis": 4.09,
        "rad": 1,
        "tax": 296,
        "ptratio": 15.3,
        "b": 396.9,
        "lstat": 4.98,
    },  # fmt: skip
    # The second applicant of the German credit data, rated bad risk.
    "credit": {
        "age": 22,
        "sex": "female",
        "job": 2,
        "housing": "own",
        "saving_accounts": "little",
        "checking_account": "moderate",
        "credit_amount": 5951,
        "duration": 48,
        "purpose": "radio/TV",
    },  # fmt: skip
}


def as_csv(model: str) -> str:
    """The example as a CSV body: a header row and one line."""
    example = EXAMPLES[model]
    return (
        ",".join(example)
        + "\n"
        + ",".join("" if v is None else str(v) for v in example.values())
        + "\n"
    )


def curl_examples(base_url: str) -> str:
    """Ready-to-paste curl commands for every route and one invalid request."""
    lines = []
    for model, example in EXAMPLES.items():
        body = json.dumps(example)
        lines.append(f"# {model}")
        lines.append(f"curl -s {base_url}/{model} -H 'Content-Type: application/json' -d '{body}'")
    cheaper = {**EXAMPLES["housing"], "crim": 25.0, "rm": 4.5}
    batch = json.dumps({"instances": [EXAMPLES["housing"], cheaper]})
    lines.append("# a batch: one prediction per instance, in order")
    lines.append(f"curl -s {base_url}/housing -H 'Content-Type: application/json' -d '{batch}'")
    csv_body = as_csv("housing").replace("\n", "\\n")
    lines.append("# CSV with a header row")
    lines.append(
        f"printf '{csv_body}' | curl -s {base_url}/housing -H 'Content-Type: text/csv' --data-binary @-"
    )
    lines.append("# an invalid request and its error")
    lines.append(
        f"curl -s {base_url}/housing -H 'Content-Type: application/json' -d '{{\"rm\": \"six\"}}'"
    )
    lines.append(f"curl -s {base_url}/models")
    return "\n".join(lines)
