"""Small ONNX models built in code for tests (no training needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_conv_classifier(path: Path, channels: int = 1, size: int = 8, classes: int = 4, seed: int = 0) -> Path:
    """Conv(3x3) -> Relu -> GlobalAveragePool -> Flatten -> Gemm, batch 1, NCHW, opset 11."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = rng.standard_normal((8, channels, 3, 3)).astype(np.float32) * 0.5
    b = rng.standard_normal(8).astype(np.float32) * 0.1
    fc = rng.standard_normal((classes, 8)).astype(np.float32)
    fcb = rng.standard_normal(classes).astype(np.float32) * 0.1
    nodes = [
        helper.make_node(
            "Conv", ["x", "w", "b"], ["c"],
            pads=[1, 1, 1, 1], kernel_shape=[3, 3], strides=[1, 1], dilations=[1, 1], group=1,
        ),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])],
        [numpy_helper.from_array(a, n) for a, n in ((w, "w"), (b, "b"), (fc, "fc"), (fcb, "fcb"))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="mindedge-tests")
    model.ir_version = 6
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
