"""The page in a real browser: forms from the catalog, predictions, explanations, errors, tabs.

Each test opens the page from the local HTTP server of the app, which calls the real local
endpoint, and reads what a user would see. Screenshots of each state go to ``reports/page/``.
"""

from __future__ import annotations

import json
import shlex
import urllib.request
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as shown
from selenium.webdriver.support.ui import Select

from chalicelib.catalog import CATALOG
from chalicelib.config import Settings
from tests.browser.conftest import keyed_server, open_page, screenshot, stage_prefix, wait
from tests.conftest import configure_app
from tests.examples import EXAMPLES
from training.local.throttling import LocalKey
from training.usage_plans import UsagePlan

KEY = "PageKey0123456789abcdefgh"


def api_answer(api_url: str, model: str, instance: dict[str, Any], query: str = "") -> Any:
    request = urllib.request.Request(
        f"{api_url}/{model}{query}",
        data=json.dumps(instance).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def by_id(driver: Any, element_id: str) -> Any:
    return driver.find_element(By.ID, element_id)


def visible(driver: Any, element_id: str) -> Any:
    return wait(driver).until(shown.visibility_of_element_located((By.ID, element_id)))


def choose_tab(driver: Any, model: str) -> None:
    wait(driver).until(shown.element_to_be_clickable((By.ID, f"tab-{model}"))).click()
    visible(driver, f"panel-{model}")


def type_into(driver: Any, element_id: str, text: str) -> None:
    field = by_id(driver, element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)


def test_each_tab_is_a_model_of_the_catalog_in_order(page):
    tabs = page.find_elements(By.CSS_SELECTOR, "[role=tablist] [role=tab]")

    assert [tab.text for tab in tabs] == [name.capitalize() for name in CATALOG]
    assert [tab.get_attribute("aria-selected") for tab in tabs] == ["true", "false", "false"]


def test_the_credit_form_holds_the_catalogs_example_with_its_ranges(page):
    choose_tab(page, "credit")
    example = EXAMPLES["credit"]

    values = {name: by_id(page, f"credit-{name}").get_attribute("value") for name in example}
    age = by_id(page, "credit-age")
    checking = Select(by_id(page, "credit-checking_account"))

    assert values == {name: str(value) for name, value in example.items()}
    assert (age.get_attribute("min"), age.get_attribute("max"), age.get_attribute("step")) == (
        "18",
        "120",
        "1",
    )
    assert by_id(page, "credit-credit_amount").get_attribute("step") == "any"
    assert [option.text for option in checking.options] == ["none", "little", "moderate", "rich"]
    assert "none" not in [option.text for option in Select(by_id(page, "credit-sex")).options]


def test_predicting_credit_shows_the_apis_score_and_label(page, api_url):
    expected = api_answer(api_url, "credit", EXAMPLES["credit"])["predictions"][0]
    choose_tab(page, "credit")

    by_id(page, "credit-predict").click()
    label = visible(page, "credit-label")

    assert label.text == expected["label"]
    assert float(by_id(page, "credit-score").text) == pytest.approx(expected["score"], rel=1e-3)
    assert "probability of 'bad'" in by_id(page, "credit-result").text
    screenshot(page, "credit-predicted")


def test_explaining_credit_draws_a_bar_and_a_table_row_per_field_and_the_reasons(page, api_url):
    expected = api_answer(api_url, "credit", EXAMPLES["credit"], "?explain=true")
    explanation = expected["predictions"][0]["explanation"]
    choose_tab(page, "credit")

    by_id(page, "credit-explain").click()
    visible(page, "credit-chart")
    bars = page.find_elements(By.CSS_SELECTOR, "#credit-chart rect.bar")
    rows = page.find_elements(By.CSS_SELECTOR, "#credit-contributions tbody tr")
    reasons = page.find_elements(By.CSS_SELECTOR, "#credit-reasons li")

    assert by_id(page, "credit-label").text == expected["predictions"][0]["label"]
    assert {bar.get_attribute("data-field") for bar in bars} == set(explanation["contributions"])
    assert len(rows) == len(explanation["contributions"])
    assert [reason.text for reason in reasons] == [r["sentence"] for r in explanation["reasons"]]
    screenshot(page, "credit-explained")


def test_explaining_housing_draws_bars_either_side_of_zero_on_the_score_scale(page, api_url):
    expected = api_answer(api_url, "housing", EXAMPLES["housing"], "?explain=true")
    contributions = expected["predictions"][0]["explanation"]["contributions"]
    choose_tab(page, "housing")

    by_id(page, "housing-explain").click()
    chart = visible(page, "housing-chart")
    bars = page.find_elements(By.CSS_SELECTOR, "#housing-chart rect.bar")
    zero = float(chart.find_element(By.TAG_NAME, "line").get_attribute("x1"))
    right = {b.get_attribute("data-field") for b in bars if float(b.get_attribute("x")) >= zero}

    assert right == {field for field, value in contributions.items() if value >= 0}
    assert len(bars) == len(contributions) == len(EXAMPLES["housing"])
    assert "raises the score" in chart.text
    assert page.find_elements(By.ID, "housing-reasons") == []
    screenshot(page, "housing-explained")


def test_an_out_of_range_age_gets_the_apis_error_next_to_the_age_field(page):
    choose_tab(page, "credit")
    type_into(page, "credit-age", "200")

    by_id(page, "credit-predict").click()
    error = visible(page, "credit-age-error")
    age = by_id(page, "credit-age")

    assert error.text == "Input should be less than or equal to 120"
    assert age.get_attribute("aria-invalid") == "true"
    assert "credit-age-error" in age.get_attribute("aria-describedby").split()
    # Next to its field: in the same field box, right under the input.
    assert error.find_element(By.XPATH, "preceding-sibling::*[1]") == age
    assert "1 problem with the credit input." in by_id(page, "credit-problem").text
    assert page.find_elements(By.CSS_SELECTOR, "#credit-result *") == []
    screenshot(page, "credit-error")


@pytest.mark.parametrize("model", ["housing", "rainfall"])
def test_a_regressors_tab_predicts_the_apis_score(page, api_url, model):
    expected = api_answer(api_url, model, EXAMPLES[model])["predictions"][0]

    choose_tab(page, model)
    by_id(page, f"{model}-predict").click()
    score = visible(page, f"{model}-score")

    assert float(score.text) == pytest.approx(expected["score"], rel=1e-3)
    assert page.find_elements(By.ID, f"{model}-label") == []
    assert not by_id(page, "panel-credit").is_displayed()
    screenshot(page, f"{model}-predicted")


def test_arrow_keys_home_and_end_move_between_tabs_and_show_their_panels(page):
    first = by_id(page, "tab-rainfall")
    first.click()

    first.send_keys(Keys.ARROW_RIGHT)
    after_right = page.switch_to.active_element.get_attribute("id")
    page.switch_to.active_element.send_keys(Keys.END)
    after_end = page.switch_to.active_element.get_attribute("id")
    page.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    wrapped = page.switch_to.active_element.get_attribute("id")
    page.switch_to.active_element.send_keys(Keys.ARROW_LEFT)

    assert (after_right, after_end, wrapped) == ("tab-housing", "tab-credit", "tab-rainfall")
    assert by_id(page, "tab-credit").get_attribute("aria-selected") == "true"
    assert by_id(page, "panel-credit").is_displayed()
    assert not by_id(page, "panel-rainfall").is_displayed()
    # Only the selected tab is in the Tab order; Tab goes on into its panel.
    assert [
        tab.get_attribute("tabindex") for tab in page.find_elements(By.CSS_SELECTOR, "[role=tab]")
    ] == ["-1", "-1", "0"]


def test_the_keyboard_alone_fills_and_submits_a_form(page, api_url):
    expected = api_answer(api_url, "housing", {**EXAMPLES["housing"], "rm": 7.5})
    by_id(page, "tab-rainfall").click()
    page.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)

    page.switch_to.active_element.send_keys(Keys.TAB)  # the panel
    for _ in range(1 + list(EXAMPLES["housing"]).index("rm")):
        page.switch_to.active_element.send_keys(Keys.TAB)
    field = page.switch_to.active_element
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("7.5", Keys.ENTER)
    score = visible(page, "housing-score")

    assert field.get_attribute("id") == "housing-rm"
    assert float(score.text) == pytest.approx(expected["predictions"][0]["score"], rel=1e-3)


