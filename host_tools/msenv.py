"""Process-level set-up that must happen before MindSpore runs its first op."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_announced = False


def cpu_has_avx512(cpuinfo: str | None = None) -> bool:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    return any(line.startswith("flags") and "avx512f" in line.split() for line in cpuinfo.splitlines())


def configure_onednn(cpuinfo: str | None = None, announce: bool = True) -> bool:
    """Avoid oneDNN's slow reference convolution on AVX-512 CPUs (10-30x slower training).

    Sets ``ONEDNN_MAX_CPU_ISA=AVX2`` when the CPU has AVX-512 and the user did not choose a value.
    Returns True when it set the variable. Must run before MindSpore executes an op.
    """
    global _announced
    if "ONEDNN_MAX_CPU_ISA" in os.environ or not cpu_has_avx512(cpuinfo):
        return False
    os.environ["ONEDNN_MAX_CPU_ISA"] = "AVX2"
    if announce and not _announced:
        print(
            "mindedge: AVX-512 CPU detected; set ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN's AVX-512 convolution path "
            "is 10-30x slower in MindSpore 2.10; set ONEDNN_MAX_CPU_ISA yourself to override)",
            file=sys.stderr,
        )
        _announced = True
    return True


def import_mindspore() -> Any:
    """Import MindSpore after configuring the process for it."""
    configure_onednn()
    os.environ.setdefault("GLOG_v", "3")
    import mindspore

    return mindspore
