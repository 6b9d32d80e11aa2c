"""Post-training quantization variants and the probe that tries one, both through ``converters.lite.convert``.

The modes and their config templates live in ``converters.quant`` (``fp16``, ``dynamic``, ``weight8``,
``weight4``, ``weight-mixed``, ``full8``; a QDQ source is ``qdq``). ``probe`` converts a variant (with
template overrides) and runs probe inputs on the Lite runtime, returning a row (converted? ran? error
text) instead of raising; its ``.ms`` files are throwaway but get a manifest like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from converters import quant
from host_tools.errors import MindedgeError

CALIBRATION_SAMPLES = 100
write_calibration = quant.write_calibration
spec = quant.mode


@dataclass
class ProbeRow:
    name: str
    settings: dict[str, Any]
    converted: bool = False
    ran: bool = False
    ms_bytes: int | None = None
    error: str | None = None
    max_abs_diff: float | None = None  # vs the float reference outputs on the probe inputs
    verification: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def probe(onnx_path: Path, out: Path, mode: str | None, x_probe: np.ndarray, reference: np.ndarray | None = None,
          calib_dir: Path | None = None, label: str | None = None, **overrides: Any) -> ProbeRow:
    """Convert ``onnx_path`` in ``mode`` (None: as the source says, e.g. QDQ) with template ``overrides`` and
    run ``x_probe`` (NCHW) on the runtime; never raises MindedgeError."""
    from converters.lite import ConvertOptions, RuntimeCheckError, convert
    from host_tools.lite_runtime import ms_input_shape, run_ms, to_model_layout

    m = quant.mode(mode) if mode else None
    row = ProbeRow(label or mode or "source", {**(m.params if m else {}), **overrides, "fp16": bool(m and m.fp16)})
    opts = ConvertOptions(quant=mode, quant_params=dict(overrides), calibration_dir=calib_dir, enforce=False,
                          verify_inputs=x_probe, verify_samples=len(x_probe))
    try:
        result = convert(onnx_path, out, opts, say=lambda _: None)
    except RuntimeCheckError as e:
        row.converted, row.ms_bytes, row.error = True, e.ms_bytes, f"runtime: {e.message}"
        return row
    except MindedgeError as e:
        row.error = f"conversion: {e.message}"
        return row
    row.converted = row.ran = True
    row.ms_bytes = out.stat().st_size
    row.verification = result.verification.to_dict() if result.verification else None
    if reference is not None:
        try:
            y = run_ms(out, to_model_layout(x_probe, ms_input_shape(out)))
        except MindedgeError as e:
            row.ran, row.error = False, f"runtime: {e.message}"
            return row
        row.max_abs_diff = float(np.abs(y - reference).max())
    return row
