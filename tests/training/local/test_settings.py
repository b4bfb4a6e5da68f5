"""The local target's settings: the connection timeout, read from the environment once."""

from __future__ import annotations

import inspect

import pytest

from training.cli import main
from training.emulator import Emulator
from training.local import chalice_server
from training.local.settings import LocalSettings


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
