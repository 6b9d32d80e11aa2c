"""Re-try a failed quantization route with the settings that could avoid the failure, and record each attempt.

``weight_quant`` runs when a weight-only (8/4-bit) ``.ms`` converts but does not load: it probes the
converter settings that change how weights are stored (``enable_encode``, ``dequant_strategy``) and a
graph re-layout (dense layers as convolutions, ``gemm_as_conv``), each through the real converter and
runtime. The rows land in ``variants.json`` under ``quant_investigation`` with the error each attempt gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress import ptq

# What MindSpore Lite 2.0.0's sources (src/litert/pack_weight*.cc) and the runtime's verbose log show.
WEIGHT_QUANT_DIAGNOSIS = (
    "the x86-64 runtime of this Lite build shares packed weights between models (SHARING_MODEL_WEIGHT is compiled "
    "in: 'model use share pack weight' in the verbose log). Only the weight buffers present when the model is read "
    "are registered (PackWeight::StoreOriginTensorData); fixed-bit weight quantization is dequantized later, while "
    "kernels are scheduled, into new buffers, so the first conv/matmul that packs its weight fails in "
    "PackWeight::GetPackData ('can not find tensor data in origin tensor data'). Mixed-bit weights are decoded "
    "while the model is read and load fine. The switch is compile-time: no converter or runtime setting avoids it "
    "(dequant_strategy=ON_THE_FLY instead inserts a dequantizing input the CPU kernels do not accept)."
)


def gemm_as_conv(src: Path, out: Path) -> Path:
    """Rewrite ``Flatten -> Gemm (-> Relu -> Gemm ...)`` as convolutions over [N, C, H, W] (same outputs).

    The first dense layer after a Flatten of a 4-D map becomes a HxW convolution, later ones 1x1
    convolutions; a Flatten restores the [N, classes] output.
    """
    import onnx
    from onnx import helper, numpy_helper, shape_inference

    model = onnx.load(str(src))
    inferred = shape_inference.infer_shapes(model)
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]}
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    flat_src: dict[str, str] = {}
    as_4d: dict[str, str] = {}
    nodes = []
    for n in g.node:
        if n.op_type == "Flatten" and len(shapes.get(n.input[0], [])) == 4:
            flat_src[n.output[0]] = n.input[0]
            continue
        src_4d = flat_src.get(n.input[0]) or as_4d.get(n.input[0]) if n.input else None
        trans_b = any(a.name == "transB" and a.i for a in n.attribute)
        if n.op_type == "Gemm" and src_4d and trans_b and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            c, h, wd = shapes[src_4d][1:] if n.input[0] in flat_src else (w.shape[1], 1, 1)
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(w.reshape(w.shape[0], c, h, wd), n.input[1]))
            as_4d[n.output[0]] = f"{n.output[0]}_4d"
            nodes.append(helper.make_node("Conv", [src_4d, *n.input[1:]], [as_4d[n.output[0]]], kernel_shape=[h, wd],
                                          strides=[1, 1], dilations=[1, 1], pads=[0, 0, 0, 0], group=1))
            continue
        if n.op_type == "Relu" and n.input[0] in as_4d:
            as_4d[n.output[0]] = f"{n.output[0]}_4d"
            nodes.append(helper.make_node("Relu", [as_4d[n.input[0]]], [as_4d[n.output[0]]]))
            continue
        for name in n.input:
            if name in flat_src or name in as_4d:  # a 2-D value used elsewhere: keep the original graph
                raise ValueError(f"{src}: '{name}' has other consumers; not rewritten")
        nodes.append(n)
    for out_vi in g.output:
        if out_vi.name in as_4d:
            nodes.append(helper.make_node("Flatten", [as_4d[out_vi.name]], [out_vi.name], axis=1))
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return out


def weight_quant(variant: str, onnx_path: Path, work: Path, x_probe: np.ndarray) -> dict[str, Any]:
    """Probe the ways around a weight-only variant that does not load; returns the investigation record."""
    ptq.spec(variant)  # ConfigError for an unknown mode
    work.mkdir(parents=True, exist_ok=True)
    attempts: list[dict[str, Any]] = []
    for tag, overrides in (("enable_encode=false", {"enable_encode": "false"}),
                           ("dequant_strategy=ON_THE_FLY", {"dequant_strategy": "ON_THE_FLY"}),
                           ("min_quant_weight_channel=1", {"min_quant_weight_channel": 1})):
        row = ptq.probe(onnx_path, work / f"{variant}_{tag.split('=')[0]}.ms", variant, x_probe, **overrides)
        attempts.append({"tried": tag, **row.to_dict()})
    try:
        relaid = gemm_as_conv(onnx_path, work / f"{variant}_gemm_as_conv.onnx")
        row = ptq.probe(relaid, work / f"{variant}_gemm_as_conv.ms", variant, x_probe)
        attempts.append({"tried": "dense layers re-laid as convolutions", **row.to_dict()})
    except ValueError as e:
        attempts.append({"tried": "dense layers re-laid as convolutions", "converted": False, "ran": False,
                         "error": str(e)})
    any_ran = any(a["ran"] for a in attempts)
    pack_failure = not any_ran and any("GetPackData" in (a.get("error") or "") for a in attempts)
    return {"variant": variant, "attempts": attempts, "any_ran": any_ran,
            "diagnosis": WEIGHT_QUANT_DIAGNOSIS if pack_failure else None}


QDQ_DIAGNOSIS = (
    "Lite 2.0.0's ONNX QDQ importer takes float weights through QuantizeLinear/DequantizeLinear, uint8 "
    "zero points and convolutions without a BatchNorm after them (qat.to_qdq writes that form). It loses the "
    "quantization parameters of int8 weight initializers + DequantizeLinear (the runtime's int8 convolution "
    "then fails in SetQuantParam, as ONNX Runtime's quantize_static export does), misreads int8 zero points, "
    "throws vector::_M_range_check on int8 weights with a float bias, and a quantized conv left before a "
    "BatchNorm fails to load (GetPackData)."
)


def ort_qdq(float_onnx: Path, out: Path, calibration: np.ndarray) -> Path:
    """ONNX Runtime's standard static QDQ quantization of ``float_onnx`` (s8 activations and weights)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.samples = iter([{"x": x[None].astype(np.float32)} for x in calibration])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.samples, None)

    out.parent.mkdir(parents=True, exist_ok=True)
    quantize_static(str(float_onnx), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return out


def qdq(qat_row: ptq.ProbeRow, float_onnx: Path, work: Path, x_probe: np.ndarray,
        calibration: np.ndarray) -> dict[str, Any]:
    """Record the QAT QDQ attempt and, as a control, ONNX Runtime's standard QDQ export through the same path."""
    attempts = [{"tried": "QAT ranges as ONNX QDQ (per-channel weight Q/DQ, float bias, per-tensor activations)",
                 **qat_row.to_dict()}]
    try:
        control = ort_qdq(float_onnx, work / "ort_qdq.onnx", calibration)
        row = ptq.probe(control, work / "ort_qdq.ms", None, x_probe, label="ort-qdq")
        attempts.append({"tried": "control: onnxruntime quantize_static QDQ of the float model", **row.to_dict()})
    except Exception as e:  # a failing control is recorded, never fatal
        attempts.append({"tried": "control: onnxruntime quantize_static QDQ of the float model",
                         "converted": False, "ran": False, "error": f"{type(e).__name__}: {e}"})
    return {"variant": "qat-qdq", "attempts": attempts, "any_ran": any(a["ran"] for a in attempts),
            "diagnosis": QDQ_DIAGNOSIS if not attempts[0]["ran"] else None}
