"""The work behind ``run_compress`` common to every model: quantized variants of the float models a
subclass builds, runtime accuracy and the interleaved benchmark. One builder per run
(``compress.lenet_build.LenetBuilder``, ``compress.photo_build.PhotoBuilder``).

Every variant goes through the public stages: its checkpoint is saved with a checkpoint manifest
(``train.checkpoint.save_checkpoint``), exported with ``export.export_net`` and converted with
``converters.lite.convert`` (quantization config, calibration data, verification within the mode's
tolerance, ``.ms`` manifest). A variant outside its tolerance is kept and its row says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress import ptq
from host_tools.compress.flops import count
from host_tools.errors import ConfigError, MindedgeError, ModelError

BENCH_ROUNDS = 3
VERIFY_SAMPLES = 64  # test images each conversion is verified on
FLOAT_ORDER = ("baseline", "slim", "kd")


class Builder:
    """Quantized variants, measurement and the run loop; subclasses provide the data and the float models.

    A subclass sets ``normalization``, ``labels``, ``record`` (the dataset), ``input_shape``, ``test_x`` /
    ``test_y`` (normalized NCHW test images and labels) and implements ``_float``, ``_identity`` and
    ``calibration_inputs``.
    """

    normalization: dict[str, Any]
    labels: list[str]
    record: dict[str, Any]
    input_shape: tuple[int, ...] | None = None
    quant_params: dict[str, dict[str, Any]] = {}  # noqa: RUF012  (mode -> converter template overrides; read only)
    test_x: np.ndarray
    test_y: np.ndarray

    def __init__(self, cfg: Any, say: Any) -> None:
        from host_tools import msenv

        self.cfg, self.say = cfg, say
        self.out = Path(cfg.out)
        self.models = self.out / "models"
        self.floats: dict[str, tuple[Any, Path]] = {}  # float method -> (net, onnx)
        self.extra_rows: list[dict[str, Any]] = []
        self.slim_report: dict[str, Any] | None = None
        self.investigation: list[dict[str, Any]] = []
        self._calib: Path | None = None
        self.ms = msenv.graph_mode_cpu(cfg.seed)

    @property
    def test_images(self) -> int:
        return len(self.test_y)

    # ---- what a model's builder provides ------------------------------------------------------
    def _float(self, method: str) -> tuple[Any, Path]:
        """(net, exported ONNX) of float method ``method`` ("baseline", "slim", "kd")."""
        raise ConfigError(f"compression method '{method}' is not available for model '{self.cfg.model}'")

    def _identity(self, net: Any) -> tuple[str, dict[str, Any]]:
        """(registered model, constructor arguments) that rebuild ``net``'s architecture."""
        return self.cfg.model, {}

    def calibration_inputs(self, n: int) -> np.ndarray:
        """``n`` normalized NCHW training inputs for full-int8 calibration (seeded pick)."""
        raise NotImplementedError

    def _qat(self, name: str, net: Any) -> tuple[Path, dict[str, Any], Path]:
        raise ConfigError(f"quantization-aware training is not available for model '{self.cfg.model}'")

    # ---- float models -------------------------------------------------------------------------
    def _export(self, name: str, net: Any) -> Path:
        """Save ``net`` as ``models/<name>.ckpt`` with its manifest and export it to ONNX through the public path."""
        from host_tools.export import export_net
        from host_tools.train.checkpoint import save_checkpoint

        model, kwargs = self._identity(net)
        ckpt = save_checkpoint(net, self.models / f"{name}.ckpt", model, self.normalization, self.labels,
                               self.record, kwargs, {"compress_variant": name, "seed": self.cfg.seed},
                               input_shape=self.input_shape)
        return export_net(net, self.models / f"{name}.onnx", "onnx", ckpt)

    def float_model(self, method: str) -> tuple[Any, Path]:
        if method not in self.floats:
            self.floats[method] = self._float(method)
        return self.floats[method]

    # ---- quantized variants -------------------------------------------------------------------
    def calibration(self) -> Path:
        if self._calib is None:
            self._calib = ptq.write_calibration(self.calibration_inputs(self.cfg.calibration), self.out / "calibration")
        return self._calib

    def _convert(self, name: str, onnx: Path, mode: str | None) -> tuple[Path, dict[str, Any]]:
        """``converters.lite.convert`` in ``mode`` (None: fp32, or the QDQ the source holds), verified on test
        images within the mode's tolerance; a model outside it is kept and the row records it."""
        from converters.lite import ConvertOptions, convert

        n = min(VERIFY_SAMPLES, len(self.test_x))
        opts = ConvertOptions(quant=mode, calibration_dir=self.calibration() if mode == "full8" else None,
                              quant_params=dict(self.quant_params.get(mode or "", {})), verify_inputs=self.test_x[:n],
                              verify_samples=n, enforce=False, seed=self.cfg.seed)
        result = convert(onnx, self.models / f"{name}.ms", opts, say=lambda _: None)
        a = result.verification
        info: dict[str, Any] = {"route": f"converter {result.mode}" if mode else result.mode,
                                "verification": a.to_dict() if a else None,
                                "verified": bool(a and a.passed)}
        if a is not None and not a.passed:
            self.say(f"[{name}] outside its {result.mode} tolerance: max rel error {a.max_rel_error:.2e}, top-1 "
                     f"agreement {a.top1_agreement:.1%}")
        return result.output, info

    def _investigate_weight_quant(self, name: str, variant: str, onnx: Path, row: dict[str, Any]) -> None:
        """The variant converted but did not load: try the settings that could avoid it and record each."""
        from host_tools.compress.investigate import weight_quant

        self.say(f"[{name}] converted but does not load; probing converter settings and a re-layout")
        record = weight_quant(variant, onnx, self.models / "investigation", self.test_x[:8])
        record["name"] = name
        self.investigation.append(record)
        row["tried"] = [f"{a['tried']}: {'ran' if a['ran'] else (a.get('error') or 'failed')}"
                        for a in record["attempts"]]
        if record["diagnosis"]:
            row["diagnosis"] = record["diagnosis"]

    # ---- measurement --------------------------------------------------------------------------
    def _measure(self, name: str, onnx: Path, mode: str | None, ms_path: Path | None = None,
                 info: dict[str, Any] | None = None) -> dict[str, Any]:
        from converters.lite import RuntimeCheckError
        from host_tools.lite_runtime import ms_accuracy

        row: dict[str, Any] = {"name": name, "status": "failed", "converted": False, "ran": False, "error": None,
                               **count(onnx)}
        row.pop("macs")
        try:
            if ms_path is None:
                ms_path, extra = self._convert(name, onnx, mode)
                row.update(extra)
            row.update(info or {})
            row["converted"] = True
            row["ms_path"], row["ms_bytes"] = str(ms_path), ms_path.stat().st_size
            acc = ms_accuracy(ms_path, self.test_x, self.test_y, threads=self.cfg.threads)
            row["ran"] = True
            row["test_accuracy"] = acc.accuracy
            self.say(f"[{name}] {row['ms_bytes']:,} bytes, accuracy on the runtime {acc.accuracy:.2%}")
            row["status"] = "ok"  # benchmarked with the others at the end (interleaved rounds)
        except RuntimeCheckError as e:
            row.update(converted=True, ms_bytes=e.ms_bytes, error=str(e))
            self.say(f"[{name}] FAILED: {e}")
        except MindedgeError as e:
            row["error"] = str(e)
            self.say(f"[{name}] FAILED: {e}")
        return row

    def run(self, plans: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        from host_tools.compress.methods import PTQ_OF, variant_name

        rows = []
        # QAT changes the float net in place: run every other variant of a float model first
        for f, q in sorted(plans, key=lambda p: (p[1] == "qat", FLOAT_ORDER.index(p[0]))):
            name = variant_name((f, q))
            try:
                net, onnx = self.float_model(f)
            except ModelError:
                raise
            except MindedgeError as e:
                rows.append({"name": name, "status": "failed", "converted": False, "ran": False, "error": str(e)})
                continue
            if q == "qat":
                try:
                    ms_path, info, q_onnx = self._qat(name, net)
                except MindedgeError as e:
                    rows.append({"name": name, "status": "failed", "converted": False, "ran": False, "error": str(e),
                                 **count(onnx)})
                    continue
                rows.append(self._measure(name, q_onnx, None, ms_path, info))
            else:
                rows.append(self._measure(name, onnx, PTQ_OF.get(q) if q else None))
                if rows[-1]["status"] != "ok" and q in ("ptq-weight8", "ptq-weight4") and rows[-1].get("ms_bytes"):
                    self._investigate_weight_quant(name, PTQ_OF[q], onnx, rows[-1])
        rows += self.extra_rows
        from host_tools.compress.measure import benchmark

        benchmark([r for r in rows if r["status"] == "ok"], self.cfg, BENCH_ROUNDS, self.say)
        return rows

