"""Linear Learner's ``model.tar.gz``, the artifact a SageMaker training job writes: read and write.

The layout (``shared/reference/model-artifact-facts.md``)::

    model.tar.gz                  gzip tar, one member at its root
    └── model_algo-1              a zip (stored, no compression)
        ├── manifest.json         {"mx-mod": "mxnet_module", "additional-params.json": "json", ...}
        ├── mx-mod-symbol.json    the MXNet symbol graph: X @ fc0_weight + fc0_bias, then the head
        ├── mx-mod-0000.params    an MXNet NDArray list: arg:fc0_weight (d, k), arg:fc0_bias (1, k)
        └── additional-params.json  predictor_type, loss_type, threshold

The head of the graph tells the predictor type, and must agree with ``additional-params.json``:

| head ops | predictor type | score |
|---|---|---|
| ``LinearRegressionOutput`` | regressor | ``X @ W + b`` |
| ``LogisticRegressionOutput`` or ``sigmoid`` | binary classifier | ``sigmoid(X @ W + b)``, or the margin under ``hinge_loss`` |
| ``exp``, ``sum``, ``broadcast_div`` (a softmax), or ``softmax`` | multiclass classifier | the class probabilities, clipped to [1e-10, 1] |

The weights act on raw features: Linear Learner folds its normalisation into them. Each
problem with a file raises ``ArtifactError`` naming the member and what is wrong, and the
endpoint store reports it for that endpoint alone. No MXNet is needed, to read or to write.

Unconfirmed by any stored source: the binary classifier's graph (no public binary artifact
was found; the writer emits ``LogisticRegressionOutput``, the reader accepts that or a
``sigmoid``), and whether its ``predicted_label`` compares the score with the threshold by
``>`` or ``>=`` (``>`` here, as the local learner does).
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from training.emulator.ndarray_list import NDArrayListError, read_ndarray_list, write_ndarray_list

ARTIFACT_FILE = "model.tar.gz"
MEMBER = "model_algo-1"
MANIFEST = "manifest.json"
SYMBOL = "mx-mod-symbol.json"
PARAMS = "mx-mod-0000.params"
ADDITIONAL = "additional-params.json"
WEIGHT, BIAS = "arg:fc0_weight", "arg:fc0_bias"
PREDICTOR_TYPES = ("regressor", "binary_classifier", "multiclass_classifier")
# The largest member read into memory: Linear Learner's are kilobytes; this bounds a bad file.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
PROBABILITY_FLOOR = 1e-10


class ArtifactError(ValueError):
    """An artifact this reader can't serve; the message names the part and the problem."""


@dataclass(frozen=True)
class ArtifactModel:
    """A Linear Learner read from its artifact, answering as the endpoint answers.

    ``weights`` has shape (n_features, n_outputs) and ``bias`` (n_outputs,), both float32
    as stored; scores are computed in float64 from them.
    """

    predictor_type: str
    weights: np.ndarray
    bias: np.ndarray
    loss: str
    threshold: float

    @property
    def n_features_in_(self) -> int:
        return int(self.weights.shape[0])

    def predict_records(self, X: np.ndarray) -> list[dict[str, Any]]:
        """One Linear Learner record per row of raw features."""
        margins = np.asarray(X, dtype=np.float64) @ self.weights.astype(np.float64) + self.bias
        if self.predictor_type == "regressor":
            return [{"score": value} for value in margins[:, 0].tolist()]
        if self.predictor_type == "binary_classifier":
            column = margins[:, 0]
            scores = column if self.loss == "hinge_loss" else 1.0 / (1.0 + np.exp(-column))
            return [
                {"score": value, "predicted_label": 1 if value > self.threshold else 0}
                for value in scores.tolist()
            ]
        shifted = np.exp(margins - margins.max(axis=1, keepdims=True))
        probabilities = np.clip(
            shifted / shifted.sum(axis=1, keepdims=True), PROBABILITY_FLOOR, 1.0
        )
        labels = probabilities.argmax(axis=1)
        return [
            {"score": row, "predicted_label": label}
            for row, label in zip(probabilities.tolist(), labels.tolist(), strict=True)
        ]


# -- reading ---------------------------------------------------------------------------------


