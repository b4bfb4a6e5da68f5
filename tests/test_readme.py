"""The README's examples are the catalog's, and its example answers are what the API answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.catalog import CATALOG
from tests.examples import EXAMPLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
# A curl to a model route (with its query, if any) and a JSON body, and the answer printed
# under it, on one line or several, up to the end of its code block.
CURL = re.compile(
    r"curl -s (?:-X POST )?'?\S*?/(?P<model>[a-z]+)(?P<query>\?[a-z=&]+)?'?(?: -H \"[^\"]*\")* "
    r"-H 'Content-Type: application/json' \\\n"
    r"\s+-d '(?P<body>[^']*)'\n(?P<answer>(?:[^`\n][^\n]*\n)*)```"
)


def readme_calls(model: str) -> list[tuple[str, dict, dict | None]]:
    """Each complete instance the README sends to ``model``: its query, the instance, and the
    answer the README shows, if any."""
    calls = []
    for match in CURL.finditer(README):
        if match["model"] != model:
            continue
        try:
            body = json.loads(match["body"])
        except ValueError:  # a sketch such as {"instances": [{...}, {...}]}
            continue
        if isinstance(body, dict) and set(body) == set(EXAMPLES[model]):
            answer = json.loads(match["answer"]) if match["answer"] else None
            calls.append((match["query"] or "", body, answer))
    return calls


ANSWERED = [
    pytest.param(model, query, body, answer, id=f"{model}{query}")
    for model in CATALOG
    for query, body, answer in readme_calls(model)
    if answer is not None
]


def approximately(shown: Any) -> Any:
    """The README's answer with each of its floats compared to 1e-9: the API's own numbers,
    give or take the last bits a BLAS kernel's order of summing may change."""
    if isinstance(shown, dict):
        return {key: approximately(value) for key, value in shown.items()}
    if isinstance(shown, list):
        return [approximately(value) for value in shown]
    if isinstance(shown, float):
        return pytest.approx(shown, rel=1e-9, abs=1e-12)
    return shown


@pytest.mark.parametrize("model", list(CATALOG))
def test_every_instance_the_readme_sends_is_the_catalogs_example(model: str) -> None:
    calls = readme_calls(model)

    assert calls, f"the README sends no {model} instance"
    assert [body for _, body, _ in calls] == [EXAMPLES[model]] * len(calls)


@pytest.mark.parametrize("model", list(CATALOG))
def test_openapi_and_the_models_route_show_the_catalogs_example(api, model: str) -> None:
    document = json.loads(api.http.get("/openapi.json").body)
    listed = json.loads(api.http.get("/models").body)["models"]

    content = document["paths"][f"/{model}"]["post"]["requestBody"]["content"]
    assert content["application/json"]["example"] == EXAMPLES[model]
    assert content["text/csv"]["example"] == CATALOG[model].example_csv()
    assert next(m for m in listed if m["name"] == model)["example"] == EXAMPLES[model]


def test_the_readme_shows_plain_and_explained_answers():
    assert {(model, query) for model, query, _, _ in (p.values for p in ANSWERED)} == {
        ("rainfall", ""),
        ("housing", ""),
        ("credit", ""),
        ("housing", "?explain=true"),
        ("credit", "?explain=true"),
    }


@pytest.mark.parametrize(("model", "query", "body", "shown"), ANSWERED)
def test_the_readmes_example_answers_are_what_the_api_answers(
    api, model: str, query: str, body: dict, shown: dict
) -> None:
    response = api.http.post(
        f"/{model}{query}", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )

    assert response.status_code == 200
    assert json.loads(response.body) == approximately(shown)
