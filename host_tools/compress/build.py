"""The work behind ``run_compress``: float models (baseline, slimmed, distilled), their quantized variants,
conversion, runtime accuracy, benchmark and the results store. One ``Builder`` per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress import ptq
from host_tools.compress.artifacts import convert, export_onnx, save_checkpoint
from host_tools.compress.flops import count
from host_tools.compress.trainer import FitConfig, fit, setup
from host_tools.errors import MindedgeError, ModelError

QAT_LR = 1e-4
BENCH_ROUNDS = 3
FINETUNE_LR = 1e-3


class Builder:
    def __init__(self, cfg: Any, say: Any) -> None:
        from host_tools.data.mnist import fetch_mnist, load_mnist
        from host_tools.data.transforms import normalize

        self.cfg, self.say = cfg, say
        data = load_mnist(cfg.data if cfg.data else fetch_mnist(progress=say))
        self.train_x, self.train_y = data.train_x[: cfg.subset], data.train_y[: cfg.subset]
        self.test_x = normalize(data.test_x[: cfg.test_subset])
        self.test_y = data.test_y[: cfg.test_subset]
        self.test_images = len(self.test_y)
        self.out = Path(cfg.out)
        self.models = self.out / "models"
        self.floats: dict[str, tuple[Any, Path]] = {}  # float method -> (net, onnx)
        self.extra_rows: list[dict[str, Any]] = []
        self.slim_report: dict[str, Any] | None = None
        self.investigation: list[dict[str, Any]] = []
        self._calib: Path | None = None
        self._bench: dict[str, Any] = {}
        self.ms = setup(cfg.seed)

    # ---- float models -------------------------------------------------------------------------
    def _fit_cfg(self, epochs: int, lr: float = 1e-3) -> FitConfig:
        return FitConfig(epochs=epochs, lr=lr, augment=self.cfg.augment, seed=self.cfg.seed)

    def _mindspore_acc(self, net: Any) -> float:
        from host_tools.train.evaluate import predict

        return float((predict(net, self.test_x).argmax(1) == self.test_y).mean())

    def _baseline(self) -> Any:
        from host_tools.models.registry import create_model, model_info

        cfg = self.cfg
        if cfg.checkpoint is not None:
            from host_tools.export import _checkpoint_info, _load_net

            _meta, info = _checkpoint_info(Path(cfg.checkpoint))
            if info.name != cfg.model:
                raise ModelError(f"checkpoint {cfg.checkpoint} holds model '{info.name}', not '{cfg.model}'",
                                 hint=f"pass a checkpoint trained for --model {cfg.model}, or no --checkpoint")
            self.say(f"[fp32] loading {cfg.checkpoint}")
            return _load_net(self.ms, Path(cfg.checkpoint), model_info(cfg.model))
        self.say(f"[fp32] training {cfg.model}, {cfg.epochs} epochs on {len(self.train_x)} images")
        net = create_model(cfg.model)
        fit(net, self.train_x, self.train_y, self._fit_cfg(cfg.epochs), say=self.say)
        return net

    def _slim(self) -> tuple[Any, Path]:
        from host_tools.compress.distill import online_kd_loss_cell
        from host_tools.compress.pipeline import SLIM_BASE
        from host_tools.compress.slimming import rebuild_lenet_bn, slim, sparsity_loss_cell
        from host_tools.compress.surgery import LENET_BN_GROUPS
        from host_tools.models.registry import create_model

        cfg = self.cfg
        base = SLIM_BASE[cfg.model]
        net = create_model(base)
        self.say(f"[slim] sparsity training {base} (lambda {cfg.sparsity:g}), {cfg.epochs} epochs")
        fit(net, self.train_x, self.train_y, self._fit_cfg(cfg.epochs),
            loss_cell=sparsity_loss_cell(net, LENET_BN_GROUPS, cfg.sparsity), say=self.say)
        before_acc = self._mindspore_acc(net)
        before = count(export_onnx(net, self.models / "slim_unpruned.onnx"))
        teacher = rebuild_lenet_bn(net)  # the unpruned network teaches its pruned self during fine-tuning
        report = slim(net, LENET_BN_GROUPS, cfg.ratio, cfg.min_keep)
        net = rebuild_lenet_bn(net)
        pruned_acc = self._mindspore_acc(net)
        self.say(f"[slim] kept channels {report.after} of {report.before}; fine-tuning {cfg.finetune_epochs} epochs "
                 f"distilled from the unpruned network (T={cfg.temperature:g}, alpha={cfg.alpha:g})")
        fit(net, self.train_x, self.train_y, self._fit_cfg(cfg.finetune_epochs, FINETUNE_LR),
            loss_cell=online_kd_loss_cell(net, teacher, cfg.temperature, cfg.alpha), say=self.say)
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
        fit(teacher, self.train_x, self.train_y, self._fit_cfg(cfg.epochs), say=self.say)
        self.say(f"[kd] student lenet_small alone, {cfg.epochs} epochs")
        alone = create_model("lenet_small")
        fit(alone, self.train_x, self.train_y, self._fit_cfg(cfg.epochs), say=self.say)
        self.say(f"[kd] student lenet_small with the teacher (T={cfg.temperature:g}, alpha={cfg.alpha:g}), "
                 f"{cfg.epochs} epochs")
        student = create_model("lenet_small")
        fit(student, self.train_x, self.train_y, self._fit_cfg(cfg.epochs),
            loss_cell=online_kd_loss_cell(student, rebuild_lenet_bn(teacher), cfg.temperature, cfg.alpha),
            say=self.say)
        for name, net in (("kd-teacher", teacher), ("kd-student-alone", alone)):
            self.extra_rows.append(self._measure(name, net, self._export(name, net), None))
        return student

    def _export(self, name: str, net: Any) -> Path:
        save_checkpoint(net, self.models / f"{name}.ckpt")
        return export_onnx(net, self.models / f"{name}.onnx")

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
            from host_tools.data.transforms import normalize

            rng = np.random.default_rng(self.cfg.seed)
            pick = rng.choice(len(self.train_x), size=min(self.cfg.calibration, len(self.train_x)), replace=False)
            self._calib = ptq.write_calibration(normalize(self.train_x[pick]), self.out / "calibration")
        return self._calib

    def _convert(self, name: str, onnx: Path, quant: str | None) -> tuple[Path, dict[str, Any]]:
        target = self.models / f"{name}.ms"
        if quant is None:
            return convert(onnx, target), {"route": "fp32"}
        s = ptq.spec(ptq_name := quant)
        calib = self.calibration() if ptq_name == "full8" else None
        return convert(onnx, target, ptq.config_text(s, calib), fp16=s.fp16), {"route": f"converter {ptq_name}"}

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
                                            seed=self.cfg.seed), say=self.say)
        onnx = self._export(name, net)
        info: dict[str, Any] = {"qat_ranges": [vars(r) for r in ranges]}
        qdq = qat.to_qdq(onnx, ranges, self.models / f"{name}_qdq.onnx")
        row = ptq.probe(qdq, self.models / f"{name}_qdq.ms", ptq.PtqSpec("qat-qdq", None), self.test_x[:8])
        info["qdq_route"] = row.to_dict()
        if not row.ran and not any(r["variant"] == "qat-qdq" for r in self.investigation):
            from host_tools.compress.investigate import qdq as investigate_qdq
            from host_tools.data.transforms import normalize

            rng = np.random.default_rng(self.cfg.seed)
            pick = rng.choice(len(self.train_x), size=min(16, len(self.train_x)), replace=False)
            record = investigate_qdq(row, onnx, self.models / "investigation", self.test_x[:8],
                                     normalize(self.train_x[pick]))
            record["name"] = name
            self.investigation.append(record)
        if row.ran:
            info["route"] = "ONNX QDQ with the QAT ranges"
            return self.models / f"{name}_qdq.ms", info, onnx
        info["route"] = "converter FULL_QUANT (calibrated) on the QAT-trained weights; QDQ route failed"
        path = convert(onnx, self.models / f"{name}.ms", ptq.config_text(ptq.spec("full8"), self.calibration()))
        return path, info, onnx

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
    def _measure(self, name: str, net: Any, onnx: Path, quant: str | None,
                 ms_path: Path | None = None, info: dict[str, Any] | None = None) -> dict[str, Any]:
        from host_tools.bench.accuracy import ms_accuracy

        row: dict[str, Any] = {"name": name, "status": "failed", "converted": False, "ran": False, "error": None,
                               **count(onnx)}
        row.pop("macs")
        try:
            if ms_path is None:
                ms_path, extra = self._convert(name, onnx, quant)
                row.update(extra)
            row.update(info or {})
            row["converted"] = True
            row["ms_path"], row["ms_bytes"] = str(ms_path), ms_path.stat().st_size
            acc = ms_accuracy(ms_path, self.test_x, self.test_y, threads=self.cfg.threads)
            row["ran"] = True
            row["test_accuracy"] = acc.accuracy
            self.say(f"[{name}] {row['ms_bytes']:,} bytes, accuracy on the runtime {acc.accuracy:.2%}")
            row["status"] = "ok"  # benchmarked with the others at the end (interleaved rounds)
        except MindedgeError as e:
            row["error"] = str(e)
            self.say(f"[{name}] FAILED: {e}")
        return row

    def run(self, plans: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        from host_tools.compress.pipeline import PTQ_OF, variant_name

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
                rows.append(self._measure(name, net, q_onnx, None, ms_path, info))
            else:
                rows.append(self._measure(name, net, onnx, PTQ_OF.get(q) if q else None))
                if rows[-1]["status"] != "ok" and q in ("ptq-weight8", "ptq-weight4") and rows[-1].get("ms_bytes"):
                    self._investigate_weight_quant(name, PTQ_OF[q], onnx, rows[-1])
        rows += self.extra_rows
        self._benchmark([r for r in rows if r["status"] == "ok"])
        return rows

    def _benchmark(self, rows: list[dict[str, Any]]) -> None:
        """device_bench every variant in ``BENCH_ROUNDS`` interleaved rounds; keep the median-p50 round.

        Measured one after the other minutes apart, a single p50 of a 35 us model swung 2x with the machine's
        load; interleaving puts every variant under the same conditions.
        """
        from host_tools.bench.runner import BenchConfig, run_device_bench
        from host_tools.targets.local import LocalTarget

        cfg = BenchConfig(self.cfg.loops, self.cfg.warmup, self.cfg.threads, cpu_bind=self.cfg.cpu_bind)
        self.say(f"benchmarking {len(rows)} variants: {BENCH_ROUNDS} interleaved rounds x {cfg.loops} runs")
        results: dict[str, list[Any]] = {r["name"]: [] for r in rows}
        for _ in range(BENCH_ROUNDS):
            for r in rows:
                if r["status"] != "ok":
                    continue
                try:
                    results[r["name"]].append(run_device_bench(Path(r["ms_path"]), LocalTarget(), cfg))
                except MindedgeError as e:
                    r.update(status="failed", error=f"benchmark: {e}")
                    self.say(f"[{r['name']}] FAILED: {e}")
        for r in rows:
            if r["status"] != "ok":
                continue
            runs = sorted(results[r["name"]], key=lambda b: b.latency_ms.p50)
            bench = runs[len(runs) // 2]
            self._bench[r["name"]] = bench
            r["bench"] = bench.to_dict()
            r["p50_ms"] = bench.latency_ms.p50
            r["p50_rounds_ms"] = [b.latency_ms.p50 for b in results[r["name"]]]

    def store(self, rows: list[dict[str, Any]]) -> None:
        from host_tools import paths
        from host_tools.bench.store import StoreError, open_store

        try:
            with open_store(paths.results_db(self.cfg.workspace)) as db:
                for r in rows:
                    if r["name"] in self._bench:
                        db.add(self._bench[r["name"]], status="ok", target="local", variant=f"compress:{r['name']}",
                               model_format="ms", host_config={"compress": r.get("route")})
        except StoreError as e:
            self.say(f"note: results not stored: {e}")


FLOAT_ORDER = ("baseline", "slim", "kd")