def read_artifact(data: bytes) -> ArtifactModel:
    """The model in the bytes of a ``model.tar.gz``."""
    inner = _member_of_tar(data)
    if inner.startswith(b"PK\x03\x04"):
        files = _files_of_zip(inner)
    else:
        raise ArtifactError(
            f"{MEMBER} is not a zip archive (it starts {inner[:8].hex(' ')}); Linear Learner "
            "writes a zip holding the MXNet graph, parameters and additional-params.json"
        )
    params = _json(files, ADDITIONAL)
    predictor_type = params.get("predictor_type")
    if predictor_type not in PREDICTOR_TYPES:
        raise ArtifactError(
            f"{ADDITIONAL}: predictor_type {predictor_type!r} is not one of {', '.join(PREDICTOR_TYPES)}"
        )
    head = graph_head(_json(files, SYMBOL))
    if head != predictor_type:
        raise ArtifactError(
            f"{SYMBOL}: the graph's head is a {head} but {ADDITIONAL} says {predictor_type}"
        )
    weights, bias = _weights(files, predictor_type)
    threshold = params.get("threshold", 0.5)
    if not isinstance(threshold, int | float):
        raise ArtifactError(f"{ADDITIONAL}: threshold {threshold!r} is not a number")
    return ArtifactModel(
        predictor_type=predictor_type,
        weights=weights,
        bias=bias,
        loss=str(params.get("loss_type") or ""),
        threshold=float(threshold),
    )


def _member_of_tar(data: bytes) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            try:
                info = archive.getmember(MEMBER)
            except KeyError:
                names = ", ".join(archive.getnames()[:5]) or "nothing"
                raise ArtifactError(
                    f"model.tar.gz has no {MEMBER} (it holds {names}); is it a Linear Learner artifact?"
                ) from None
            if not info.isfile() or info.size > MAX_MEMBER_BYTES:
                raise ArtifactError(f"model.tar.gz: {MEMBER} is not a regular file of sane size")
            extracted = archive.extractfile(info)
            assert extracted is not None  # a regular file always extracts
            return extracted.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArtifactError(f"model.tar.gz is truncated or not a gzip tar ({error})") from None


