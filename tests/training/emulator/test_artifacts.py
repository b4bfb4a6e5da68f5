"""Reading Linear Learner's model.tar.gz as a SageMaker training job writes it, and writing it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.training.emulator.artifact_layout import (
    artifact,
    artifact_files,
    params_file,
    symbol,
    tar_of,
    zip_of,
)
from training.emulator.artifacts import ArtifactError, read_artifact, write_artifact
from training.emulator.ndarray_list import read_ndarray_list, write_ndarray_list

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 4))
W1, B1 = RNG.normal(size=(4, 1)).astype(np.float32), RNG.normal(size=1).astype(np.float32)
W3, B3 = RNG.normal(size=(4, 3)).astype(np.float32), RNG.normal(size=3).astype(np.float32)


def margins(weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return X @ weights.astype(np.float64) + bias.astype(np.float64)


def test_a_regressor_artifact_scores_rows_as_x_times_w_plus_b() -> None:
    records = read_artifact(artifact("regressor", W1, B1)).predict_records(X)

    assert [r["score"] for r in records] == pytest.approx(margins(W1, B1)[:, 0].tolist())


def test_a_binary_artifact_scores_the_sigmoid_and_labels_by_the_stored_threshold() -> None:
    records = read_artifact(artifact("binary_classifier", W1, B1, threshold=0.7)).predict_records(X)

    expected = 1 / (1 + np.exp(-margins(W1, B1)[:, 0]))
    assert [r["score"] for r in records] == pytest.approx(expected.tolist())
    assert [r["predicted_label"] for r in records] == [int(p > 0.7) for p in expected]


def test_a_multiclass_artifact_gives_class_probabilities_and_their_argmax() -> None:
    records = read_artifact(artifact("multiclass_classifier", W3, B3)).predict_records(X)

    z = margins(W3, B3)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.array([r["score"] for r in records]) == pytest.approx(expected)
    assert [r["predicted_label"] for r in records] == expected.argmax(axis=1).tolist()


def test_the_feature_count_comes_from_the_weights() -> None:
    assert read_artifact(artifact("regressor", W1, B1)).n_features_in_ == 4


@pytest.mark.parametrize(
    "predictor_type", ["regressor", "binary_classifier", "multiclass_classifier"]
)
def test_the_writer_round_trips_every_predictor_type(predictor_type: str) -> None:
    weights, bias = (W3, B3) if predictor_type == "multiclass_classifier" else (W1, B1)
    expected = read_artifact(artifact(predictor_type, weights, bias, 0.4)).predict_records(X)

    loss = "logistic" if predictor_type == "binary_classifier" else "squared_loss"
    written = read_artifact(
        write_artifact(predictor_type, weights, bias, loss, 0.4)
    ).predict_records(X)

    assert written == expected


def test_the_ndarray_writer_matches_the_documented_bytes() -> None:
    arrays = {"arg:fc0_weight": W3, "arg:fc0_bias": B3.reshape(1, 3)}

    assert write_ndarray_list(arrays) == params_file(W3, B3.reshape(1, 3))


def test_the_ndarray_reader_reads_the_measured_190_byte_file_shape() -> None:
    data = params_file(np.zeros((2, 3), np.float32), np.zeros((1, 3), np.float32))

    arrays = read_ndarray_list(data)

    assert len(data) == 190
    assert {name: a.shape for name, a in arrays.items()} == {
        "arg:fc0_weight": (2, 3),
        "arg:fc0_bias": (1, 3),
    }


def _broken(changes: dict[str, bytes | None]) -> bytes:
    """A regressor's artifact with some files of model_algo-1 replaced, or removed (None)."""
    files = artifact_files("regressor", W1, B1)
    for name, content in changes.items():
        if content is None:
            del files[name]
        else:
            files[name] = content
    return tar_of({"model_algo-1": zip_of(files)})


CORRUPT = {
    "truncated tar": (artifact("regressor", W1, B1)[:60], "truncated or not a gzip tar"),
    "tar without model_algo-1": (
        tar_of({"model.bin": b"x"}),
        "has no model_algo-1 (it holds model.bin)",
    ),
    "zip without the params file": (
        _broken({"mx-mod-0000.params": None}),
        "model_algo-1 lacks mx-mod-0000.params",
    ),
    "zip without additional-params.json": (
        _broken({"additional-params.json": None}),
        "model_algo-1 lacks additional-params.json",
    ),
    "wrong magic number": (
        _broken({"mx-mod-0000.params": params_file(W1, B1.reshape(1, 1), list_magic=0x113)}),
        "wrong magic number 0x113",
    ),
    "float64 weights": (
        _broken(
            {
                "mx-mod-0000.params": params_file(
                    W1.astype(np.float64), B1.astype(np.float64).reshape(1, 1), type_flag=1
                )
            }
        ),
        "arg:fc0_weight is float64; Linear Learner stores float32",
    ),
    "unknown graph head": (
        _broken({"mx-mod-symbol.json": json.dumps(symbol("MakeLoss")).encode()}),
        "a graph head this reader doesn't know (ops: ['MakeLoss'])",
    ),
    "head disagreeing with additional-params": (
        _broken({"mx-mod-symbol.json": json.dumps(symbol("multiclass_classifier")).encode()}),
        "the graph's head is a multiclass_classifier but additional-params.json says regressor",
    ),
    "model_algo-1 that is no zip": (
        tar_of({"model_algo-1": b"\x12\x01\x00\x00" + bytes(20)}),
        "model_algo-1 is not a zip archive",
    ),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_a_corrupt_artifact_is_refused_with_a_message_naming_the_problem(case: str) -> None:
    data, message = CORRUPT[case]

    with pytest.raises(ArtifactError) as raised:
        read_artifact(data)

    assert message in str(raised.value)
