"""``atc`` of the emulated board: checks the flags and the ONNX as ATC does and prints what ATC prints
(FORMATS.md 1.2: the start line, the verdict, ``EXXXXX:`` messages, exit 0 or 255), then writes an emulated
``.om`` (``om_file``) holding the ONNX, its input, the soc and the AIPP config. No graph is compiled."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from converters.aipp import parse_text
from converters.atc import MAX_OPSET, PRECISIONS  # ATC's own limits, as the host knows them
from host_tools.emulator.ascend import om_file
from host_tools.emulator.ascend.npu import load
from host_tools.errors import ModelError

SOCS = ("Ascend310", "Ascend310B1", "Ascend310B4", "Ascend310P3", "Ascend910B")
START = "ATC start working now, please wait for a moment."
SUCCESS = "ATC run success, welcome to the next use."
FAILED = "ATC run failed, Please check the detail log, Try 'atc --help' for more information"


class AtcFail(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")


def _stamp() -> str:
    """``[PID: n] YYYY-MM-DD-HH:MM:SS.mmm.uuu``, as newer CANN put before a message."""
    t = time.time()
    us = int(t * 1e6) % 1_000_000
    when = time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime(t))
    return f"[PID: {os.getpid()}] {when}.{us // 1000:03d}.{us % 1000:03d}"


def flags(argv: list[str]) -> dict[str, str]:
    """gflags style: ``--key=value`` or ``--key value``."""
    out: dict[str, str] = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
        elif a.startswith("--"):
            k, v = a[2:], argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("--") else ""
            i += 1 if v else 0
        else:
            raise AtcFail("E10001", f"Value [{a}] for parameter [argv] is invalid. Reason: not a --flag")
        out[k] = v.strip('"')
        i += 1
    return out


def _invalid(value: object, param: str, reason: str) -> AtcFail:
    return AtcFail("E10001", f"Value [{value}] for parameter [{param}] is invalid. Reason: {reason}")


def _input(model: Any, given: str | None) -> tuple[str, list[int]]:
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    graph = {i.name: [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1
                      for d in i.type.tensor_type.shape.dim] for i in inputs}
    if not given:
        name, shape = next(iter(graph.items()))
        if -1 in shape:
            raise _invalid(-1, name, "maybe you should set input_shape to specify its shape.")
        return name, shape
    name, _, dims = given.rpartition(":")
    if name not in graph:
        raise _invalid(given, "--input_shape", f"input [{name}] is not an input of the model ({', '.join(graph)})")
    try:
        shape = [int(d) for d in dims.split(",")]
    except ValueError:
        raise _invalid(given, "--input_shape", "the shape must be integers separated by ','") from None
    want = graph[name]
    if len(shape) != len(want) or any(w not in (-1, s) for w, s in zip(want, shape, strict=True)) or min(shape) <= 0:
        raise _invalid(given, "--input_shape", f"the model's input [{name}] has shape {want}")
    return name, shape


def convert(opts: dict[str, str]) -> Path:
    if "framework" not in opts:
        raise AtcFail("E10007", f"{_stamp()} [--framework] is required. The value must be [0(Caffe) or 1(MindSpore) "
                      "or 3(TensorFlow) or 5(Onnx)].")
    if opts["framework"] != "5":
        raise _invalid(opts["framework"], "--framework", "the mindedge emulated ATC converts ONNX (5) only")
    for key in ("model", "output", "soc_version"):
        if not opts.get(key):
            raise AtcFail("E10054", f"The requied parameter [--{key}] for ATC is empty. Another possible reason is "
                          "that the value of some parameter is not enclosed by quotation marks (\"\").")
    if opts["soc_version"] not in SOCS:
        raise _invalid(opts["soc_version"], "--soc_version", f"supported: {', '.join(SOCS)}")
    precision = opts.get("precision_mode", "force_fp16")
    if precision not in PRECISIONS:
        raise _invalid(precision, "--precision_mode", f"must be one of {', '.join(PRECISIONS)}")
    src = Path(opts["model"])
    if not src.is_file():
        raise _invalid(src, "--model", "the file does not exist or is not readable")
    import onnx

    data = src.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # any parse failure of the protobuf
        raise _invalid(src, "--model", f"not an ONNX model ({type(e).__name__})") from None
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset > MAX_OPSET:
        node = model.graph.node[0] if model.graph.node else None
        raise AtcFail("E19010", f"No parser is registered for Op [{node.name if node else '?'}, optype "
                      f"[ai.onnx::{opset}::{node.op_type if node else '?'}]].")
    name, shape = _input(model, opts.get("input_shape"))
    aipp = None
    if opts.get("insert_op_conf"):
        try:
            aipp = parse_text(Path(opts["insert_op_conf"]).read_text())
        except (OSError, ModelError) as e:
            raise _invalid(opts["insert_op_conf"], "--insert_op_conf", str(e)) from None
        if (aipp.height, aipp.width, aipp.channels) != (shape[2], shape[3], shape[1]):
            raise _invalid(opts["insert_op_conf"], "--insert_op_conf", f"src_image_size {aipp.width}x{aipp.height} "
                           f"x{aipp.channels} does not fit the input {shape}")
    cfg = load()
    meta = {"soc_version": opts["soc_version"], "precision_mode": precision, "framework": 5, "cann": cfg.cann,
            "input": {"name": name, "shape": [shape[0], shape[2], shape[3], shape[1]] if aipp else shape,
                      "dtype": "uint8" if aipp else "float32", "layout": "NHWC" if aipp else "NCHW"},
            "model_shape": shape, "aipp": aipp.record() if aipp else None,
            "onnx_sha256": hashlib.sha256(data).hexdigest(),
            "note": "mindedge emulated ATC: no graph compiled; the ONNX runs on the host CPU"}
    out = Path(opts["output"] + ".om")
    om_file.write(out, meta, data)
    return out


def main(argv: list[str]) -> int:
    print(START, flush=True)
    if argv[:1] in (["--help"], ["-h"]):
        print("usage: atc <args>  (mindedge emulated ATC: --framework=5 --model --output --input_shape "
              "--input_format --soc_version --precision_mode --insert_op_conf --log)")
        return 0
    try:
        out = convert(flags(argv))
    except AtcFail as e:
        print(FAILED)
        print(e)
        return 255
    print(SUCCESS)
    print(f"mindedge emulated ATC wrote {out} (an emulated .om: the ONNX inside, no NPU graph)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
