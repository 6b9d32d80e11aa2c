"""Post-training quantization modes of the Lite converter, their config files and their verification tolerances.

Modes: ``fp16`` (``--fp16=on``, no config), ``dynamic`` (DYNAMIC_QUANT int8), ``weight8`` / ``weight4`` /
``weight-mixed`` (WEIGHT_QUANT, bit_num 8 / 4 / 0) and ``full8`` (FULL_QUANT with calibration samples,
one float32 NHWC ``.bin`` per sample). A source ONNX that already holds QuantizeLinear/DequantizeLinear
(quantization-aware training) is mode ``qdq``: no config, the graph carries the int8 ranges.

Each mode has a ``Tolerance``: the worst agreement with ONNX Runtime (on the source graph) a converted
model may show on the verification inputs. The bounds come from measurements on a trained LeNet-5 (see
``benchmarks/convert_tolerances.py``, table below), with headroom: about 3x the measured max relative
error, and a top-1 agreement floor below the measured one. Verification on random inputs (a source
without a recorded dataset) is harsher for calibrated modes (full8): give real inputs or ``--tolerance``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from host_tools.errors import ConfigError


@dataclass(frozen=True)
class Tolerance:
    """Bounds a verified model must meet (None: not bounded)."""

    max_rel_error: float | None = None  # max |ms - onnx| / max |onnx|
    min_top1: float | None = None  # share of inputs whose top-1 class agrees

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        parts = []
        if self.max_rel_error is not None:
            parts.append(f"max relative error <= {self.max_rel_error:g}")
        if self.min_top1 is not None:
            parts.append(f"top-1 agreement >= {self.min_top1:.0%}")
        return " and ".join(parts) or "no bound"


@dataclass(frozen=True)
class QuantMode:
    name: str
    precision: str  # recorded in the .ms manifest
    template: str | None  # converter config template, None = no config
    params: dict[str, Any] = field(default_factory=dict)
    fp16: bool = False
    tolerance: Tolerance = Tolerance()


# Measured (benchmarks/convert_tolerances.py: LeNet-5, 3 epochs on 12k MNIST images, 500 MNIST test images):
#   mode          max rel error  top-1 agreement
#   fp32          3.2e-07        100%
#   fp16          1.9e-04        100%
#   dynamic       5.9e-03        100%
#   weight-mixed  1.2e-02        100%
#   full8         1.6e-01        99.6%
#   qdq (QAT)     7.8e-02        99.8%
#   weight8/4     converts, does not load on this Lite build (GetPackData): bounds by analogy, not measured
# and MobileNetV2 (ImageNet backbone + a 2-class head, 64 px, 16 cats-dogs test photos; `make test`'s demo test):
#   fp16          5.4e-03        100%    (53 layers: fp16 rounding adds up; LeNet's 1e-3 bound refused it)
#   weight-mixed  5.1e-02        100%    (224 px, 8 photos; tensors under 6000 values kept float: compress.photo_build)
# Bounds: ~3x the largest measured max relative error; top-1 >= 90% (one flip in 16 verification inputs).
FP32 = QuantMode("fp32", "fp32", None, tolerance=Tolerance(max_rel_error=1e-4, min_top1=1.0))
MODES: dict[str, QuantMode] = {m.name: m for m in (
    QuantMode("fp16", "fp16", None, fp16=True, tolerance=Tolerance(max_rel_error=2e-2, min_top1=0.9)),
    QuantMode("dynamic", "int8 dynamic", "quant_dynamic.cfg.j2", {"bit_num": 8},
              tolerance=Tolerance(max_rel_error=0.03, min_top1=0.9)),
    QuantMode("weight8", "int8 weights", "quant_weight.cfg.j2", {"bit_num": 8},
              tolerance=Tolerance(max_rel_error=0.05, min_top1=0.9)),
    QuantMode("weight4", "int4 weights", "quant_weight.cfg.j2", {"bit_num": 4},
              tolerance=Tolerance(max_rel_error=0.15, min_top1=0.8)),
    QuantMode("weight-mixed", "mixed-bit weights", "quant_weight.cfg.j2", {"bit_num": 0},
              tolerance=Tolerance(max_rel_error=0.15, min_top1=0.9)),
    QuantMode("full8", "int8 full", "quant_full.cfg.j2", {},
              tolerance=Tolerance(max_rel_error=0.5, min_top1=0.9)),
    QuantMode("qdq", "int8 QDQ", None, tolerance=Tolerance(max_rel_error=0.25, min_top1=0.9)),
)}
CLI_MODES = ("dynamic", "weight8", "weight4", "weight-mixed", "full8")  # what `mindedge convert --quant` takes


def mode(name: str) -> QuantMode:
    try:
        return FP32 if name == "fp32" else MODES[name]
    except KeyError:
        raise ConfigError(f"unknown quantization '{name}'", hint=f"use one of: {', '.join(MODES)}") from None


def render(template: str, **params: Any) -> str:
    env = Environment(loader=PackageLoader("converters", "templates"), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template(template).render(**params)


def write_calibration(x_nchw: np.ndarray, folder: Path) -> Path:
    """One float32 little-endian NHWC ``.bin`` per sample of normalized NCHW ``x_nchw`` (the converter's BIN input)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(x_nchw):
        np.ascontiguousarray(sample.transpose(1, 2, 0), dtype="<f4").tofile(folder / f"{i:05d}.bin")
    return folder


def config_text(m: QuantMode, calibration_dir: Path | None = None, input_name: str = "x",
                overrides: dict[str, Any] | None = None) -> str | None:
    """The converter config of mode ``m`` (None when it needs none); ``overrides`` change template values."""
    if m.template is None:
        return None
    params = {**m.params, **(overrides or {})}
    if m.template == "quant_full.cfg.j2":
        if calibration_dir is None or not Path(calibration_dir).is_dir():
            raise ConfigError("full int8 quantization needs calibration data",
                              hint="give a folder of float32 NHWC .bin samples (--calibration DIR)")
        n = len(list(Path(calibration_dir).glob("*.bin")))
        if n == 0:
            raise ConfigError(f"calibration folder {calibration_dir} holds no .bin samples")
        params.update(input_name=input_name, calibrate_dir=str(Path(calibration_dir).resolve()), calibrate_size=n)
    return render(m.template, **params)


def is_qdq(onnx_path: Path) -> bool:
    """True when the ONNX graph already holds QuantizeLinear/DequantizeLinear nodes."""
    import onnx

    graph = onnx.load_model(str(onnx_path), load_external_data=False).graph
    return any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in graph.node)