def test_every_input_and_select_has_a_label(page):
    unlabelled = page.execute_script(
        "return [...document.querySelectorAll('input, select')]"
        ".filter((control) => control.labels.length === 0"
        " || !control.labels[0].textContent.trim()).map((control) => control.id);"
    )
    controls = page.find_elements(By.CSS_SELECTOR, "[role=tabpanel] input, [role=tabpanel] select")

    assert unlabelled == []
    assert len(controls) == sum(len(spec.instance_model.model_fields) for spec in CATALOG.values())


def test_the_curl_command_sends_what_the_form_holds(page, api_url):
    choose_tab(page, "credit")
    type_into(page, "credit-duration", "12")
    Select(by_id(page, "credit-checking_account")).select_by_visible_text("none")

    words = shlex.split(by_id(page, "credit-curl").text)
    by_id(page, "credit-copy").click()

    assert words[:3] == ["curl", "-s", f"{api_url}/credit"]
    assert words[3:5] == ["-H", "Content-Type: application/json"]
    sent = json.loads(words[words.index("-d") + 1])
    assert sent == {**EXAMPLES["credit"], "duration": 12, "checking_account": None}
    assert api_answer(api_url, "credit", sent)["predictions"][0]["label"] in ("good", "bad")
    wait(page).until(
        shown.text_to_be_present_in_element((By.CSS_SELECTOR, "#panel-credit .copied"), "Copied")
    )


