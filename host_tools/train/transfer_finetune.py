"""Fine-tuning the last K blocks of a classifier's backbone plus its head, through the backbone (no cache).

The trainable parameters are the head's and every backbone parameter from the first one of
``blocks()[-K]`` on (the last K blocks and whatever follows them, e.g. MobileNetV2's final 1x1 conv);
everything before stays frozen, BatchNorms included: ``FrozenBatchNorm`` keeps them in eval mode (moving
statistics used, never updated) whatever ``set_train`` the training loop calls. Photos are decoded and
preprocessed per batch, each randomly mirrored (``PhotoInputs``), so nothing large is held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools.data.features import run_padded
from host_tools.errors import ConfigError


def trainable_split(net: Any, unfreeze: int) -> tuple[list[Any], list[Any]]:
    """(trainable, frozen) parameters of ``net`` when its last ``unfreeze`` blocks and head are trained."""
    blocks = net.blocks()
    if not 1 <= unfreeze <= len(blocks):
        raise ConfigError(f"--unfreeze {unfreeze}: the backbone has {len(blocks)} blocks",
                          hint=f"give 1..{len(blocks)} (0 = no fine-tuning)")
    first = blocks[-unfreeze].trainable_params()[0].name
    names = [p.name for p in net.backbone.trainable_params()]
    tail = set(names[names.index(first):])
    trainable = [p for p in net.backbone.trainable_params() if p.name in tail] + list(net.head.trainable_params())
    frozen = [p for p in net.trainable_params() if p.name not in {q.name for q in trainable}]
    return trainable, frozen


def frozen_batchnorms(net: Any, trainable: Sequence[Any]) -> list[Any]:
    """The BatchNorm cells of ``net.backbone`` none of whose parameters is in ``trainable``."""
    from mindspore import nn

    names = {p.name for p in trainable}
    return [cell for _, cell in net.backbone.cells_and_names()
            if isinstance(cell, nn.BatchNorm2d | nn.BatchNorm1d)
            and not any(p.name in names for p in cell.get_parameters())]


def frozen_batchnorm_loss(loss_cell: Any, frozen: Sequence[Any]) -> Any:
    """``loss_cell`` whose ``frozen`` cells stay in eval mode whenever the rest is set to train."""
    from mindspore import nn

    class FrozenBatchNorm(nn.Cell):
        def __init__(self) -> None:
            super().__init__(auto_prefix=False)
            self.inner = loss_cell
            self.frozen = list(frozen)

        def add_flags_recursive(self, **flags: Any) -> Any:  # set_train(True) reaches children through here
            super().add_flags_recursive(**flags)
            if "training" in flags:
                for cell in self.frozen:
                    cell.add_flags_recursive(training=False)
            return self

        def construct(self, x: Any, y: Any) -> Any:
            return self.inner(x, y)

    return FrozenBatchNorm()


class _Batches:
    """One epoch of photos: ``[sel]`` decodes, preprocesses and (where ``flips``) mirrors those images."""

    def __init__(self, inputs: PhotoInputs, flips: np.ndarray) -> None:
        self.inputs = inputs
        self.flips = flips

    def __getitem__(self, sel: np.ndarray) -> np.ndarray:
        x = self.inputs.preprocess.batch([self.inputs.read(self.inputs.paths[i]) for i in sel])
        mirror = self.flips[sel]
        x[mirror] = x[mirror][..., ::-1]
        return x


@dataclass
class PhotoInputs:
    """Image files as ``fit`` inputs: each epoch every image is mirrored with probability ``flip``."""

    paths: list[Path]
    preprocess: Any
    read: Callable[[Path], np.ndarray]
    flip: float = 0.5

    def __len__(self) -> int:
        return len(self.paths)

    def epoch(self, rng: np.random.Generator) -> _Batches:
        return _Batches(self, rng.random(len(self.paths)) < self.flip)


def predict_paths(net: Any, paths: Sequence[Path], preprocess: Any, read: Callable[[Path], np.ndarray],
                  batch_size: int = 32) -> np.ndarray:
    """Logits of ``net`` (eval mode) on image files, decoded and preprocessed batch by batch."""
    net.set_train(False)
    out = [run_padded(net, preprocess.batch([read(p) for p in paths[i:i + batch_size]]), batch_size)
           for i in range(0, len(paths), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)
