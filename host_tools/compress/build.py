"""The work behind ``run_compress``: float models (baseline, slimmed, distilled), their quantized variants,
runtime accuracy and the interleaved benchmark. One ``Builder`` per run.

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
from host_tools.errors import MindedgeError, ModelError
from host_tools.train.fit import FitConfig, fit, say_epochs

QAT_LR = 1e-4
BENCH_ROUNDS = 3
FINETUNE_LR = 1e-3
VERIFY_SAMPLES = 64  # test images each conversion is verified on


class Builder:
    def __init__(self, cfg: Any, say: Any) -> None:
        from host_tools import msenv
        from host_tools.data.dataset import load_idx_dataset
        from host_tools.models.registry import model_info

        self.cfg, self.say = cfg, say
        mean = std = None
        if cfg.checkpoint is not None:  # its normalization, not a recomputed one
            from host_tools.export import checkpoint_manifest

            norm = checkpoint_manifest(Path(cfg.checkpoint))[0].normalization or {}
            mean, std = (norm["mean"][0], norm["std"][0]) if norm.get("mean") and norm.get("std") else (None, None)
        self.ds = load_idx_dataset(cfg.data, list(model_info(cfg.model).labels), mean, std)
        self.train_x, self.train_y = self.ds.train_x[: cfg.subset], self.ds.train_y[: cfg.subset]
        self.test_x = self.ds.normalize(self.ds.test_x[: cfg.test_subset])
        self.test_y = self.ds.test_y[: cfg.test_subset]
        self.test_images = len(self.test_y)
        self.out = Path(cfg.out)
        self.models = self.out / "models"
        self.floats: dict[str, tuple[Any, Path]] = {}  # float method -> (net, onnx)
        self.extra_rows: list[dict[str, Any]] = []
        self.slim_report: dict[str, Any] | None = None
        self.investigation: list[dict[str, Any]] = []
        self._calib: Path | None = None
        self.ms = msenv.graph_mode_cpu(cfg.seed)

    # ---- float models -------------------------------------------------------------------------
    def _fit(self, net: Any, epochs: int, lr: float = 1e-3, loss_cell: Any = None) -> None:
        cfg = FitConfig(epochs=epochs, lr=lr, augment=self.cfg.augment, seed=self.cfg.seed, mean=self.ds.mean,
                        std=self.ds.std)
        fit(net, self.train_x, self.train_y, cfg, loss_cell=loss_cell, progress=say_epochs(self.say))

    def _mindspore_acc(self, net: Any) -> float:
        from host_tools.train.evaluate import predict

        return float((predict(net, self.test_x).argmax(1) == self.test_y).mean())

    def _baseline(self) -> Any:
        from host_tools.models.registry import create_model

        cfg = self.cfg
        if cfg.checkpoint is not None:
            from host_tools.export import load_checkpoint

            net, _meta, info = load_checkpoint(Path(cfg.checkpoint))
            if info.name != cfg.model:
                raise ModelError(f"checkpoint {cfg.checkpoint} holds model '{info.name}', not '{cfg.model}'",
                                 hint=f"pass a checkpoint trained for --model {cfg.model}, or no --checkpoint")
            self.say(f"[fp32] loaded {cfg.checkpoint}")
            return net
        self.say(f"[fp32] training {cfg.model}, {cfg.epochs} epochs on {len(self.train_x)} images")
        net = create_model(cfg.model)
        self._fit(net, cfg.epochs)
        return net

    def _slim(self) -> tuple[Any, Path]:
        from host_tools.compress.distill import online_kd_loss_cell
        from host_tools.compress.methods import SLIM_BASE
        from host_tools.compress.slimming import rebuild_lenet_bn, slim, sparsity_loss_cell
        from host_tools.compress.surgery import LENET_BN_GROUPS
        from host_tools.models.registry import create_model

        cfg = self.cfg
        base = SLIM_BASE[cfg.model]
        net = create_model(base)
        self.say(f"[slim] sparsity training {base} (lambda {cfg.sparsity:g}), {cfg.epochs} epochs")
        self._fit(net, cfg.epochs, loss_cell=sparsity_loss_cell(net, LENET_BN_GROUPS, cfg.sparsity))
        before_acc = self._mindspore_acc(net)
        before = count(self._export("slim_unpruned", net))
        teacher = rebuild_lenet_bn(net)  # the unpruned network teaches its pruned self during fine-tuning
        report = slim(net, LENET_BN_GROUPS, cfg.ratio, cfg.min_keep)
        net = rebuild_lenet_bn(net)
        pruned_acc = self._mindspore_acc(net)
        self.say(f"[slim] kept channels {report.after} of {report.before}; fine-tuning {cfg.finetune_epochs} epochs "
                 f"distilled from the unpruned network (T={cfg.temperature:g}, alpha={cfg.alpha:g})")
        self._fit(net, cfg.finetune_epochs, FINETUNE_LR, online_kd_loss_cell(net, teacher, cfg.temperature, cfg.alpha))
        onnx = self._export("slim", net)  # exporting a BN net a second time fails in MindSpore 2.10's exporter
        after = count(onnx)
        self.slim_report = {
            "model": base, "ratio": cfg.ratio, "min_keep": cfg.min_keep, "sparsity": cfg.sparsity,
            "finetune": {"epochs": cfg.finetune_epochs, "lr": FINETUNE_LR, "teacher": "the unpruned network",
                         "temperature": cfg.temperature, "alpha": cfg.alpha},
            "kept": report.kept,
            "channels_before": report.before, "channels_after": report.after,
            "params_before": before["params"], "params_after": after["params"],
            "flops_before": before["flops"], "flops_after": after["flops"],
            "flops_removed": round(1 - after["flops"] / before["flops"], 4),
            "mindspore_accuracy": {"sparse_trained": before_acc, "pruned": pruned_acc,
                                   "fine_tuned": self._mindspore_acc(net)},
        }
        return net, onnx

    def _kd(self) -> Any:
        """Teacher lenet_wide; student lenet_small trained alone and with the teacher, same budget and augmentation.

        The teacher runs on each (augmented) batch (online distillation), so both students see the same images.
        """
        from host_tools.compress.distill import online_kd_loss_cell
        from host_tools.compress.slimming import rebuild_lenet_bn
        from host_tools.models.registry import create_model

        cfg = self.cfg
        self.say(f"[kd] teacher lenet_wide, {cfg.epochs} epochs")
        teacher = create_model("lenet_wide")
        self._fit(teacher, cfg.epochs)
        self.say(f"[kd] student lenet_small alone, {cfg.epochs} epochs")
        alone = create_model("lenet_small")
        self._fit(alone, cfg.epochs)
        self.say(f"[kd] student lenet_small with the teacher (T={cfg.temperature:g}, alpha={cfg.alpha:g}), "
                 f"{cfg.epochs} epochs")
        student = create_model("lenet_small")
        self._fit(student, cfg.epochs,
                  loss_cell=online_kd_loss_cell(student, rebuild_lenet_bn(teacher), cfg.temperature, cfg.alpha))
        for name, net in (("kd-teacher", teacher), ("kd-student-alone", alone)):
            self.extra_rows.append(self._measure(name, self._export(name, net), None))
        return student

    def _identity(self, net: Any) -> tuple[str, dict[str, Any]]:
        """(registered model, constructor arguments) that rebuild ``net``'s architecture."""
        from host_tools.models.lenet_bn import LeNetBN
        from host_tools.models.lenet_wide import LeNetSmall, LeNetWide

        if isinstance(net, LeNetWide | LeNetSmall):
            return ("lenet_wide" if isinstance(net, LeNetWide) else "lenet_small"), {}
        if isinstance(net, LeNetBN):  # slimmed nets keep their pruned widths
            return "lenet_bn", {"widths": [net.conv1.out_channels, net.conv2.out_channels, net.fc1.out_channels,
                                           net.fc2.out_channels]}
        return self.cfg.model, {}

    def _export(self, name: str, net: Any) -> Path:
        """Save ``net`` as ``models/<name>.ckpt`` with its manifest and export it to ONNX through the public path."""
        from host_tools.export import export_net
        from host_tools.train.checkpoint import save_checkpoint

        model, kwargs = self._identity(net)
        ckpt = save_checkpoint(net, self.models / f"{name}.ckpt", model, self.ds.normalization(), self.ds.labels,
                               self.ds.record(), kwargs, {"compress_variant": name, "seed": self.cfg.seed})
        return export_net(net, self.models / f"{name}.onnx", "onnx", ckpt)

    def float_model(self, method: str) -> tuple[Any, Path]:
        if method not in self.floats:
            if method == "slim":
                self.floats[method] = self._slim()
            else:
                net = {"baseline": self._baseline, "kd": self._kd}[method]()
                self.floats[method] = (net, self._export("fp32" if method == "baseline" else method, net))
        return self.floats[method]

    # ---- quantized variants -------------------------------------------------------------------
    def calibration(self) -> Path:
        if self._calib is None:
            rng = np.random.default_rng(self.cfg.seed)
            pick = rng.choice(len(self.train_x), size=min(self.cfg.calibration, len(self.train_x)), replace=False)
            self._calib = ptq.write_calibration(self.ds.normalize(self.train_x[pick]), self.out / "calibration")
        return self._calib

    def _convert(self, name: str, onnx: Path, mode: str | None) -> tuple[Path, dict[str, Any]]:
        """``converters.lite.convert`` in ``mode`` (None: fp32, or the QDQ the source holds), verified on test
        images within the mode's tolerance; a model outside it is kept and the row records it."""
        from converters.lite import ConvertOptions, convert

        n = min(VERIFY_SAMPLES, len(self.test_x))
        opts = ConvertOptions(quant=mode, calibration_dir=self.calibration() if mode == "full8" else None,
                              verify_inputs=self.test_x[:n], verify_samples=n, enforce=False, seed=self.cfg.seed)
        result = convert(onnx, self.models / f"{name}.ms", opts, say=lambda _: None)
        a = result.verification
        info: dict[str, Any] = {"route": f"converter {result.mode}" if mode else result.mode,
                                "verification": a.to_dict() if a else None,
                                "verified": bool(a and a.passed)}
        if a is not None and not a.passed:
            self.say(f"[{name}] outside its {result.mode} tolerance: max rel error {a.max_rel_error:.2e}, top-1 "
                     f"agreement {a.top1_agreement:.1%}")
        return result.output, info

    def _qat(self, name: str, net: Any) -> tuple[Path, dict[str, Any], Path]:
        from host_tools.compress import qat
        from host_tools.compress.slimming import rebuild_lenet_bn
        from host_tools.models.lenet_bn import LeNetBN
        from host_tools.models.registry import create_model

        # a fresh copy: QAT must not touch the float model, and MindSpore's ONNX exporter fails on a second
        # export of one net
        if isinstance(net, LeNetBN):  # slimmed or distilled nets: same (pruned) widths and weights
            net = rebuild_lenet_bn(net)
        else:
            fresh = create_model(self.cfg.model)
            self.ms.load_param_into_net(fresh, {p.name: self.ms.Parameter(p.data.copy(), name=p.name)
                                                for p in net.get_parameters()}, strict_load=True)
            net = fresh
        self.say(f"[{name}] QAT fine-tuning {self.cfg.qat_epochs} epochs (int8 fake quant, STE)")
        ranges = qat.qat_finetune(net, self.train_x, self.train_y,
                                  FitConfig(epochs=self.cfg.qat_epochs, lr=QAT_LR, augment=self.cfg.augment,
                                            seed=self.cfg.seed, mean=self.ds.mean, std=self.ds.std),
                                  progress=say_epochs(self.say))
        onnx = self._export(name, net)
        info: dict[str, Any] = {"qat_ranges": [vars(r) for r in ranges]}
        qdq = qat.to_qdq(onnx, ranges, self.models / f"{name}_qdq.onnx")
        try:
            ms_path, conv = self._convert(f"{name}_qdq", qdq, None)
            info.update(conv, qdq_route={"converted": True, "ran": True, "ms_bytes": ms_path.stat().st_size})
            info["route"] = "ONNX QDQ with the QAT ranges"
            return ms_path, info, onnx
        except MindedgeError as e:
            info["qdq_route"] = {"converted": getattr(e, "ms_bytes", 0) > 0, "ran": False, "error": e.message}
            self._investigate_qdq(name, onnx, info["qdq_route"])
        ms_path, conv = self._convert(name, onnx, "full8")
        info.update(conv, route="converter FULL_QUANT (calibrated) on the QAT-trained weights; QDQ route failed")
        return ms_path, info, onnx

    def _investigate_qdq(self, name: str, onnx: Path, qdq_row: dict[str, Any]) -> None:
        if any(r["variant"] == "qat-qdq" for r in self.investigation):
            return
        from host_tools.compress.investigate import qdq as investigate_qdq

        rng = np.random.default_rng(self.cfg.seed)
        pick = rng.choice(len(self.train_x), size=min(16, len(self.train_x)), replace=False)
        row = ptq.ProbeRow("qat-qdq", {}, converted=qdq_row["converted"], error=qdq_row["error"])
        record = investigate_qdq(row, onnx, self.models / "investigation", self.test_x[:8],
                                 self.ds.normalize(self.train_x[pick]))
        record["name"] = name
        self.investigation.append(record)

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


FLOAT_ORDER = ("baseline", "slim", "kd")
