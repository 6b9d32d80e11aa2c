"""Mixed precision through MindSpore's own ``amp``: ``build_train_network(level=O0..O3)`` with a fixed loss
scale (``FixedLossScaleManager(1024, drop_overflow_update=False)``, the optimizer unscaling by the same factor).
Dynamic loss scaling needs overflow detection that MindSpore 2.10 implements with NPU operators
(``NPUGetFloatStatusV2``): its loss-scale cell does not compile on the CPU, so the CPU gets the fixed scale.

O0 is float32; O1 casts the white-listed operators (convolutions, matmuls) to float16; O2 the whole network
but BatchNorm and the loss; O3 everything. Before any training, ``probe`` runs one step of a fresh copy of the
model at the level: a backend without the float16 kernels fails there, in one line naming level and backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from host_tools import msenv
from host_tools.errors import ConfigError

LEVELS = ("O0", "O1", "O2", "O3")
LOSS_SCALE = 1024.0


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ConfigError(f"--amp {level}: not a mixed-precision level", hint=f"use one of {', '.join(LEVELS)}")
    return level


def train_cell(net: Any, optimizer_for: Any, level: str) -> Any:
    """``build_train_network`` of ``net`` at ``level`` with the plain cross-entropy loss and the fixed scale;
    ``optimizer_for(loss_scale)`` makes the optimizer (it must unscale the gradients by the same factor)."""
    ms = msenv.import_mindspore()
    from mindspore import nn

    manager = ms.amp.FixedLossScaleManager(LOSS_SCALE, drop_overflow_update=False)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return ms.amp.build_train_network(net, optimizer_for(LOSS_SCALE), loss, level=level, loss_scale_manager=manager)


def _reason(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and not set(ln.strip()) <= {"-"}]
    for clue in ("nsupported", "not support", "kernel"):  # the operator MindSpore names, before its headings
        hit = next((ln for ln in lines if clue in ln.lower() or clue in ln), None)
        if hit:
            return hit[:300]
    return (lines[0] if lines else type(e).__name__)[:300]


def probe(make_net: Any, level: str, x: np.ndarray, y: np.ndarray) -> None:
    """One training step of ``make_net()`` at ``level`` on a few samples; ConfigError when the backend refuses."""
    if level == "O0":
        return
    ms = msenv.import_mindspore()
    from mindspore import nn

    net = make_net()
    try:
        cell = train_cell(net, lambda scale: nn.Adam(net.trainable_params(), 1e-4, loss_scale=scale), level)
        cell.set_train(True)
        cell(ms.Tensor(np.ascontiguousarray(x, dtype=np.float32)), ms.Tensor(np.asarray(y, dtype=np.int32)))
    except (RuntimeError, TypeError, ValueError) as e:
        backend = ms.get_context("device_target")
        raise ConfigError(f"--amp {level}: MindSpore's {backend} backend cannot train this model at {level} "
                          f"({_reason(e)})", hint="use --amp O0 (float32) on this backend") from None
