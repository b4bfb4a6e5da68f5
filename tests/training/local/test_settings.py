"""Where the local settings come from: the --host flag, then the environment, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.errors import SettingsError
from training.local.settings import LocalSettings


def test_defaults_fill_in_what_neither_flag_nor_environment_gives():
    settings = LocalSettings.from_environ({})

    assert (settings.emulator_host, settings.emulator_port) == ("127.0.0.1", 8080)
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)


def test_the_environment_wins_over_the_defaults():
    settings = LocalSettings.from_environ(
        {"MODELS_DIR": "/tmp/m", "EMULATOR_HOST": "::1", "API_PORT": "9000"}
    )

    assert (settings.models_dir, settings.emulator_host, settings.api_port) == (
        Path("/tmp/m"),
        "::1",
        9000,
    )


def test_the_host_flag_wins_over_the_environment_for_both_servers():
    settings = LocalSettings.from_environ(
        {"EMULATOR_HOST": "10.0.0.1", "API_HOST": "10.0.0.2"}, flags={"host": "0.0.0.0"}
    )

    assert (settings.emulator_host, settings.api_host) == ("0.0.0.0", "0.0.0.0")


@pytest.mark.parametrize("value", ["eighty", "65536", "-1"])
def test_a_port_that_is_not_one_names_the_variable(value):
    with pytest.raises(SettingsError) as raised:
        LocalSettings.from_environ({"EMULATOR_PORT": value})

    assert str(raised.value) == f"EMULATOR_PORT={value!r} is not a port number (0 to 65535)"
