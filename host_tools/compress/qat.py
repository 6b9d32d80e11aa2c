"""Quantization-aware fine-tuning and the ONNX QDQ export that carries its int8 ranges to the converter.

``qat_finetune`` wraps every Conv2d/Dense with fake quantization (``fakequant``), fine-tunes from the
float weights, then unwraps (the trained float weights stay) and returns each layer's learned ranges.
``to_qdq`` rewrites the float ONNX export with QuantizeLinear/DequantizeLinear pairs carrying the learned
ranges (opset 13), in the form the Lite converter's ONNX importer turns into an int8 model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.train.fit import FitConfig, fit


@dataclass
class LayerRange:
    weight: str  # parameter (= ONNX initializer) name of the layer's weight
    act_scale: float
    act_zero_point: int


def qat_finetune(net: Any, images: np.ndarray, labels: np.ndarray, cfg: FitConfig,
                 progress: Any = None) -> list[LayerRange]:
    """Fine-tune ``net`` with fake quantization (in place); returns the learned activation ranges per layer."""
    from host_tools.compress import fakequant

    wrappers = fakequant.wrap(net)
    fit(net, images, labels, cfg, progress=progress)
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


def _uint8_zp(int8_zero_point: int) -> np.ndarray:
    """The same grid with a uint8 zero point: Lite 2.0.0's ONNX importer misreads int8 ones."""
    return np.array(int8_zero_point + 128, np.uint8)


def _qdq(g: Any, tensor: str, scale: np.ndarray, zero_point: np.ndarray, prefix: str,
         axis: int | None = None) -> tuple[list[Any], str]:
    """QuantizeLinear -> DequantizeLinear nodes on ``tensor``; returns (nodes, dequantized name).

    ``zero_point`` is already in its ONNX type (uint8: the int8 zero point + 128).
    """
    from onnx import helper, numpy_helper

    kw = {} if axis is None else {"axis": axis}
    g.initializer.extend([numpy_helper.from_array(scale.astype(np.float32), f"{prefix}_scale"),
                          numpy_helper.from_array(zero_point, f"{prefix}_zp")])
    q = helper.make_node("QuantizeLinear", [tensor, f"{prefix}_scale", f"{prefix}_zp"], [f"{prefix}_q"], **kw)
    dq = helper.make_node("DequantizeLinear", [f"{prefix}_q", f"{prefix}_scale", f"{prefix}_zp"], [f"{prefix}_dq"],
                          **kw)
    return [q, dq], f"{prefix}_dq"


def fold_batchnorm(model: Any) -> int:
    """Fold every inference BatchNormalization that directly follows a Conv into its weights and bias, in place.

    Per-channel symmetric int8 grids commute with the fold (channel c is scaled by gamma_c / sqrt(var_c + eps)),
    so the QAT grid of the unfolded weights is kept. Returns the number of folded BatchNorms.
    """
    from onnx import numpy_helper

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    users: dict[str, int] = {}
    for n in g.node:
        for x in n.input:
            users[x] = users.get(x, 0) + 1
    folded, drop, rename = 0, set(), {}
    for bn in g.node:
        conv = producer.get(bn.input[0]) if bn.op_type == "BatchNormalization" else None
        if conv is None or conv.op_type != "Conv" or users.get(bn.input[0]) != 1 or conv.input[1] not in inits \
                or not all(x in inits for x in bn.input[1:5]):
            continue
        gamma, beta, mean, var = (numpy_helper.to_array(inits[x]).astype(np.float64) for x in bn.input[1:5])
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        k = gamma / np.sqrt(var + eps)
        w = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float64)
        b = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64) if len(conv.input) > 2 else np.zeros(len(k))
        inits[conv.input[1]].CopyFrom(numpy_helper.from_array(
            (w * k.reshape(-1, *([1] * (w.ndim - 1)))).astype(np.float32), conv.input[1]))
        bias_name = conv.input[2] if len(conv.input) > 2 else f"{conv.input[1]}_folded_bias"
        new_bias = numpy_helper.from_array(((b - mean) * k + beta).astype(np.float32), bias_name)
        if bias_name in inits:
            inits[bias_name].CopyFrom(new_bias)
        else:
            g.initializer.append(new_bias)
            conv.input.append(bias_name)
        rename[bn.output[0]] = conv.output[0]
        drop.add(id(bn))
        folded += 1
    nodes = [n for n in g.node if id(n) not in drop]
    for n in nodes:
        inputs = [rename.get(x, x) for x in n.input]
        del n.input[:]
        n.input.extend(inputs)
    for out in g.output:
        if out.name in rename:  # keep the graph's output name
            producer[rename[out.name]].output[0] = out.name
    del g.node[:]
    g.node.extend(nodes)
    return folded


