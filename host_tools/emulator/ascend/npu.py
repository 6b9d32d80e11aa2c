"""The emulated NPU's identity and load: one JSON file the stand-ins share (``$MINDEDGE_NPU``).

``install.write_toolkit`` writes it: the chip's npu-smi Name (``310``, ``310B1``, ``310B4``), the CANN and
driver versions, the memory, and the power model npu-smi reports (``idle_w``, ``load_w``, a real-time
reading; for the 310 only the rated 12.8 W, as its npu-smi does). ais_bench and msame hold the load file
(their pid in it) while they infer; npu-smi reads ``load_w`` while a live process holds it, else ``idle_w``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

CHIPS = {  # npu-smi Name -> (memory MB, idle W, load W); the 310 reports only its rated power
    "310": (7757, 12.8, 12.8),
    "310B1": (11577, 4.0, 7.6),
    "310B4": (7545, 3.1, 5.9),
}
RATED_310_W = 12.8


@dataclass(frozen=True)
class NpuConfig:
    chip: str
    cann: str = "7.0.0"
    driver: str = "23.0.rc3"
    memory_mb: int = 11577
    idle_w: float = 4.0
    load_w: float = 7.6
    load_file: str = "/tmp/mindedge-npu-load"

    @property
    def soc_version(self) -> str:
        return f"Ascend{self.chip}"

    @property
    def realtime_power(self) -> bool:
        """Whether npu-smi measures power (310B: ``NPU Real-time Power(W)``) or only rates it (310)."""
        return self.chip != "310"

    def power_w(self) -> float:
        if not self.realtime_power:
            return RATED_310_W
        return self.load_w if loaded(self) else self.idle_w


def for_chip(chip: str, **changes: object) -> NpuConfig:
    if chip not in CHIPS:
        raise ValueError(f"unknown emulated NPU {chip!r}: use one of {', '.join(CHIPS)}")
    memory, idle, load = CHIPS[chip]
    return NpuConfig(chip=chip, memory_mb=memory, idle_w=idle, load_w=load, **changes)  # type: ignore[arg-type]


def save(cfg: NpuConfig, path: Path) -> None:
    path.write_text(json.dumps(asdict(cfg), indent=1) + "\n")


def load() -> NpuConfig:
    """The board's NPU, from ``$MINDEDGE_NPU`` (the stand-ins' wrappers set it)."""
    path = os.environ.get("MINDEDGE_NPU")
    if not path:
        raise SystemExit("emulated Ascend tool: MINDEDGE_NPU is not set (run it through its wrapper)")
    return NpuConfig(**json.loads(Path(path).read_text()))


def loaded(cfg: NpuConfig) -> bool:
    """Whether a live process holds the load file."""
    try:
        pid = int(Path(cfg.load_file).read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


@contextlib.contextmanager
def busy(cfg: NpuConfig) -> Iterator[None]:
    """Hold the load file while the block runs (inference on the 'NPU')."""
    f = Path(cfg.load_file)
    f.write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if f.read_text().split()[:1] == [str(os.getpid())]:
                f.unlink()
