"""The model store: endpoints found on disk, loaded once, reloaded when their file changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.emulator.endpoints import Model, ModelStore, load_model
from training.emulator.exceptions import EndpointNotFound, ModelLoadError
from training.linear_learner import LinearLearner


class CountingLoader:
    """The real loader, counting its calls per directory."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, directory: Path) -> Model:
        self.calls.append(directory.name)
        return load_model(directory)


def test_a_model_is_loaded_once_while_its_file_is_unchanged(models_dir: Path) -> None:
    loader = CountingLoader()
    store = ModelStore(models_dir, loader=loader)
    first = store.get("housing")
    second = store.get("housing")
    assert first is second
    assert loader.calls == ["housing"]


def test_a_replaced_model_file_is_reloaded(
    models_dir: Path, learners: dict[str, LinearLearner]
) -> None:
    store = ModelStore(models_dir)
    before = store.get("housing")
    learners["weather"].save(models_dir / "housing")
    after = store.get("housing")
    assert before.predictor_type == "regressor"
    assert after.predictor_type == "multiclass_classifier"


def test_a_touched_model_file_is_reloaded(models_dir: Path) -> None:
    loader = CountingLoader()
    store = ModelStore(models_dir, loader=loader)
    store.get("credit")
    stat = (models_dir / "credit" / "model.npz").stat()
    os.utime(models_dir / "credit" / "model.npz", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    store.get("credit")
    assert loader.calls == ["credit", "credit"]


@pytest.mark.parametrize("name", ["missing", "..", "../housing", "housing/..", "", "a" * 64])
def test_names_that_are_no_hosted_endpoint_are_not_found(models_dir: Path, name: str) -> None:
    store = ModelStore(models_dir)
    with pytest.raises(EndpointNotFound) as raised:
        store.get(name)
    assert raised.value.endpoint_name == name


def test_a_broken_model_file_is_reported_and_not_reread_on_every_request(
    models_dir: Path,
) -> None:
    (models_dir / "broken").mkdir()
    (models_dir / "broken" / "model.npz").write_bytes(b"garbage")
    loader = CountingLoader()
    log: list[str] = []
    store = ModelStore(models_dir, loader=loader, log=log.append)
    for _ in range(3):
        with pytest.raises(ModelLoadError):
            store.get("broken")
    assert loader.calls == ["broken"]
    assert len(log) == 1 and "cannot load" in log[0]


def test_names_lists_only_directories_with_a_model_file(models_dir: Path) -> None:
    (models_dir / "no-model-yet").mkdir()
    (models_dir / "stray-file").write_text("x")
    assert ModelStore(models_dir).names() == ["credit", "housing", "weather"]


def test_a_missing_models_directory_hosts_nothing(tmp_path: Path) -> None:
    assert ModelStore(tmp_path / "absent").names() == []
