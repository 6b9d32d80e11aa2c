"""Channel surgery on MobileNetV2-style inverted residual blocks (expand, depthwise, project, residual adds)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def ms():
    from host_tools import msenv

    return msenv.graph_mode_cpu(0)


def _tiny_mobilenet_v2(ms):
    """Stem, a ratio-1 block, a stride-2 block and a residual block, in the mindcv block layout."""
    from mindspore import nn, ops

    class InvertedResidual(nn.Cell):
        def __init__(self, inp: int, oup: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = inp * expand
            self.use_res = stride == 1 and inp == oup
            layers = []
            if expand != 1:
                layers += [nn.Conv2d(inp, hidden, 1, has_bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
            layers += [nn.Conv2d(hidden, hidden, 3, stride, pad_mode="pad", padding=1, group=hidden, has_bias=False),
                       nn.BatchNorm2d(hidden), nn.ReLU6(), nn.Conv2d(hidden, oup, 1, has_bias=False),
                       nn.BatchNorm2d(oup)]
            self.conv = nn.SequentialCell(layers)

        def construct(self, x):
            if self.use_res:
                return x + self.conv(x)
            return self.conv(x)

    class TinyMobileNetV2(nn.Cell):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.SequentialCell([
                nn.Conv2d(3, 8, 3, 2, pad_mode="pad", padding=1, has_bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
                InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 6), InvertedResidual(12, 12, 1, 6)])
            self.classifier = nn.Dense(12, 5)

        def construct(self, x):
            return self.classifier(ops.mean(self.features(x), (2, 3)))

    net = TinyMobileNetV2()
    net.set_train(False)
    rng = np.random.default_rng(0)
    for _, cell in net.cells_and_names():
        if hasattr(cell, "moving_variance"):
            n = cell.gamma.shape[0]
            cell.gamma.set_data(ms.Tensor(rng.uniform(0.5, 1.5, n).astype(np.float32)))
            cell.beta.set_data(ms.Tensor(rng.standard_normal(n).astype(np.float32) * 0.1))
            cell.moving_mean.set_data(ms.Tensor(rng.standard_normal(n).astype(np.float32) * 0.1))
            cell.moving_variance.set_data(ms.Tensor(rng.uniform(0.5, 2.0, n).astype(np.float32)))
    return net


def test_groups_cover_the_hidden_channels_of_expanding_blocks_only(ms):
    from host_tools.compress.surgery import mobilenet_v2_groups

    groups = mobilenet_v2_groups(_tiny_mobilenet_v2(ms))
    assert [g.bn for g in groups] == ["features.4.conv.1", "features.5.conv.1"]
    g = groups[0]
    assert g.producers == ("features.4.conv.0", "features.4.conv.1", "features.4.conv.4")
    assert g.depthwise == ("features.4.conv.3",) and g.consumers == (("features.4.conv.6", 1),)


def test_pruning_dead_hidden_channels_keeps_outputs_and_residual_widths(ms):
    """Hidden channels whose expand and depthwise BNs output 0 contribute nothing: cutting them is exact."""
    from host_tools.compress import surgery

    # two identical nets: the reference runs first, the pruned one never ran before its surgery (MindSpore keeps
    # the graph a cell compiled on its first call, so only a net cut before that call runs its new cells)
    reference, net = _tiny_mobilenet_v2(ms), _tiny_mobilenet_v2(ms)
    ms.load_param_into_net(net, {p.name: ms.Parameter(p.data.copy(), name=p.name)
                                 for p in reference.get_parameters()}, strict_load=True)
    groups = surgery.mobilenet_v2_groups(net)
    rng = np.random.default_rng(1)
    keep = {}
    for g in groups:
        width = surgery.get_cell(net, g.bn).gamma.shape[0]
        dead = rng.choice(width, size=width // 2, replace=False)
        for which in (reference, net):
            for bn_path in (g.bn, g.producers[2]):  # expand BN and depthwise BN: gamma = beta = mean = 0
                bn = surgery.get_cell(which, bn_path)
                for name in ("gamma", "beta", "moving_mean"):
                    v = getattr(bn, name).asnumpy().copy()
                    v[dead] = 0.0
                    getattr(bn, name).set_data(ms.Tensor(v))
        keep[g.bn] = np.setdiff1d(np.arange(width), dead)
    x = ms.Tensor(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    before = reference(x).asnumpy()
    params_before = sum(p.size for p in net.get_parameters())
    report = surgery.apply(net, groups, keep)
    assert report.before == {"features.4.conv.1": 48, "features.5.conv.1": 72}
    assert report.after == {"features.4.conv.1": 24, "features.5.conv.1": 36}
    expand, bn_e, _, dw, bn_d, _, project, bn_out = net.features[5].conv
    assert tuple(expand.weight.shape) == (36, 12, 1, 1) and tuple(bn_e.gamma.shape) == (36,)
    assert tuple(dw.weight.shape) == (36, 1, 3, 3) and dw.group == 36 and tuple(bn_d.gamma.shape) == (36,)
    assert tuple(project.weight.shape) == (12, 36, 1, 1) and tuple(bn_out.gamma.shape) == (12,)  # residual width
    assert tuple(net.features[4].conv[6].weight.shape) == (12, 24, 1, 1)
    assert net.features[5].conv[3].weight.name == "features.5.conv.3.weight"
    assert sum(p.size for p in net.get_parameters()) < params_before
    np.testing.assert_allclose(net(x).asnumpy(), before, rtol=1e-4, atol=1e-5)
    # the forward runs the new cells (a SequentialCell runs its cell_list, not _cells): change one, outputs move
    project.weight.set_data(ms.Tensor(np.zeros(project.weight.shape, np.float32)))
    assert np.abs(net(x).asnumpy() - before).max() > 1e-3
