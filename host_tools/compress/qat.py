"""Quantization-aware fine-tuning and the ONNX QDQ export that carries its int8 ranges to the converter.

``qat_finetune`` wraps every Conv2d/Dense with fake quantization (``fakequant``), fine-tunes from the
float weights, then unwraps (the trained float weights stay) and returns each layer's learned ranges.
``to_qdq`` rewrites the float ONNX export: each quantized layer's input gets QuantizeLinear/
DequantizeLinear with the learned per-tensor (scale, zero point), and its weight becomes an int8
initializer with per-channel scales followed by DequantizeLinear (opset 13, ``axis=0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress.trainer import FitConfig, fit


@dataclass
class LayerRange:
    weight: str  # parameter (= ONNX initializer) name of the layer's weight
    act_scale: float
    act_zero_point: int


def qat_finetune(net: Any, images: np.ndarray, labels: np.ndarray, cfg: FitConfig, say: Any = None) -> list[LayerRange]:
    """Fine-tune ``net`` with fake quantization (in place); returns the learned activation ranges per layer."""
    from host_tools.compress import fakequant

    wrappers = fakequant.wrap(net)
    fit(net, images, labels, cfg, say=say)
    learned = []
    for w in wrappers.values():
        scale, zp = fakequant.act_qparams(w.act.minv, w.act.maxv)
        layer = w.conv if isinstance(w, fakequant.QConv2d) else w.dense
        learned.append((layer, float(scale.asnumpy()), int(zp.asnumpy())))
    fakequant.unwrap(net, wrappers)  # parameter names are the float model's again
    ranges = [LayerRange(layer.weight.name, scale, zp) for layer, scale, zp in learned]
    return ranges


def quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 weight, per-output-channel float scale) on the same symmetric grid as training."""
    scale = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / 127.0, 1e-8).astype(np.float32)
    q = np.clip(np.round(w / scale.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
    return q, scale


def to_qdq(float_onnx: Path, ranges: list[LayerRange], out: Path) -> Path:
    """Write the QDQ ONNX model of ``float_onnx`` with the QAT ranges (see the module docstring)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(float_onnx))
    g = model.graph
    by_weight = {r.weight: r for r in ranges}
    inits = {i.name: i for i in g.initializer}
    new_nodes = []
    for node in g.node:
        r = by_weight.get(node.input[1]) if node.op_type in ("Conv", "Gemm") and len(node.input) > 1 else None
        if r is not None:
            base = node.input[1]
            s_name, z_name = f"{base}_in_scale", f"{base}_in_zp"
            g.initializer.extend([numpy_helper.from_array(np.array(r.act_scale, np.float32), s_name),
                                  numpy_helper.from_array(np.array(r.act_zero_point, np.int8), z_name)])
            q_out, dq_out = f"{base}_in_q", f"{base}_in_dq"
            new_nodes.append(helper.make_node("QuantizeLinear", [node.input[0], s_name, z_name], [q_out]))
            new_nodes.append(helper.make_node("DequantizeLinear", [q_out, s_name, z_name], [dq_out]))
            w = numpy_helper.to_array(inits[base])
            qw, ws = quantize_weight(w)
            g.initializer.remove(inits[base])
            g.initializer.extend([numpy_helper.from_array(qw, f"{base}_q"),
                                  numpy_helper.from_array(ws, f"{base}_scale"),
                                  numpy_helper.from_array(np.zeros(len(ws), np.int8), f"{base}_zp")])
            new_nodes.append(helper.make_node("DequantizeLinear", [f"{base}_q", f"{base}_scale", f"{base}_zp"],
                                              [f"{base}_dq"], axis=0))
            node.input[0], node.input[1] = dq_out, f"{base}_dq"
            if len(node.input) > 2 and node.input[2] in inits:  # int32 bias on the input x weight scale grid
                b_name = node.input[2]
                b = numpy_helper.to_array(inits[b_name]).astype(np.float64)
                b_scale = (ws.astype(np.float64) * r.act_scale).astype(np.float32)
                qb = np.clip(np.round(b / b_scale), -(2**31), 2**31 - 1).astype(np.int32)
                g.initializer.remove(inits[b_name])
                g.initializer.extend([numpy_helper.from_array(qb, f"{b_name}_q"),
                                      numpy_helper.from_array(b_scale, f"{b_name}_scale"),
                                      numpy_helper.from_array(np.zeros(len(qb), np.int32), f"{b_name}_zp")])
                new_nodes.append(helper.make_node("DequantizeLinear", [f"{b_name}_q", f"{b_name}_scale",
                                                                       f"{b_name}_zp"], [f"{b_name}_dq"], axis=0))
                node.input[2] = f"{b_name}_dq"
        new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            op.version = max(op.version, 13)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return out
