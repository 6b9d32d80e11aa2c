"""LeNet-5's float models for ``mindedge compress``: the baseline, BN-gamma slimming with distilled
fine-tuning, knowledge distillation (lenet_wide -> lenet_small) and quantization-aware training, on an
idx dataset (MNIST by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress import ptq
from host_tools.compress.build import Builder
from host_tools.compress.flops import count
from host_tools.errors import MindedgeError, ModelError
from host_tools.train.fit import FitConfig, fit, say_epochs

QAT_LR = 1e-4
FINETUNE_LR = 1e-3


class LenetBuilder(Builder):
    def __init__(self, cfg: Any, say: Any) -> None:
        from host_tools.data.dataset import load_idx_dataset
        from host_tools.models.registry import model_info

        super().__init__(cfg, say)
        mean = std = None
        if cfg.checkpoint is not None:  # its normalization, not a recomputed one
            from host_tools.export import checkpoint_manifest

            norm = checkpoint_manifest(Path(cfg.checkpoint))[0].normalization or {}
            mean, std = (norm["mean"][0], norm["std"][0]) if norm.get("mean") and norm.get("std") else (None, None)
        self.ds = load_idx_dataset(cfg.data, list(model_info(cfg.model).labels), mean, std)
        self.train_x, self.train_y = self.ds.train_x[: cfg.subset], self.ds.train_y[: cfg.subset]
        self.test_x = self.ds.normalize(self.ds.test_x[: cfg.test_subset])
        self.test_y = self.ds.test_y[: cfg.test_subset]
        self.normalization, self.labels, self.record = self.ds.normalization(), self.ds.labels, self.ds.record()

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

    def _float(self, method: str) -> tuple[Any, Path]:
        if method == "slim":
            return self._slim()
        net = {"baseline": self._baseline, "kd": self._kd}[method]()
        return net, self._export("fp32" if method == "baseline" else method, net)

    def calibration_inputs(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.cfg.seed)
        pick = rng.choice(len(self.train_x), size=min(n, len(self.train_x)), replace=False)
        return self.ds.normalize(self.train_x[pick])

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

