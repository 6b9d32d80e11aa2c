"""Channel surgery: rebuild convolutions, BatchNorms and dense layers with only the kept channels.

A ``ChannelGroup`` names the cells (by attribute path, e.g. ``"features.3.conv.0"``) whose channels
follow one BatchNorm's: producers have those channels as outputs (conv, BN), depthwise convs have them
as inputs and outputs (``group`` = channels), consumers take them as inputs (conv, or a dense layer after
a flatten, with ``spatial`` positions per channel). LeNet-BN's two conv groups and MobileNetV2's inverted
residual hidden channels (expand conv + BN, depthwise conv + BN, project conv) are both such groups.
Replaced cells keep their hyper-parameters and get weights copied from the kept channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.errors import ConfigError


@dataclass(frozen=True)
class ChannelGroup:
    bn: str  # BatchNorm whose |gamma| ranks the channels
    producers: tuple[str, ...]  # conv / BN cells with these channels as outputs
    consumers: tuple[tuple[str, int], ...] = ()  # (cell, spatial): conv (1) or dense after flatten (H*W)
    depthwise: tuple[str, ...] = ()  # depthwise convs over these channels


@dataclass
class SurgeryReport:
    kept: dict[str, list[int]] = field(default_factory=dict)  # bn path -> kept channel indices
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)


def get_cell(net: Any, path: str) -> Any:
    cell = net
    for part in path.split("."):
        cell = cell._cells[part] if part in cell._cells else getattr(cell, part)
    return cell


def _set_cell(net: Any, path: str, new: Any) -> None:
    parent_path, _, name = path.rpartition(".")
    parent = get_cell(net, parent_path) if parent_path else net
    if name in parent._cells:
        parent._cells[name] = new
        if hasattr(parent, "cell_list"):  # SequentialCell/CellList run their cell_list, a copy of _cells
            parent.cell_list = list(parent._cells.values())
    else:
        setattr(parent, name, new)


def _np(param: Any) -> np.ndarray:
    return param.asnumpy() if hasattr(param, "asnumpy") else np.asarray(param)


def _conv(old: Any, in_ch: int, out_ch: int, group: int, weight: np.ndarray, bias: np.ndarray | None) -> Any:
    from mindspore import Tensor, nn

    new = nn.Conv2d(in_ch, out_ch, old.kernel_size, stride=old.stride, pad_mode=old.pad_mode, padding=old.padding,
                    dilation=old.dilation, group=group, has_bias=bias is not None, data_format=old.data_format)
    new.weight.set_data(Tensor(np.ascontiguousarray(weight)))
    if bias is not None:
        new.bias.set_data(Tensor(np.ascontiguousarray(bias)))
    return new


def slice_conv(old: Any, out_idx: np.ndarray | None = None, in_idx: np.ndarray | None = None,
               depthwise: bool = False) -> Any:
    """A copy of Conv2d ``old`` keeping output channels ``out_idx`` and input channels ``in_idx``."""
    w = _np(old.weight)  # [out, in/group, kh, kw]
    b = _np(old.bias) if old.has_bias else None
    if depthwise:
        idx = out_idx if out_idx is not None else in_idx
        return _conv(old, len(idx), len(idx), len(idx), w[idx], None if b is None else b[idx])
    if old.group != 1:
        raise ConfigError("surgery on grouped (non-depthwise) convolutions is not supported")
    if out_idx is not None:
        w, b = w[out_idx], (None if b is None else b[out_idx])
    if in_idx is not None:
        w = w[:, in_idx]
    return _conv(old, w.shape[1], w.shape[0], 1, w, b)


def slice_bn(old: Any, idx: np.ndarray) -> Any:
    from mindspore import Tensor, nn

    new = nn.BatchNorm2d(len(idx), eps=old.eps, momentum=1.0 - old.momentum, data_format=old.format)  # stored as 1-m
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        getattr(new, name).set_data(Tensor(np.ascontiguousarray(_np(getattr(old, name))[idx])))
    return new


def slice_dense_in(old: Any, idx: np.ndarray, spatial: int) -> Any:
    """A copy of Dense ``old`` whose input is a flattened [C, spatial] map keeping channels ``idx``."""
    from mindspore import Tensor, nn

    w = _np(old.weight)  # [out, in]
    out_f, in_f = w.shape
    w = w.reshape(out_f, in_f // spatial, spatial)[:, idx].reshape(out_f, len(idx) * spatial)
    new = nn.Dense(w.shape[1], out_f, has_bias=old.has_bias, activation=old.activation)
    new.weight.set_data(Tensor(np.ascontiguousarray(w)))
    if old.has_bias:
        new.bias.set_data(Tensor(_np(old.bias).copy()))
    return new


def _is_bn(cell: Any) -> bool:
    return hasattr(cell, "moving_mean") and hasattr(cell, "gamma")


def _is_dense(cell: Any) -> bool:
    return type(cell).__name__ == "Dense"


def prune_group(net: Any, group: ChannelGroup, keep: np.ndarray) -> None:
    """Keep only channels ``keep`` (sorted indices) of ``group`` in ``net``, in place."""
    keep = np.asarray(sorted(int(i) for i in keep), dtype=np.int64)
    if len(keep) == 0:
        raise ConfigError(f"surgery would remove every channel of {group.bn}")
    for path in group.producers:
        cell = get_cell(net, path)
        _set_cell(net, path, slice_bn(cell, keep) if _is_bn(cell) else slice_conv(cell, out_idx=keep))
    for path in group.depthwise:
        _set_cell(net, path, slice_conv(get_cell(net, path), out_idx=keep, depthwise=True))
    for path, spatial in group.consumers:
        cell = get_cell(net, path)
        new = slice_dense_in(cell, keep, spatial) if _is_dense(cell) else slice_conv(cell, in_idx=keep)
        _set_cell(net, path, new)


def rename_parameters(net: Any) -> None:
    """Give every parameter its full attribute path as name (replaced cells start with short names)."""
    for name, param in net.parameters_and_names():
        param.name = name


def apply(net: Any, groups: list[ChannelGroup], keep: dict[str, np.ndarray]) -> SurgeryReport:
    """Prune every group whose BN path is in ``keep``; returns kept indices and widths before/after."""
    msenv.import_mindspore()
    report = SurgeryReport()
    for g in groups:
        width = int(get_cell(net, g.bn).gamma.shape[0])
        report.before[g.bn] = width
        idx = np.asarray(keep.get(g.bn, np.arange(width)))
        report.kept[g.bn] = [int(i) for i in sorted(idx)]
        report.after[g.bn] = len(idx)
        if len(idx) != width:
            prune_group(net, g, idx)
    rename_parameters(net)
    return report


LENET_BN_GROUPS = [
    ChannelGroup(bn="bn1", producers=("conv1", "bn1"), consumers=(("conv2", 1),)),
    ChannelGroup(bn="bn2", producers=("conv2", "bn2"), consumers=(("fc1", 16),)),
]


def mobilenet_v2_groups(net: Any) -> list[ChannelGroup]:
    """Hidden-channel groups of the inverted residual blocks of a MobileNetV2 (mindcv / torchvision layout).

    A block is a cell whose class name is ``InvertedResidual``; its first SequentialCell child (``conv``
    or ``layers``, ConvBNReLU wrappers may be nested) holds expand 1x1 conv, BN, ReLU6, depthwise 3x3
    conv, BN, ReLU6, project 1x1 conv, BN. The hidden channels (expand output = depthwise channels =
    project input) form one group ranked by the expand BN; block inputs and outputs, which the residual
    additions tie together, are never pruned. Blocks with expand ratio 1 have no hidden channels to prune.
    """
    groups = []
    for name, cell in net.cells_and_names():
        if type(cell).__name__ != "InvertedResidual":
            continue
        seq_name = next((k for k, c in cell.name_cells().items() if type(c).__name__ == "SequentialCell"), None)
        if seq_name is None:
            continue
        seq = cell.name_cells()[seq_name]
        convs = [(k, c) for k, c in seq.cells_and_names() if type(c).__name__ == "Conv2d"]
        bns = [k for k, c in seq.cells_and_names() if _is_bn(c)]
        if len(convs) != 3 or len(bns) < 2:
            continue  # expand ratio 1: no hidden channels to prune
        (e, _), (d, dw), (p, _) = convs
        if dw.group != dw.in_channels:
            raise ConfigError(f"{name}: the middle convolution of an inverted residual block is not depthwise")
        prefix = f"{name}.{seq_name}." if name else f"{seq_name}."
        bn_e, bn_d = prefix + bns[0], prefix + bns[1]
        groups.append(ChannelGroup(bn=bn_e, producers=(prefix + e, bn_e, bn_d), depthwise=(prefix + d,),
                                   consumers=((prefix + p, 1),)))
    return groups
