"""Linear Learner artifacts built byte by byte from the documented layout, not by the writer.

``shared/reference/model-artifact-facts.md`` sections 1 to 3: a gzip tar holding
``model_algo-1``, a stored zip of four files; the parameters an MXNet NDArray list of V2
records. The graphs are the measured ones: the regressor's ``LinearRegressionOutput``, the
multiclass model's shifted softmax with its clip and ``BlockGrad``. Every piece can be
replaced, so a test can break exactly one thing.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
from typing import Any

import numpy as np


def ndarray_record(array: np.ndarray, type_flag: int = 0, magic: int = 0xF993FAC9) -> bytes:
    header = struct.pack("<IiI", magic, 0, array.ndim) + struct.pack(
        f"<{array.ndim}q", *array.shape
    )
    return header + struct.pack("<iii", 1, 0, type_flag) + array.tobytes()


def params_file(
    weights: np.ndarray, bias: np.ndarray, list_magic: int = 0x112, type_flag: int = 0
) -> bytes:
    named = {"arg:fc0_weight": weights, "arg:fc0_bias": bias}
    body = struct.pack("<QQQ", list_magic, 0, len(named))
    body += b"".join(ndarray_record(a, type_flag) for a in named.values())
    body += struct.pack("<Q", len(named))
    for name in named:
        body += struct.pack("<Q", len(name)) + name.encode()
    return body


def _node(op: str, name: str, inputs: list[int], **attrs: str) -> dict[str, Any]:
    node: dict[str, Any] = {"op": op, "name": name, "inputs": [[i, 0, 0] for i in inputs]}
    if attrs:
        node["attrs"] = attrs
    return node


def symbol(head: str) -> dict[str, Any]:
    nodes = [
        _node("null", "data", []),
        _node("null", "fc0_weight", []),
        _node("dot", "dot0", [0, 1]),
        _node("null", "fc0_bias", []),
        _node("broadcast_add", "broadcast_add0", [2, 3]),
        _node("null", "out_label", []),
    ]
    if head == "regressor":
        nodes.append(_node("LinearRegressionOutput", "linearregressionoutput0", [4, 5]))
    elif head == "binary_classifier":
        nodes.append(_node("sigmoid", "sigmoid0", [4]))
    elif head == "multiclass_classifier":
        chain = [
            ("max", {"axis": "1", "keepdims": "True"}, [4]),
            ("broadcast_sub", {}, [4, 6]),
            ("_plus_scalar", {"scalar": "10.0"}, [7]),
            ("exp", {}, [8]),
            ("sum", {"axis": "1", "keepdims": "True"}, [9]),
            ("broadcast_div", {}, [9, 10]),
            ("clip", {"a_min": "1e-10", "a_max": "1.0"}, [11]),
            ("BlockGrad", {}, [12]),
        ]
        for op, attrs, inputs in chain:
            nodes.append(_node(op, f"{op.lower()}{len(nodes)}", inputs, **attrs))
    else:
        nodes.append(_node(head, f"{head}0", [4]))
    return {
        "nodes": nodes,
        "arg_nodes": [i for i, n in enumerate(nodes) if n["op"] == "null"],
        "node_row_ptr": list(range(len(nodes) + 1)),
        "heads": [[len(nodes) - 1, 0, 0]],
        "attrs": {"mxnet_version": ["int", 10301]},
    }


def additional_params(predictor_type: str, threshold: float = 0.5) -> dict[str, Any]:
    loss = {"regressor": "squared_loss", "binary_classifier": "logistic"}.get(
        predictor_type, "softmax_loss"
    )
    return {
        "threshold": threshold,
        "loss_type": loss,
        "predictor_type": predictor_type,
        "metrics_params": {"threshold": threshold, "accuracy_top_k": 3, "f_beta": None},
    }


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def tar_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def artifact_files(
    predictor_type: str, weights: np.ndarray, bias: np.ndarray, threshold: float = 0.5
) -> dict[str, bytes]:
    """The four files of ``model_algo-1``, ready to be changed one at a time."""
    return {
        "manifest.json": json.dumps(
            {"mx-mod": "mxnet_module", "additional-params.json": "json", "version": 1}
        ).encode(),
        "mx-mod-symbol.json": json.dumps(symbol(predictor_type)).encode(),
        "mx-mod-0000.params": params_file(
            weights.astype(np.float32), bias.astype(np.float32).reshape(1, -1)
        ),
        "additional-params.json": json.dumps(additional_params(predictor_type, threshold)).encode(),
    }


def artifact(
    predictor_type: str, weights: np.ndarray, bias: np.ndarray, threshold: float = 0.5
) -> bytes:
    """A ``model.tar.gz`` as a SageMaker training job lays it out."""
    files = artifact_files(predictor_type, weights, bias, threshold)
    return tar_of({"model_algo-1": zip_of(files)})
