"""Where the local settings come from: the --host flag, then the environment, then defaults;
and the connection timeout both local servers share."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from training.cli import main
from training.emulator import Emulator
from training.errors import SettingsError
from training.local import chalice_server
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


def test_the_connection_timeout_is_a_minute_by_default_for_both_servers():
    timeout = LocalSettings.from_environ({}).connection_timeout
    defaults = {
        inspect.signature(server).parameters["connection_timeout"].default
        for server in (Emulator, chalice_server.create_server)
    }

    assert timeout == 60.0
    assert defaults == {timeout}


def test_connection_timeout_seconds_sets_it():
    settings = LocalSettings.from_environ({"CONNECTION_TIMEOUT_SECONDS": "2.5"})

    assert settings.connection_timeout == 2.5


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "inf", "nan"])
def test_a_connection_timeout_that_is_not_a_positive_number_is_one_error_line(capsys, raw):
    status = main(["serve"], environ={"CONNECTION_TIMEOUT_SECONDS": raw})

    lines = capsys.readouterr().err.splitlines()
    assert status == 2
    assert lines == [
        f"error: CONNECTION_TIMEOUT_SECONDS={raw!r} is not a number of seconds above 0"
    ]
