"""Parameters and multiply-accumulates of a model, counted on its exported ONNX graph (shape inference).

Counts Conv (``out elements * in/group * kh * kw``), Gemm and MatMul (``M * K * N``); BatchNorm, ReLU,
pooling and adds are left out (a few percent at most for these models). ``flops`` = 2 * ``macs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _shapes(model: Any) -> dict[str, list[int]]:
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        dims = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def count(onnx_path: Path) -> dict[str, int]:
    """``{"params", "macs", "flops"}`` of ``onnx_path`` (params = elements of all float initializers)."""
    import onnx

    model = onnx.load(str(onnx_path))
    shapes = _shapes(model)
    params = sum(int(np.prod(i.dims)) for i in model.graph.initializer if len(i.dims) > 0)
    macs = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            w = shapes[node.input[1]]
            out = shapes.get(node.output[0])
            if out:
                macs += int(np.prod(out)) * int(np.prod(w[1:]))
        elif node.op_type in ("Gemm", "MatMul"):
            a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
            if a and b:
                trans_b = any(at.name == "transB" and at.i for at in node.attribute)
                n = b[0] if trans_b else b[-1]
                macs += int(np.prod(a)) * int(n)
    return {"params": params, "macs": macs, "flops": 2 * macs}
