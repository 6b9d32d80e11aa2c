"""``mindedge doctor``: one line per component saying found/missing and how to fix it."""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from host_tools import paths, sdk
from host_tools.errors import MindedgeError
from host_tools.version import tool_version


@dataclass(frozen=True)
class Check:
    component: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _pkg_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_mindspore() -> Check:
    version = _pkg_version("mindspore")
    if version is None:
        return Check("MindSpore", False, "not installed", "pip install -e . (or `make demo`)")
    return Check("MindSpore", True, version)


def check_mindedge() -> Check:
    where = paths.checkout_root() or paths.PACKAGE_ROOT
    return Check("mindedge", True, f"{tool_version()} ({where}; native builds in {paths.build_dir()})")


def check_onnxruntime() -> Check:
    """Required: accuracy references and conversion checks run the parent ONNX with ONNX Runtime."""
    try:
        ort = importlib.import_module("onnxruntime")
    except ImportError as e:
        return Check("ONNX Runtime", False, f"not importable ({e})", "pip install onnxruntime")
    return Check("ONNX Runtime", True, str(getattr(ort, "__version__", "unknown version")))


def check_sdk() -> Check:
    lite = sdk.find_sdk()
    if lite is None:
        return Check("MindSpore Lite SDK", False, "not installed", sdk.FIX_INSTALL)
    return Check("MindSpore Lite SDK", True, f"{lite.version} ({lite.layout}) in {lite.root}")


def check_native(name: str) -> Check:
    try:
        path = sdk.native_binary(name)
    except MindedgeError as e:
        return Check(name, False, e.message, sdk.FIX_BUILD)
    return Check(name, True, str(path))


def check_aarch64() -> Check:
    """Optional: the aarch64 SDK and device_bench build for Linux boards (their runtime check runs under qemu)."""
    name = "device_bench aarch64 (boards)"
    lite = sdk.find_sdk(arch="aarch64")
    if lite is None:
        return Check(name, False, "aarch64 SDK not installed", "mindedge sdk install --arch aarch64", required=False)
    try:
        path = sdk.native_binary("device_bench", arch="aarch64")
    except MindedgeError:
        return Check(name, False, f"not built (SDK in {lite.root})", "mindedge sdk build --arch aarch64",
                     required=False)  # fmt: skip
    return Check(name, True, f"{path} (SDK {lite.version} in {lite.root})", required=False)


def check_converter_lite() -> Check:
    lite = sdk.find_sdk()
    exe = shutil.which("converter_lite") or (lite.converter_exe if lite else None)
    if exe:
        return Check("converter_lite (vendor)", True, str(exe), required=False)
    return Check("converter_lite (vendor)", False, "not found; the native driver mslite_convert is used instead",
                 "optional: set MSLITE_ROOT to the vendor's Lite package", required=False)  # fmt: skip


def check_adb() -> Check:
    exe = shutil.which("adb")
    if exe is None:
        try:
            import adbutils  # noqa: F401

            return Check("adb", True, "adbutils' bundled adb (no adb on PATH)", required=False)
        except ImportError:
            return Check("adb", False, "not found", "apt-get install adb", required=False)
    try:
        out = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=10).stdout
        version = out.splitlines()[0] if out else "unknown version"
    except (OSError, subprocess.TimeoutExpired):
        version = "present (version unknown)"
    return Check("adb", True, f"{exe}: {version}", required=False)


def check_openssh() -> Check:
    """Optional: the ssh client for ssh: boards, and sshd for the emulated board (run privately, as you)."""
    ssh = shutil.which("ssh")
    if ssh is None:
        return Check("OpenSSH (boards)", False, "no ssh client", "apt-get install openssh-client", required=False)
    try:
        version = subprocess.run([ssh, "-V"], capture_output=True, text=True, timeout=10).stderr.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "version unknown"
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").is_file() else None)
    if sshd is None:
        return Check("OpenSSH (boards)", False, f"{version.split(',')[0]}; no sshd for the emulated board",
                     "apt-get install openssh-server (`mindedge boards emulate` runs its own, as you)", required=False)
    return Check("OpenSSH (boards)", True, f"{version.split(',')[0]}; sshd {sshd}", required=False)


def check_atc() -> Check:
    exe = shutil.which("atc")
    if exe:
        return Check("ATC (Ascend)", True, exe, required=False)
    return Check("ATC (Ascend)", False, "not found (CANN toolkit not installed)",
                 "install the Ascend CANN toolkit and source its set_env.sh to convert to .om",
                 required=False)  # fmt: skip


def run_checks() -> list[Check]:
    return [
        check_mindedge(),
        check_mindspore(),
        check_onnxruntime(),
        check_sdk(),
        check_native("mslite_convert"),
        check_native("device_bench"),
        check_aarch64(),
        check_converter_lite(),
        check_adb(),
        check_openssh(),
        check_atc(),
    ]


def render(checks: list[Check]) -> str:
    width = max(len(c.component) for c in checks)
    lines = []
    for c in checks:
        status = "found  " if c.ok else ("MISSING" if c.required else "missing")
        line = f"{c.component:<{width}}  {status}  {c.detail}"
        if not c.ok and c.fix:
            line += f"  -> {c.fix}"
        lines.append(line)
    return "\n".join(lines)
