"""``python -m training api-keys``: bad input ends as one ``error:`` line and status 2, on
either target, before any key file is touched or any AWS call is made."""

from __future__ import annotations

import pytest

from training.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str, environ=None) -> tuple[int, str]:
    status = main(["api-keys", *argv], environ=environ or {})
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return status, lines[0]


BAD = [
    (["create", "--rate", "0"], "--rate 0: the rate must be above 0 requests/s"),
    (["create", "--rate", "-3"], "--rate -3: the rate must be above 0 requests/s"),
    (
        ["create", "--rate", "50", "--burst", "20"],
        "--burst 20 is below --rate 50: the burst must hold at least one second's requests",
    ),
    (["create", "--quota-period", "YEAR"], "--quota-period 'YEAR': use DAY, WEEK or MONTH"),
    (["create", "--quota", "0"], "--quota 0: the quota must be at least 1 request"),
    (["revoke"], "revoke needs --name NAME (api-keys list shows the names)"),
    (
        ["list", "--rate", "5"],
        "--rate, --burst, --quota and --quota-period go with create, not list",
    ),
    (
        ["create", "--name", "no spaces"],
        "--name 'no spaces': use up to 64 letters, digits, '-' and '_', starting with a "
        "letter or digit",
    ),
]


@pytest.mark.parametrize("target", ["local", "aws"])
@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_api_keys_input_is_one_line_naming_the_flag(capsys, tmp_path, target, argv, message):
    key_file = tmp_path / "keys.json"
    environ = {"API_KEYS_FILE": str(key_file)}

    status, line = run(capsys, *argv, "--target", target, environ=environ)

    assert (status, line) == (2, f"error: {message}")
    assert not key_file.exists()


def test_a_quota_period_in_lower_case_is_accepted(capsys, tmp_path):
    key_file = tmp_path / "keys.json"
    status = main(
        ["api-keys", "create", "--quota-period", "week"], environ={"API_KEYS_FILE": str(key_file)}
    )

    assert status == 0
    assert "10 requests/s, burst 20, 10,000 a week" in capsys.readouterr().out


def test_the_local_target_refuses_a_stage(capsys, tmp_path):
    status, line = run(
        capsys, "list", "--stage", "prod", environ={"API_KEYS_FILE": str(tmp_path / "k.json")}
    )

    assert status == 2
    assert line.startswith("error: --stage names a deployed stage; the local server has one")
