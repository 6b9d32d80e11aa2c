"""Running another CPU's Linux programs on this host with qemu-user (Debian ``qemu-user-static``).

For the aarch64 Lite runtime's own numbers on an x86-64 host: device_bench's aarch64 build runs under
``qemu-aarch64-static -L <sysroot>``, the sysroot being the cross toolchain's aarch64 C library (Debian
``libc6-arm64-cross``, which ``g++-aarch64-linux-gnu`` installs). Programs run about 20-60x slower: their
outputs are real ARM-kernel results, their timings mean nothing.
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from host_tools.errors import ToolMissing

QEMU = {"aarch64": ("qemu-aarch64-static", "qemu-aarch64")}
SYSROOT = {"aarch64": Path("/usr/aarch64-linux-gnu")}
SYSROOT_ENV = "MINDEDGE_AARCH64_SYSROOT"


def host_arch() -> str:
    return platform.machine()


def sysroot(arch: str) -> Path:
    """The ``arch`` C library's root (``$MINDEDGE_AARCH64_SYSROOT`` or Debian's cross sysroot)."""
    root = Path(os.environ.get(SYSROOT_ENV) or SYSROOT[arch])
    if not (root / "lib").is_dir():
        raise ToolMissing(f"no {arch} C library for qemu-user in {root}",
                          hint="apt-get install g++-aarch64-linux-gnu (it brings libc6-arm64-cross), or set "
                               f"{SYSROOT_ENV} to an aarch64 root file system")
    return root


def run_prefix(arch: str) -> list[str]:
    """The argv prefix that runs an ``arch`` Linux program here: nothing natively, else qemu-user."""
    if arch == host_arch():
        return []
    if arch not in QEMU:
        raise ToolMissing(f"cannot run {arch} programs on this {host_arch()} host", hint="run them on the device")
    exe = next((found for name in QEMU[arch] if (found := shutil.which(name))), None)
    if exe is None:
        raise ToolMissing(f"qemu-user for {arch} is not installed (looked for {', '.join(QEMU[arch])})",
                          hint="apt-get install qemu-user-static (scripts/system-deps.sh installs it)")
    return [exe, "-L", str(sysroot(arch))]
