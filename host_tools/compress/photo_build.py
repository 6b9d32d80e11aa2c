"""MobileNetV2 (transfer-learned on an image folder) for ``mindedge compress``: the baseline and BN-gamma
slimming of its inverted residual blocks; the quantized variants come from ``Builder``.

The data is the checkpoint's own: its manifest records the image folder and split (``images.from_record``)
and the preprocessing (``Preprocess.from_record``), so every variant is judged on the same test photos
with the same pixels the app will feed. Without ``--checkpoint`` a baseline is trained first
(``train.transfer.train_transfer`` with its defaults on ``--data``, cats-dogs by default).

Slimming ranks each block's hidden channels by the ImageNet BatchNorm gammas of its expand layer (the
backbone was frozen, so there was no sparsity training to shape them: ``sparsity`` does not apply), cuts
them with the channel surgery (block inputs and outputs, tied by the residual additions, keep their
widths), then re-trains the head on features of the pruned backbone (cached under the pruned weights'
digest, so a re-run reuses them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.compress.build import Builder
from host_tools.compress.flops import count
from host_tools.errors import ModelError

MODEL = "mobilenet_v2"


def weights_digest(cell: Any) -> str:
    """sha256 over a cell's parameter names, shapes and values (the feature cache key of a pruned backbone)."""
    h = hashlib.sha256()
    for p in cell.get_parameters():
        a = np.ascontiguousarray(p.asnumpy())
        h.update(f"{p.name}:{list(a.shape)}:{a.dtype};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _block(bn_path: str) -> str:
    """``backbone.features.4.layers.1`` -> ``features.4`` (the block a hidden-channel group belongs to)."""
    parts = bn_path.split(".")
    return ".".join(parts[1:3]) if len(parts) > 3 else bn_path


class PhotoBuilder(Builder):
    # Lite 2.0.0's mixed-bit weight quantization fails on MobileNetV2's 576-channel depthwise kernels ("offset over
    # max size offset:576 max_size:576"); leaving tensors under 6000 values (every depthwise kernel up to 576
    # channels, biases) in float avoids it (measured: 1.95 MB vs 8.86 MB, max rel error 0.051, top-1 100%).
    quant_params = {"weight-mixed": {"min_quant_weight_size": 6000}}  # noqa: RUF012

    def __init__(self, cfg: Any, say: Any) -> None:
        from host_tools.data.images import from_record
        from host_tools.data.preprocess import Preprocess
        from host_tools.data.recorded import required_split
        from host_tools.export import checkpoint_manifest

        super().__init__(cfg, say)
        self.checkpoint = Path(cfg.checkpoint) if cfg.checkpoint is not None else self._train_baseline()
        meta, info = checkpoint_manifest(self.checkpoint)
        if info.name != MODEL:
            raise ModelError(f"checkpoint {self.checkpoint} holds model '{info.name}', not '{MODEL}'")
        record = (meta.extra or {}).get("dataset") or {}
        if record.get("kind") != "image-folder":
            raise ModelError(f"checkpoint {self.checkpoint} records no image folder to judge its variants on",
                             hint="use a checkpoint written by `mindedge train mobilenet_v2`")
        self.normalization, self.labels, self.record = dict(meta.normalization or {}), list(meta.labels or []), record
        self.input_shape = tuple(int(d) for d in meta.inputs[0].shape[1:])
        self.preprocess = Preprocess.from_record(self.normalization)
        self.folder = from_record(record)
        test = required_split(meta, cfg.test_subset)
        self.test_x, self.test_y = test.x, test.y
        say(f"[data] {test.display}: {len(self.folder.splits['train'])} training, {len(self.test_y)} test photos, "
            f"{self.input_shape[-1]} px")

    def _train_baseline(self) -> Path:
        from host_tools.train.transfer import TransferConfig, train_transfer

        data = str(self.cfg.data) if self.cfg.data is not None else "cats-dogs"
        self.say(f"[fp32] training {MODEL} on {data} (frozen ImageNet backbone, cached features, new head)")
        return train_transfer(TransferConfig(data=data, seed=self.cfg.seed, out=self.out / "baseline"),
                              say=lambda m: self.say(f"[fp32] {m}")).checkpoint

    def _identity(self, net: Any) -> tuple[str, dict[str, Any]]:
        return MODEL, {"num_classes": len(self.labels)}

    def calibration_inputs(self, n: int) -> np.ndarray:
        from host_tools.data.images import read_rgb

        items = self.folder.splits["train"]
        rng = np.random.default_rng(self.cfg.seed)
        pick = rng.choice(len(items), size=min(n, len(items)), replace=False)
        return self.preprocess.batch([read_rgb(items[i].path) for i in sorted(pick)])

    def _load(self) -> Any:
        from host_tools.export import load_checkpoint

        return load_checkpoint(self.checkpoint)[0]

    def _float(self, method: str) -> tuple[Any, Path]:
        if method == "baseline":
            self.say(f"[fp32] {self.checkpoint}")
            net = self._load()
            return net, self._export("fp32", net)
        if method == "slim":
            return self._slim()
        return super()._float(method)

    def _features(self, net: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
        from host_tools.data.features import FeatureStore, StderrExtractProgress, extract_features

        items = self.folder.splits[split]
        feats, _stats = extract_features(net.backbone, [i.path for i in items], self.preprocess,
                                         weights=weights_digest(net.backbone), feature_dim=net.feature_dim,
                                         store=FeatureStore(net.feature_dim),
                                         progress=StderrExtractProgress(label=f"slim features {split}"))
        return feats["orig"], np.array([i.label for i in items], np.int64)

    def _slim(self) -> tuple[Any, Path]:
        from host_tools.compress.slimming import gammas_of, select_channels
        from host_tools.compress.surgery import apply, mobilenet_v2_groups
        from host_tools.train.evaluate import predict
        from host_tools.train.transfer import TransferConfig, train_head

        cfg = self.cfg
        net = self._load()  # a fresh instance: no graph compiled before the surgery
        before = count(self.floats["baseline"][1]) if "baseline" in self.floats else None
        groups = mobilenet_v2_groups(net)
        report = apply(net, groups, select_channels(gammas_of(net, groups), cfg.ratio, cfg.min_keep))
        kept, total = sum(report.after.values()), sum(report.before.values())
        self.say(f"[slim] {len(groups)} inverted residual blocks: kept {kept} of {total} hidden channels "
                 f"(ratio {cfg.ratio:g}, each block keeps >= {cfg.min_keep:.0%}); re-training the head")
        x, y = self._features(net, "train")
        val = self._features(net, "val") if self.folder.splits.get("val") else None
        head = train_head(net.head, x, y, val, TransferConfig(seed=cfg.seed))
        onnx = self._export("slim", net)
        after = count(onnx)
        before = before or after
        test_x, test_y = self._features(net, "test")
        acc = float((predict(net.head, test_x).argmax(1) == test_y).mean()) if len(test_y) else None
        self.slim_report = {
            "model": MODEL, "ratio": cfg.ratio, "min_keep": cfg.min_keep,
            "ranking": "ImageNet BN gammas of each block's expand layer (frozen backbone: no sparsity training)",
            "finetune": {"what": "head re-trained on the pruned backbone's features", "epochs": len(head.losses),
                         "best_epoch": head.best_epoch},
            "kept": report.kept,
            "channels_before": {_block(k): v for k, v in report.before.items()},
            "channels_after": {_block(k): v for k, v in report.after.items()},
            "params_before": before["params"], "params_after": after["params"],
            "flops_before": before["flops"], "flops_after": after["flops"],
            "flops_removed": round(1 - after["flops"] / before["flops"], 4),
            "mindspore_accuracy": {"fine_tuned": acc},
        }
        return net, onnx
