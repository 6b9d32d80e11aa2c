"""Network slimming (Liu et al. 2017): L1 on BatchNorm gamma, global channel selection, surgery, fine-tune."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from host_tools.compress.surgery import ChannelGroup, SurgeryReport, apply, get_cell
from host_tools.errors import ConfigError

DEFAULT_LAMBDA = 5e-3  # 22 gammas in LeNet-BN: 1e-4 (the paper's, for thousands) barely moves them
MIN_KEEP_FRACTION = 0.5


def sparsity_loss_cell(net: Any, groups: list[ChannelGroup], lam: float) -> Any:
    """Cross-entropy of ``net`` plus ``lam * sum |gamma|`` over the groups' BatchNorms."""
    from mindspore import ParameterTuple, nn, ops

    class SparsityLoss(nn.Cell):
        def __init__(self) -> None:
            super().__init__(auto_prefix=False)
            self.net = net
            self.ce = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
            self.gammas = ParameterTuple([get_cell(net, g.bn).gamma for g in groups])
            self.lam = lam

        def construct(self, x: Any, y: Any) -> Any:
            penalty = 0.0
            for g in self.gammas:
                penalty = penalty + ops.abs(g).sum()
            return self.ce(self.net(x), y) + self.lam * penalty

    return SparsityLoss()


def check_ratio(ratio: float) -> float:
    if not 0.0 < ratio < 1.0:
        raise ConfigError(f"prune ratio {ratio} is outside (0, 1)", hint="give the fraction of channels to remove, "
                          "e.g. 0.5")
    return ratio


def select_channels(gammas: dict[str, np.ndarray], ratio: float,
                    min_keep_fraction: float = MIN_KEEP_FRACTION) -> dict[str, np.ndarray]:
    """Globally drop the ``ratio`` fraction of channels with the smallest |gamma|.

    Never removes a whole layer: each layer keeps at least ``ceil(min_keep_fraction * width)`` (>= 1) channels.

    Returns the kept indices (sorted) per BN.
    """
    check_ratio(ratio)
    names = list(gammas)
    scores = np.concatenate([np.abs(gammas[n]) for n in names])
    n_drop = round(ratio * len(scores))
    threshold = np.sort(scores)[n_drop - 1] if n_drop > 0 else -np.inf
    kept: dict[str, np.ndarray] = {}
    for n in names:
        g = np.abs(gammas[n])
        min_keep = max(1, math.ceil(min_keep_fraction * len(g)))
        idx = np.flatnonzero(g > threshold)
        if len(idx) < min_keep:  # never remove a whole layer: keep its strongest channels
            idx = np.sort(np.argsort(-g)[:min_keep])
        kept[n] = idx
    return kept


def gammas_of(net: Any, groups: list[ChannelGroup]) -> dict[str, np.ndarray]:
    return {g.bn: get_cell(net, g.bn).gamma.asnumpy() for g in groups}


def slim(net: Any, groups: list[ChannelGroup], ratio: float,
         min_keep_fraction: float = MIN_KEEP_FRACTION) -> SurgeryReport:
    """Select channels by gamma and cut ``net`` in place; returns the report (kept channels per layer)."""
    return apply(net, groups, select_channels(gammas_of(net, groups), ratio, min_keep_fraction))


def rebuild_lenet_bn(net: Any) -> Any:
    """A fresh ``LeNetBN`` with the (pruned) widths of ``net`` and its weights.

    MindSpore caches the compiled graph of a cell; a new instance is the safe way to train and export
    a network whose cells were replaced.
    """
    import mindspore as ms

    from host_tools.models.lenet_bn import LeNetBN

    widths = (net.conv1.out_channels, net.conv2.out_channels, net.fc1.out_channels, net.fc2.out_channels)
    fresh = LeNetBN(num_classes=net.fc3.out_channels, in_channels=net.conv1.in_channels, widths=widths)
    params = {p.name: ms.Parameter(p.data.copy(), name=p.name) for p in net.get_parameters()}
    ms.load_param_into_net(fresh, params, strict_load=True)
    fresh.set_train(False)
    return fresh