def to_qdq(float_onnx: Path, ranges: list[LayerRange], out: Path) -> Path:
    """Write the QDQ ONNX model of ``float_onnx`` with the QAT ranges, in the form Lite 2.0.0's importer takes.

    BatchNorms are folded into their convolutions first. Each quantized layer gets QuantizeLinear/
    DequantizeLinear on its input (the learned per-tensor range) and on its float weight (per-output-channel
    symmetric scales, ``axis=0``: the training grid); biases stay float (the converter makes them int32 on
    the input x weight scale). The ReLU after a quantized convolution gets the next quantized layer's input
    range, so the convolution runs in int8 even when a transpose/flatten separates the two. Zero points are
    uint8 (int8 zero point + 128: the same grid). What this importer does not take: int8 weight
    initializers + DequantizeLinear (the quantization parameters are lost; the runtime refuses the model),
    int8 zero points (read as garbage: a 99.2% model scored 10%, a 3-channel conv's weights 12%), a
    quantized conv left before a BatchNorm (GetPackData).
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(float_onnx))
    fold_batchnorm(model)  # a quantized conv followed by BN does not load on this runtime (GetPackData)
    g = model.graph
    by_weight = {r.weight: r for r in ranges}
    inits = {i.name: i for i in g.initializer}
    order = [n.input[1] for n in g.node if n.op_type in ("Conv", "Gemm") and len(n.input) > 1
             and n.input[1] in by_weight]
    producer = {o: n for n in g.node for o in n.output}

    new_nodes: list[Any] = []
    rename: dict[str, str] = {}
    for node in g.node:
        inputs = [rename.get(x, x) for x in node.input]
        del node.input[:]
        node.input.extend(inputs)
        r = by_weight.get(node.input[1]) if node.op_type in ("Conv", "Gemm") and len(node.input) > 1 else None
        if r is not None:
            base = node.input[1]
            act, x_dq = _qdq(g, node.input[0], np.array(r.act_scale), _uint8_zp(r.act_zero_point), f"{base}_in")
            _, w_scale = quantize_weight(numpy_helper.to_array(inits[base]))
            wq, w_dq = _qdq(g, base, w_scale, np.full(len(w_scale), 128, np.uint8), f"{base}_w", axis=0)
            new_nodes += act + wq
            node.input[0], node.input[1] = x_dq, w_dq
        new_nodes.append(node)
        src = producer.get(node.input[0]) if node.op_type == "Relu" else None
        if src is not None and src.op_type == "BatchNormalization":  # conv -> BN -> ReLU (BN folds into conv)
            src = producer.get(src.input[0])
        if src is not None and src.op_type == "Conv" and src.input[1].endswith("_w_dq"):
            weight = src.input[1][: -len("_w_dq")]
            later = order[order.index(weight) + 1:] if weight in order else []
            if later:  # the next quantized layer's input range
                nxt = by_weight[later[0]]
                out_nodes, o_dq = _qdq(g, node.output[0], np.array(nxt.act_scale), _uint8_zp(nxt.act_zero_point),
                                       f"{node.output[0]}_out")
                new_nodes += out_nodes
                rename[node.output[0]] = o_dq
    del g.node[:]
    g.node.extend(new_nodes)
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            op.version = max(op.version, 13)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    _derived_manifest(float_onnx, out, len(ranges))
    return out


def _derived_manifest(float_onnx: Path, qdq: Path, layers: int) -> None:
    """The QDQ model's manifest: the float export's (input, normalization, labels, dataset), parent = the export."""

    from host_tools import manifest

    src = manifest.load(float_onnx)
    if src is None:
        return
    m = manifest.describe(qdq, "onnx", inputs=src.inputs, outputs=src.outputs, normalization=src.normalization,
                          labels=src.labels, tools={k: v for k, v in src.tools.items() if k == "mindspore"},
                          parent=manifest.parent_ref(float_onnx),
                          extra={**src.extra, "qdq": {"layers": layers, "opset": 13, "from": "QAT ranges"}})
    manifest.save(m, qdq)
