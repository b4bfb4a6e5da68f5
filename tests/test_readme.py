"""The README's examples are the catalog's, and its example answers are what the API answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.catalog import CATALOG
from tests.examples import EXAMPLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
# A curl to a model route with a JSON body, and the answer printed under it, if any.
CURL = re.compile(
    r"curl -s (?:-X POST )?\S*?/(?P<model>[a-z]+)\"?(?: -H \"[^\"]*\")* "
    r"-H 'Content-Type: application/json' \\\n"
    r"\s+-d '(?P<body>[^']*)'\n(?:(?P<answer>\{.*\})\n)?"
)


def readme_calls(model: str) -> list[tuple[dict, dict | None]]:
    """Each complete instance the README sends to ``model``, with the answer it shows."""
    calls = []
    for match in CURL.finditer(README):
        if match["model"] != model:
            continue
        try:
            body = json.loads(match["body"])
        except ValueError:  # a sketch such as {"instances": [{...}, {...}]}
            continue
        if isinstance(body, dict) and set(body) == set(EXAMPLES[model]):
            calls.append((body, json.loads(match["answer"]) if match["answer"] else None))
    return calls


@pytest.mark.parametrize("model", list(CATALOG))
def test_every_instance_the_readme_sends_is_the_catalogs_example(model: str) -> None:
    calls = readme_calls(model)

    assert calls, f"the README sends no {model} instance"
    assert [body for body, _ in calls] == [EXAMPLES[model]] * len(calls)


@pytest.mark.parametrize("model", list(CATALOG))
def test_openapi_and_the_models_route_show_the_catalogs_example(api, model: str) -> None:
    document = json.loads(api.http.get("/openapi.json").body)
    listed = json.loads(api.http.get("/models").body)["models"]

    content = document["paths"][f"/{model}"]["post"]["requestBody"]["content"]
    assert content["application/json"]["example"] == EXAMPLES[model]
    assert content["text/csv"]["example"] == CATALOG[model].example_csv()
    assert next(m for m in listed if m["name"] == model)["example"] == EXAMPLES[model]


@pytest.mark.parametrize("model", list(CATALOG))
def test_the_readmes_example_answers_are_what_the_api_answers(api, model: str) -> None:
    (answered,) = [(body, answer) for body, answer in readme_calls(model) if answer is not None]
    body, shown = answered

    response = api.http.post(
        f"/{model}", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )

    got = json.loads(response.body)
    assert response.status_code == 200
    assert {**got, "predictions": None} == {**shown, "predictions": None}
    for ours, theirs in zip(got["predictions"], shown["predictions"], strict=True):
        assert ours == {**theirs, "score": pytest.approx(theirs["score"], rel=1e-9)}
