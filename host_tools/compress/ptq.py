"""Post-training quantization through the Lite converter's config file (jinja2 templates in converters/templates).

Variants: ``fp16`` (``--fp16=on``), ``dynamic`` (DYNAMIC_QUANT int8), ``weight8`` / ``weight4`` /
``weight-mixed`` (WEIGHT_QUANT, bit_num 8 / 4 / 0) and ``full8`` (FULL_QUANT with calibration samples
from the training set, written one float32 NHWC ``.bin`` per sample). ``probe`` converts a variant and
runs it on the Lite runtime, returning a row (converted? ran? error text) instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from host_tools.errors import ConfigError, MindedgeError


@dataclass(frozen=True)
class PtqSpec:
    name: str
    template: str | None  # template file name, None = no config
    params: dict[str, Any] = field(default_factory=dict)
    fp16: bool = False


VARIANTS: dict[str, PtqSpec] = {
    "fp16": PtqSpec("fp16", None, fp16=True),
    "dynamic": PtqSpec("dynamic", "quant_dynamic.cfg.j2", {"bit_num": 8}),
    "weight8": PtqSpec("weight8", "quant_weight.cfg.j2", {"bit_num": 8}),
    "weight4": PtqSpec("weight4", "quant_weight.cfg.j2", {"bit_num": 4}),
    "weight-mixed": PtqSpec("weight-mixed", "quant_weight.cfg.j2", {"bit_num": 0}),
    "full8": PtqSpec("full8", "quant_full.cfg.j2", {}),
}
CALIBRATION_SAMPLES = 100


def spec(name: str) -> PtqSpec:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ConfigError(f"unknown PTQ variant '{name}'", hint=f"valid: {', '.join(VARIANTS)}") from None


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


def config_text(s: PtqSpec, calib_dir: Path | None = None, input_name: str = "x", **overrides: Any) -> str | None:
    if s.template is None:
        return None
    params = {**s.params, **overrides}
    if s.template == "quant_full.cfg.j2":
        if calib_dir is None:
            raise ConfigError("full int8 quantization needs calibration data")
        params.update(input_name=input_name, calibrate_dir=str(calib_dir),
                      calibrate_size=len(list(calib_dir.glob("*.bin"))))
    return render(s.template, **params)


@dataclass
class ProbeRow:
    name: str
    settings: dict[str, Any]
    converted: bool = False
    ran: bool = False
    ms_bytes: int | None = None
    error: str | None = None
    max_abs_diff: float | None = None  # vs the float reference outputs on the probe inputs

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def probe(onnx_path: Path, out: Path, s: PtqSpec, x_probe: np.ndarray, reference: np.ndarray | None = None,
          calib_dir: Path | None = None, **overrides: Any) -> ProbeRow:
    """Convert with ``s`` (+ overrides) and run ``x_probe`` (NCHW) on the runtime; never raises MindedgeError."""
    from host_tools.bench.runtime import ms_input_shape, run_ms, to_model_layout
    from host_tools.compress.artifacts import convert

    row = ProbeRow(s.name, {**s.params, **overrides, "fp16": s.fp16})
    try:
        convert(onnx_path, out, config_text(s, calib_dir, **overrides), fp16=s.fp16)
    except MindedgeError as e:
        row.error = f"conversion: {e.message}"
        return row
    row.converted, row.ms_bytes = True, out.stat().st_size
    try:
        y = run_ms(out, to_model_layout(x_probe, ms_input_shape(out)))
    except MindedgeError as e:
        row.error = f"runtime: {e.message}"
        return row
    row.ran = True
    if reference is not None:
        row.max_abs_diff = float(np.abs(y - reference).max())
    return row
