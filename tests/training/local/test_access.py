"""``api-keys --target local`` and ``API_KEYS``: the local server's keys, their plans, and
errors that never repeat a key."""

from __future__ import annotations

import json

import pytest

from training.cli import main
from training.errors import SettingsError
from training.local import access
from training.local.settings import LocalSettings, parse_api_keys
from training.usage_plans import UsagePlan

KEY = "Alice0123456789abcdefghij"


def cli(capsys, environ, *argv: str) -> tuple[int, str, str]:
    status = main(["api-keys", *argv], environ=environ)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def environ(tmp_path):
    return {"API_KEYS_FILE": str(tmp_path / "keys.json")}


def stored(environ) -> list[dict]:
    with open(environ["API_KEYS_FILE"], encoding="utf-8") as f:
        return json.load(f)["keys"]


def test_create_stores_a_key_with_its_plan_and_prints_it(capsys, environ):
    status, out, _ = cli(
        capsys, environ, "create", "--name", "bench", "--rate", "500", "--burst", "1000"
    )

    [key] = stored(environ)
    assert status == 0
    assert (key["name"], key["rate"], key["burst"], key["quota"], key["period"]) == (
        "bench",
        500.0,
        1000,
        10000,
        "DAY",
    )
    assert f"x-api-key: {key['value']}" in out.splitlines()


def test_list_shows_names_and_plans_but_no_key(capsys, environ):
    cli(capsys, environ, "create", "--name", "alice")
    cli(capsys, environ, "create", "--name", "bob", "--quota", "5", "--quota-period", "MONTH")

    status, out, _ = cli(capsys, environ, "list")

    assert status == 0
    assert out.splitlines()[1:] == [
        "  alice  10 requests/s, burst 20, 10,000 a day",
        "  bob    10 requests/s, burst 20, 5 a month",
    ]
    assert all(key["value"] not in out for key in stored(environ))


def test_creating_a_name_twice_says_so_and_keeps_one_key(capsys, environ):
    cli(capsys, environ, "create")

    status, _, err = cli(capsys, environ, "create")

    assert status == 2
    assert err.startswith("error: a local key named 'default' exists already: revoke it first")
    assert len(stored(environ)) == 1


def test_revoke_removes_the_key(capsys, environ):
    cli(capsys, environ, "create", "--name", "alice")
    cli(capsys, environ, "create", "--name", "bob")

    status, out, _ = cli(capsys, environ, "revoke", "--name", "alice")

    assert status == 0
    assert [key["name"] for key in stored(environ)] == ["bob"]
    assert "revoked local key 'alice'" in out


def test_revoking_an_unknown_key_names_the_keys_there_are(capsys, environ):
    cli(capsys, environ, "create", "--name", "alice")

    status, _, err = cli(capsys, environ, "revoke", "--name", "mallory")

    assert status == 2
    assert err == (
        f"error: no local key named 'mallory' in {environ['API_KEYS_FILE']} (keys: 'alice')\n"
    )


def test_with_api_keys_set_create_says_to_edit_it_instead(capsys, environ):
    status, _, err = cli(capsys, {**environ, "API_KEYS": KEY}, "create", "--name", "x")

    assert status == 2
    assert err.startswith("error: API_KEYS sets the local keys, so there is no key file")


def test_a_damaged_key_file_is_one_line_without_its_contents(capsys, environ):
    with open(environ["API_KEYS_FILE"], "w", encoding="utf-8") as f:
        f.write('{"keys": [{"name": "x", "value": "' + KEY + '"')

    status, _, err = cli(capsys, environ, "list")

    assert status == 2
    assert err.startswith(f"error: the key file {environ['API_KEYS_FILE']} can't be read")
    assert KEY not in err


def test_serving_makes_a_default_key_once(tmp_path):
    settings = LocalSettings(api_keys_file=tmp_path / "keys.json")
    printed: list[str] = []

    first = access.serving_keys(settings, printed.append)
    second = access.serving_keys(settings, printed.append)

    assert first.shown == second.shown
    assert (first.shown.name, first.shown.plan) == ("default", UsagePlan())
    assert len(printed) == 1 and first.shown.value not in printed[0]
    assert oct((tmp_path / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_api_keys_gives_each_key_its_own_plan():
    other = "Bob0123456789abcdefghijkl"

    keys = parse_api_keys(f"{KEY}:name=alice,rate=5,burst=8,quota=100,period=week; {other}")

    assert [(key.name, key.value, key.plan) for key in keys] == [
        ("alice", KEY, UsagePlan(rate=5, burst=8, quota=100, period="WEEK")),
        ("API_KEYS-2", other, UsagePlan()),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("short", "API_KEYS, key 1: a key is 20 to 128 letters and digits"),
        (f"{KEY}:rate=0", "API_KEYS, key 1: rate=0: the rate must be above 0 requests/s"),
        (
            f"{KEY};{KEY}x:burst=2,rate=3",
            "API_KEYS, key 2: burst=2 is below rate=3: the burst must hold at least one "
            "second's requests",
        ),
        (f"{KEY}:period=YEAR", "API_KEYS, key 1: period='YEAR': use DAY, WEEK or MONTH"),
        (
            f"{KEY}:color=red",
            "API_KEYS, key 1: 'color' is not one of name, rate, burst, quota, period (as name=value)",
        ),
        (
            f"{KEY}:rate=fast",
            "API_KEYS, key 1: rate is a number; burst and quota are whole numbers",
        ),
        (f"{KEY};{KEY}", "API_KEYS: two keys have the same value or the same name"),
        (";", "API_KEYS is set but holds no key; unset it to use the key file"),
    ],
)
def test_a_bad_api_keys_is_named_without_repeating_a_key(raw, message):
    with pytest.raises(SettingsError) as raised:
        parse_api_keys(raw)

    assert str(raised.value) == message
    assert KEY not in str(raised.value)
