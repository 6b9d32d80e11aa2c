"""Fake quantization with MindSpore CPU ops and a straight-through estimator.

Weights: per-output-channel symmetric int8 (``scale = max|w| / 127``, grid ``[-127, 127]``).
Activations: per-tensor asymmetric int8 with moving (EMA) min/max, the range always containing 0
so that zero is exact. ``ste(x, q) = x + stop_gradient(q - x)``: forward ``q``, gradient 1.
"""

from __future__ import annotations

from typing import Any

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Parameter, Tensor, nn, ops  # noqa: E402

QMAX_W = 127.0
QMIN_A, QMAX_A = -128.0, 127.0
EPS = 1e-8


def ste(x: Tensor, q: Tensor) -> Tensor:
    return x + ops.stop_gradient(q - x)


def weight_scale(w: Tensor) -> Tensor:
    """Per-output-channel scale, shaped to broadcast against ``w``."""
    flat = ops.abs(w).reshape(w.shape[0], -1)
    scale = flat.max(axis=1) / QMAX_W
    return ops.maximum(scale, EPS).reshape((w.shape[0],) + (1,) * (w.ndim - 1))


def fake_quant_weight(w: Tensor) -> Tensor:
    scale = weight_scale(w)
    q = ops.clamp(ops.round(w / scale), -QMAX_W, QMAX_W) * scale
    return ste(w, q)


def act_qparams(lo: Tensor, hi: Tensor) -> tuple[Tensor, Tensor]:
    """(scale, zero point) of the int8 range covering ``[min(lo, 0), max(hi, 0)]``."""
    lo = ops.minimum(lo, 0.0)
    hi = ops.maximum(hi, 0.0)
    scale = ops.maximum((hi - lo) / (QMAX_A - QMIN_A), EPS)
    zp = ops.clamp(ops.round(QMIN_A - lo / scale), QMIN_A, QMAX_A)
    return scale, zp


def fake_quant_act(x: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
    scale, zp = act_qparams(lo, hi)
    q = (ops.clamp(ops.round(x / scale) + zp, QMIN_A, QMAX_A) - zp) * scale
    return ste(x, q)


class ActFakeQuant(nn.Cell):
    """Per-tensor int8 fake quant; in training, EMA of batch min/max (first batch initializes)."""

    def __init__(self, decay: float = 0.99) -> None:
        super().__init__()
        self.decay = decay
        self.minv = Parameter(Tensor(0.0, ms.float32), name="act_min", requires_grad=False)
        self.maxv = Parameter(Tensor(0.0, ms.float32), name="act_max", requires_grad=False)
        self.started = Parameter(Tensor(0.0, ms.float32), name="act_started", requires_grad=False)

    def construct(self, x: Tensor) -> Tensor:
        if self.training:
            bmin = ops.stop_gradient(x.min())
            bmax = ops.stop_gradient(x.max())
            d = self.decay * self.started
            new_min = d * self.minv + (1.0 - d) * bmin
            new_max = d * self.maxv + (1.0 - d) * bmax
            ops.assign(self.minv, new_min)
            ops.assign(self.maxv, new_max)
            ops.assign(self.started, ops.ones_like(self.started))
            return fake_quant_act(x, new_min, new_max)
        return fake_quant_act(x, self.minv, self.maxv)


class QConv2d(nn.Cell):
    """``conv`` with its input fake-quantized per tensor and its weight per channel (shares conv's params)."""

    def __init__(self, conv: Any) -> None:
        super().__init__()
        self.conv = conv
        self.act = ActFakeQuant()

    def construct(self, x: Tensor) -> Tensor:
        out = self.conv.conv2d(self.act(x), fake_quant_weight(self.conv.weight))
        if self.conv.has_bias:
            out = self.conv.bias_add(out, self.conv.bias)
        return out


class QDense(nn.Cell):
    """``dense`` (2-D input, no activation) with fake-quantized input and weight."""

    def __init__(self, dense: Any) -> None:
        super().__init__()
        self.dense = dense
        self.act = ActFakeQuant()

    def construct(self, x: Tensor) -> Tensor:
        out = ops.matmul(self.act(x), fake_quant_weight(self.dense.weight).T)
        if self.dense.has_bias:
            out = out + self.dense.bias
        return out


def wrap(net: Any) -> dict[str, Any]:
    """Replace every Conv2d / Dense of ``net`` by its fake-quant wrapper, in place; returns path -> wrapper."""
    from host_tools.compress.surgery import _set_cell

    wrappers = {}
    for path, cell in list(net.cells_and_names()):
        kind = type(cell).__name__
        if kind == "Conv2d" or kind == "Dense":
            if kind == "Dense" and cell.activation_flag:
                raise ValueError(f"{path}: Dense with a fused activation is not supported by QAT")
            w = QConv2d(cell) if kind == "Conv2d" else QDense(cell)
            _set_cell(net, path, w)
            wrappers[path] = w
    for name, param in net.parameters_and_names():
        param.name = name
    return wrappers


def unwrap(net: Any, wrappers: dict[str, Any]) -> None:
    """Put the original (QAT-trained) Conv2d / Dense cells back; parameter names return to the float model's."""
    from host_tools.compress.surgery import _set_cell

    for path, w in wrappers.items():
        _set_cell(net, path, w.conv if isinstance(w, QConv2d) else w.dense)
    for name, param in net.parameters_and_names():
        param.name = name