def _files_of_zip(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {}
            for info in archive.infolist():
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ArtifactError(f"{MEMBER}: {info.filename} is {info.file_size} bytes")
                files[info.filename] = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise ArtifactError(f"{MEMBER} is a damaged zip ({error})") from None
    missing = [name for name in (MANIFEST, SYMBOL, PARAMS, ADDITIONAL) if name not in files]
    if missing:
        raise ArtifactError(f"{MEMBER} lacks {', '.join(missing)}")
    return files


def _json(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (ValueError, UnicodeDecodeError) as error:
        raise ArtifactError(f"{name} is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise ArtifactError(f"{name} is not a JSON object")
    return value


def graph_head(symbol: Mapping[str, Any]) -> str:
    """The predictor type the graph's head computes, from the ops it holds."""
    nodes = symbol.get("nodes")
    if not isinstance(nodes, list):
        raise ArtifactError(f"{SYMBOL} has no list of nodes")
    ops = {str(node.get("op")) for node in nodes if isinstance(node, dict)}
    activations = {
        str(node.get("attrs", {}).get("act_type"))
        for node in nodes
        if isinstance(node, dict) and node.get("op") == "Activation"
    }
    if "dot" not in ops or "broadcast_add" not in ops:
        raise ArtifactError(
            f"{SYMBOL}: the graph is not X @ fc0_weight + fc0_bias (ops: {sorted(ops)})"
        )
    if "LinearRegressionOutput" in ops:
        return "regressor"
    if "softmax" in ops or "SoftmaxOutput" in ops or {"exp", "sum", "broadcast_div"} <= ops:
        return "multiclass_classifier"
    if "LogisticRegressionOutput" in ops or "sigmoid" in ops or "sigmoid" in activations:
        return "binary_classifier"
    known = sorted(ops - {"null", "dot", "broadcast_add"})
    raise ArtifactError(f"{SYMBOL}: a graph head this reader doesn't know (ops: {known})")


def _weights(files: Mapping[str, bytes], predictor_type: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        arrays = read_ndarray_list(files[PARAMS])
    except NDArrayListError as error:
        raise ArtifactError(f"{PARAMS}: {error}") from None
    missing = [name for name in (WEIGHT, BIAS) if name not in arrays]
    if missing:
        raise ArtifactError(f"{PARAMS} lacks {', '.join(missing)} (it holds {', '.join(arrays)})")
    weights, bias = arrays[WEIGHT], arrays[BIAS]
    for name, array in ((WEIGHT, weights), (BIAS, bias)):
        if array.dtype != np.float32:
            raise ArtifactError(f"{PARAMS}: {name} is {array.dtype}; Linear Learner stores float32")
    if weights.ndim != 2 or weights.shape[0] == 0:
        raise ArtifactError(
            f"{PARAMS}: {WEIGHT} has shape {weights.shape}, not (features, outputs)"
        )
    outputs = weights.shape[1]
    if bias.size != outputs:
        raise ArtifactError(f"{PARAMS}: {BIAS} has shape {bias.shape} for {outputs} outputs")
    if (predictor_type == "multiclass_classifier") != (outputs > 1):
        raise ArtifactError(f"{PARAMS}: a {predictor_type} with {outputs} output columns")
    if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise ArtifactError(f"{PARAMS}: the weights hold NaN or infinity")
    return weights, bias.reshape(outputs)


# -- writing ---------------------------------------------------------------------------------


def _symbol(predictor_type: str, outputs: int, features: int) -> dict[str, Any]:
    """An MXNet symbol graph of the shape Linear Learner writes for ``predictor_type``."""

    def variable(name: str, **attrs: str) -> dict[str, Any]:
        return {"op": "null", "name": name, **({"attrs": attrs} if attrs else {}), "inputs": []}

    nodes: list[dict[str, Any]] = [
        variable("data"),
        variable("fc0_weight", __shape__=str((features, outputs))),
        {"op": "dot", "name": "dot0", "inputs": [[0, 0, 0], [1, 0, 0]]},
        variable("fc0_bias", __shape__=str((1, outputs)), __lr_mult__="10.0"),
        {"op": "broadcast_add", "name": "broadcast_add0", "inputs": [[2, 0, 0], [3, 0, 0]]},
        variable("out_label"),
    ]
    if predictor_type == "regressor":
        nodes.append({"op": "LinearRegressionOutput", "name": "linearregressionoutput0",
                      "inputs": [[4, 0, 0], [5, 0, 0]]})  # fmt: skip
    elif predictor_type == "binary_classifier":
        nodes.append({"op": "LogisticRegressionOutput", "name": "logisticregressionoutput0",
                      "inputs": [[4, 0, 0], [5, 0, 0]]})  # fmt: skip
    else:
        nodes.append({"op": "softmax", "name": "softmax0", "attrs": {"axis": "1"},
                      "inputs": [[4, 0, 0]]})  # fmt: skip
    return {
        "nodes": nodes,
        "arg_nodes": [i for i, node in enumerate(nodes) if node["op"] == "null"],
        "node_row_ptr": list(range(len(nodes) + 1)),
        "heads": [[len(nodes) - 1, 0, 0]],
        "attrs": {"mxnet_version": ["int", 10301]},
    }


def write_artifact(
    predictor_type: str,
    weights: npt.ArrayLike,
    bias: npt.ArrayLike,
    loss: str,
    threshold: float | None = None,
) -> bytes:
    """The bytes of a ``model.tar.gz`` holding these weights, laid out as Linear Learner's.

    ``weights`` is (n_features, n_outputs), or (n_features,) for one output; it acts on raw
    features. Stored as float32, as SageMaker stores them.
    """
    matrix = np.asarray(weights, dtype=np.float32)
    matrix = matrix.reshape(-1, 1) if matrix.ndim == 1 else matrix
    outputs = matrix.shape[1]
    row = np.asarray(bias, dtype=np.float32).reshape(1, outputs)
    cut = 0.5 if threshold is None else float(threshold)
    additional = {
        "threshold": cut,
        "loss_type": loss,
        "predictor_type": predictor_type,
        "metrics_params": {"threshold": cut, "positive_example_weight_mult": 1.0},
    }
    files = {
        MANIFEST: {"mx-mod": "mxnet_module", ADDITIONAL: "json", "version": 1},
        SYMBOL: _symbol(predictor_type, outputs, matrix.shape[0]),
        ADDITIONAL: additional,
    }
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, json.dumps(content))
        archive.writestr(PARAMS, write_ndarray_list({WEIGHT: matrix, BIAS: row}))
    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w:gz") as archive:
        member = tarfile.TarInfo(MEMBER)
        member.size = len(inner.getvalue())
        archive.addfile(member, io.BytesIO(inner.getvalue()))
    return outer.getvalue()
