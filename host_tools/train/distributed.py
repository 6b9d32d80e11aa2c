"""Data-parallel training on MindSpore's own launcher (``msrun``): who this process is, and its share of the
data. ``mindedge train ... --workers N`` starts msrun (``train.launch``); each worker (and msrun's scheduler,
which runs the same command and serves the cluster inside ``init()``) then finds itself here from msrun's
environment (``MS_ROLE``, ``RANK_ID``), as does a command the user starts under their own msrun.

The rules: ``--batch-size`` is the *global* batch B; each of the W ranks takes B / W samples of every step (B
must divide by W), the ranks' mean gradients are averaged by MindSpore's all-reduce (``gradients_mean``), so a
step is the step one worker would take on the whole batch and the learning rate stays as it is. Every rank draws
the same seeded permutation per epoch and takes its own contiguous slice of each global batch: disjoint, and
together the epoch. The ranks start from the same weights (the same seed draws them). Rank 0 alone writes
checkpoints, ``eval.json``, manifests and progress.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from host_tools.errors import ConfigError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def shard(self, batch: np.ndarray) -> np.ndarray:
        """This rank's slice of one global batch (index array)."""
        per = len(batch) // self.size
        return batch[self.rank * per:(self.rank + 1) * per]

    def check_batch(self, batch: int) -> int:
        """The per-rank batch of global ``batch``; ConfigError when it does not split evenly."""
        if batch % self.size:
            raise ConfigError(f"--batch-size {batch} does not split over {self.size} workers",
                              hint=f"the batch is global: use a multiple of {self.size}")
        return batch // self.size


def under_msrun() -> bool:
    """True in a process msrun started: a worker, or its scheduler (which runs the same command)."""
    return os.environ.get("MS_ROLE") in ("MS_WORKER", "MS_SCHED")


def join() -> World:
    """Outside msrun: a world of one. In an msrun worker: ``init()`` the CPU collective, data-parallel mode with
    mean gradients, and this rank's place."""
    if not under_msrun():
        return World()
    from host_tools import msenv

    ms = msenv.import_mindspore()
    from mindspore.communication import get_group_size, get_rank, init

    if ms.get_context("device_target") != "CPU":
        ms.set_device("CPU")
    init()  # msrun's scheduler process serves the cluster in here and does not come back
    if os.environ.get("MS_ROLE") == "MS_SCHED":
        raise SystemExit(0)
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    world = World(int(get_rank()), int(get_group_size()))
    print(f"mindedge: rank {world.rank} of {world.size} (pid {os.getpid()})", file=sys.stderr, flush=True)
    return world


def barrier(world: World) -> None:
    """Wait until every rank got here: an all-reduce of ones in a graph (MindSpore 2.10's ``Barrier`` and its
    eager collectives have no CPU kernel; the graph-mode ``AllReduce`` the gradients use does)."""
    from host_tools import msenv

    ms = msenv.import_mindspore()
    from mindspore import nn, ops

    class _Sum(nn.Cell):
        def __init__(self) -> None:
            super().__init__()
            self.reduce = ops.AllReduce()

        def construct(self, x: ms.Tensor) -> ms.Tensor:
            return self.reduce(x)

    got = float(_Sum()(ms.Tensor(np.ones(1, np.float32))).asnumpy()[0])
    if got != world.size:  # pragma: no cover - MindSpore's collective gave a wrong sum
        raise RuntimeError(f"barrier: the all-reduce of {world.size} ones gave {got}")
