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
    # MindSpore reads GLOG_v when it loads: quiet it (errors only) without leaving the setting in os.environ,
    # where device_bench and other children would inherit it (MindSpore Lite then hides the warnings
    # device_bench reads to record what really ran)
    mine = "GLOG_v" not in os.environ
    if mine:
        os.environ["GLOG_v"] = "3"  # noqa: SIM112 (its real name)
    try:
        import mindspore
    finally:
        if mine:
            os.environ.pop("GLOG_v", None)
    return mindspore


def graph_mode_cpu(seed: int = 0) -> Any:
    """MindSpore in GRAPH mode on CPU, seeded (training and compression share this)."""
    ms = import_mindspore()
    ms.set_context(mode=ms.GRAPH_MODE)
    if ms.get_context("device_target") != "CPU":
        ms.set_device("CPU")  # allowed once, before the first kernel runs
    ms.set_seed(seed)
    return ms


def save_checkpoint(net: Any, path: Path) -> Path:
    """``mindspore.save_checkpoint`` via a temp file, mode 0644 (MindSpore writes 0400; keep it replaceable)."""
    ms = import_mindspore()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial.ckpt")
    ms.save_checkpoint(net, str(tmp))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def release_grad_functions() -> None:
    """Drop the gradient closures MindSpore 2.10 keeps in ``graph.api._get_func_args_info_cached`` (an
    ``lru_cache`` keyed by ``ms.grad``'s ``after_grad`` closures, which hold the differentiated cell): without
    this every cell of a differentiated MobileNetV2 lives until exit, and its ``Cell.__del__`` then prints
    "Exception ignored ... total_instance_count" once per cell while the interpreter shuts down."""
    try:
        from mindspore.graph import api
    except ImportError:  # another MindSpore layout: nothing to release
        return
    cached = getattr(api, "_get_func_args_info_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