def test_a_key_typed_in_is_kept_in_session_storage_only_and_goes_into_the_curl_command(page):
    by_id(page, "key-box").click()
    visible(page, "api-key").send_keys("a-key-for-this-tab")

    stored = page.execute_script(
        "return [sessionStorage.getItem('x-api-key'), localStorage.length, document.cookie];"
    )
    curl = by_id(page, "rainfall-curl").text

    assert stored == ["a-key-for-this-tab", 0, ""]
    assert '-H "x-api-key: $API_KEY"' in curl
    assert "a-key-for-this-tab" not in curl


def test_without_a_key_the_page_asks_for_one_and_predicts_once_it_is_entered(page, api_url):
    expected = api_answer(api_url, "housing", EXAMPLES["housing"])["predictions"][0]
    with keyed_server(LocalKey("page", KEY, UsagePlan())) as url:
        open_page(page, url)
        choose_tab(page, "housing")
        by_id(page, "housing-predict").click()
        wait(page).until(
            shown.text_to_be_present_in_element((By.ID, "housing-problem"), "needs a key")
        )
        asked = (
            by_id(page, "key-box").get_attribute("open"),
            page.switch_to.active_element.get_attribute("id"),
        )
        screenshot(page, "key-asked")
        page.switch_to.active_element.send_keys(KEY)
        by_id(page, "housing-predict").click()
        score = visible(page, "housing-score")

        assert asked == ("true", "api-key")
        assert float(score.text) == pytest.approx(expected["score"], rel=1e-3)
        assert by_id(page, "housing-problem").text == ""


def test_over_its_keys_rate_the_page_says_to_wait(page):
    with keyed_server(LocalKey("page", KEY, UsagePlan(rate=1, burst=1))) as url:
        open_page(page, url)
        by_id(page, "key-box").click()
        visible(page, "api-key").send_keys(KEY)
        choose_tab(page, "housing")
        by_id(page, "housing-predict").click()
        visible(page, "housing-score")
        by_id(page, "housing-predict").click()
        wait(page).until(
            shown.text_to_be_present_in_element((By.ID, "housing-problem"), "Too many requests")
        )

        assert "Wait a few seconds, then try again." in by_id(page, "housing-problem").text
        assert page.find_elements(By.CSS_SELECTOR, "#housing-result *") == []


def test_a_failing_models_route_shows_its_error_instead_of_a_blank_page(page, api_url, emulator):
    import app as app_module

    # A setting the app can't use makes GET /models answer 500.
    app_module.configure_from_environ({"MAX_INSTANCES": "many"})
    try:
        open_page(page, api_url)
        status = by_id(page, "status").text
        screenshot(page, "models-failed")
    finally:
        configure_app(Settings(runtime_url=emulator.url, max_attempts=1))

    assert status == (
        "Could not load the models from GET /models: The server could not handle this request."
    )
    assert page.find_elements(By.CSS_SELECTOR, "[role=tab]") == []


def test_a_network_failure_on_predict_says_so_and_keeps_the_form(page):
    choose_tab(page, "housing")
    type_into(page, "housing-rm", "7.25")
    # The browser's own offline mode: every request fails on the network, as with a dead link.
    offline(page, True)
    try:
        by_id(page, "housing-predict").click()
        wait(page).until(
            shown.text_to_be_present_in_element(
                (By.ID, "housing-problem"), "Could not reach the API"
            )
        )
    finally:
        offline(page, False)

    assert by_id(page, "housing-rm").get_attribute("value") == "7.25"
    assert "Your inputs are kept" in by_id(page, "housing-problem").text
    assert page.find_elements(By.CSS_SELECTOR, "#housing-result *") == []


def offline(driver: Any, on: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


@pytest.mark.parametrize("page_path", ["/", ""])
def test_under_a_stage_prefix_the_page_calls_the_stages_routes(page, api_url, page_path):
    expected = api_answer(api_url, "housing", EXAMPLES["housing"])["predictions"][0]
    with stage_prefix(api_url) as stage_url:
        page.get(stage_url + page_path)
        choose_tab(page, "housing")
        by_id(page, "housing-predict").click()
        score = visible(page, "housing-score")

        assert float(score.text) == pytest.approx(expected["score"], rel=1e-3)
        assert shlex.split(by_id(page, "housing-curl").text)[2] == f"{stage_url}/housing"
        assert by_id(page, "models-link").get_attribute("href") == f"{stage_url}/models"
