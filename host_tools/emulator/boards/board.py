"""``EmulatedBoard``: a private OpenSSH server whose sessions see a board's file system.

sshd (Debian's ``openssh-server``) runs as the calling user, started through the emulated phone's launcher
(``emulator/launcher.py``): a user + mount (+ UTS) namespace whose root is the host's file system read-only
with the board's folders and files bound over it (``layout.py``), then a second user namespace where the
caller is the board user (uid 1000), so sshd runs unprivileged and logs in only that user, key-only, on
127.0.0.1. For a board whose CPU is not the host's (``arch="aarch64"``), a private binfmt_misc instance
(Linux 6.7+; or the host's own qemu-aarch64 rule) runs aarch64 programs through ``qemu-aarch64-static``,
with ``QEMU_LD_PREFIX`` pointing at Debian's aarch64 C library, and ``uname -m`` says aarch64.

Faults: ``disconnect()`` kills every sshd of the board (the listener and each session: the network is gone
mid-run), ``restart()`` brings it back on the same port with the same host key; ``quota_mb`` puts the user's
home on a tmpfs of that size (its contents last as long as the board runs); ``disconnect_after`` seconds
calls ``disconnect()`` by itself. ``npu="310B1"`` (or ``310``, ``310B4``) installs the emulated CANN
(``emulator/ascend``: ATC, ais_bench, msame, npu-smi stand-ins; ``npu_tools`` leaves some out) in the user's
home and ``/usr/local/sbin``, and makes the host's Python and mindedge visible where the board's own /tmp or
/home would hide them (the stand-ins run on them). ``processes()`` lists what runs on the board (its mount
namespace). sshd gets SIGTERM when the thread that started it ends (start boards from a thread that lives as
long as they do), so a killed test run or CLI leaves no board listening.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from host_tools import qemu
from host_tools.emulator.ascend.npu import NpuConfig, for_chip
from host_tools.emulator.boards.layout import BOARD_PATH, BOARD_UID, TOOLS_DIR, BoardLayout, check_user
from host_tools.emulator.device import host_cpu_model
from host_tools.emulator.sandbox import KEEP_WRITABLE, LAUNCHER, SCRATCH
from host_tools.errors import ConfigError, DeviceError, ToolMissing
from host_tools.qemu import host_arch
from host_tools.targets.adb_private import free_port, wait_until

ARCHES = ("x86_64", "aarch64")
AARCH64_RULE = (r":mindedge-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"
                r":\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:{qemu}:F")
HOST_AARCH64_RULE = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
APT_HINT = "run `apt-get install {pkgs}` (scripts/system-deps.sh does it as root)"


def npu_config(chip: str) -> NpuConfig:
    try:
        return for_chip(chip)
    except ValueError as e:
        raise ConfigError(str(e), hint="--npu 310B1 (Orange Pi AIpro 20T), 310B4 (Atlas 200I DK A2) or 310 "
                          "(Atlas 200 DK)") from None


def find_sshd() -> str:
    found = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)
    if found is None:
        raise ToolMissing("no sshd (OpenSSH server) for the emulated board",
                          hint=APT_HINT.format(pkgs="openssh-server"))
    return found


def qemu_setup(arch: str) -> tuple[list[str], dict[str, str]]:
    """binfmt rules to register privately and sshd environment for a board of ``arch``."""
    if arch == host_arch():
        return [], {}
    if arch != "aarch64" or host_arch() != "x86_64":
        raise ConfigError(f"the emulated board runs {', '.join(ARCHES)} on an x86_64 host, not {arch} on "
                          f"{host_arch()}", hint="use --arch x86_64 or --arch aarch64")
    emulator, _flag, root = qemu.run_prefix(arch)  # qemu-aarch64-static and the aarch64 C library, or ToolMissing
    env = {"QEMU_LD_PREFIX": root}
    with contextlib.suppress(OSError):
        if HOST_AARCH64_RULE.read_text().startswith("enabled"):
            return [], env  # the host's own qemu-aarch64 rule applies inside the namespace too
    return [AARCH64_RULE.format(qemu=emulator)], env


class EmulatedBoard:
    """One emulated board on 127.0.0.1:``port`` (0: a free one) whose files live under ``root``."""

    def __init__(self, root: Path, *, user: str = "HwHiAiUser", port: int = 0, arch: str | None = None,
                 authorized_keys: list[str] | None = None, tools: Path | None = None, quota_mb: float | None = None,
                 hostname: str = "mindedge-board", disconnect_after: float | None = None, npu: str | None = None,
                 npu_tools: tuple[str, ...] | None = None) -> None:
        self.layout = BoardLayout(Path(root).resolve(), check_user(user))
        self.user = user
        self.port = port
        self.arch = arch or host_arch()
        if self.arch not in ARCHES:
            raise ConfigError(f"unknown board architecture '{self.arch}'", hint=f"use one of {', '.join(ARCHES)}")
        self.authorized = list(authorized_keys or [])
        self.tools = Path(tools).resolve() if tools is not None else None
        if self.tools is not None and not self.tools.is_dir():
            raise ConfigError(f"--tools {tools} is not a folder", hint="pass a folder of executables (npu-smi, ...)")
        self.quota_bytes = int(quota_mb * 1_000_000) if quota_mb is not None else None
        self.hostname = hostname
        self.disconnect_after = disconnect_after
        self.npu = npu_config(npu) if npu is not None else None
        self.npu_tools = tuple(npu_tools) if npu_tools is not None else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.namespace: str | None = None
        self._timer: threading.Timer | None = None

    @property
    def emulation(self) -> str:
        how = "under qemu-user" if self.arch != host_arch() else "natively"
        return f"mindedge emulated board: {self.arch} programs run {how} on the host CPU ({host_cpu_model()})"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmulatedBoard:
        """Write the board's files, start sshd and wait until it listens."""
        rules, env = qemu_setup(self.arch)
        sshd = find_sshd()
        self._ensure_host_key()
        auto = self.port == 0
        for _attempt in range(5 if auto else 1):
            port = free_port() if auto else self.port
            if self._start_sshd(sshd, port, rules, env):
                self.port = port
                break
        else:
            raise DeviceError(f"the emulated board's sshd did not start: {self._last_log_line()}",
                              hint=f"see {self.layout.log}" + ("; choose another --port" if not auto else ""))
        if self.npu is not None:
            from host_tools.emulator.ascend.install import TOOLS, write_toolkit

            write_toolkit(self.host_path(self.layout.board_home), self.layout.board_home, self.arch, self.npu,
                          self.layout.root / "sbin", self.npu_tools or TOOLS)
        if self.disconnect_after is not None:
            self._timer = threading.Timer(self.disconnect_after, self.disconnect)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _ensure_host_key(self) -> None:
        key = self.layout.host_key
        if key.is_file() and key.with_suffix(".pub").is_file():
            return
        key.parent.mkdir(parents=True, exist_ok=True)
        key.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{self.hostname} (mindedge emulated)",
                        "-f", str(key)], check=True, capture_output=True, stdin=subprocess.DEVNULL)

    def _start_sshd(self, sshd: str, port: int, rules: list[str], env: dict[str, str]) -> bool:
        path = BOARD_PATH if self.tools is not None else BOARD_PATH.removeprefix(TOOLS_DIR + ":")
        self.layout.write(port, self.arch, host_arch(), self.emulation, {"PATH": path, "LANG": "C.UTF-8", **env},
                          self.hostname, self.authorized)
        spec = {"argv": [sshd, "-D", "-e", "-f", "/etc/ssh/sshd_config"], "cwd": "/", "newroot": str(self._rootfs()),
                "uid": 0, "gid": 0, "inner": {"uid": BOARD_UID, "gid": BOARD_UID}, "hostname": self.hostname,
                "binds": self._binds(), "keep": list(KEEP_WRITABLE), "scratch": list(SCRATCH), "binfmt": rules,
                "tmpfs": [{"dst": self.layout.board_home, "size": self.quota_bytes}] if self.quota_bytes else [],
                "die_with_parent": os.getpid()}
        with open(self.layout.log, "ab") as log:
            start = log.tell()
            self.proc = subprocess.Popen([sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
                                         start_new_session=True)
        proc = self.proc
        ready = f"Server listening on 127.0.0.1 port {port}."
        wait_until(lambda: proc.poll() is not None or ready in self._log_since(start), 30, "the board's sshd")
        if proc.poll() is not None:
            return False
        self.namespace = os.readlink(f"/proc/{proc.pid}/ns/mnt")
        return True

    def _rootfs(self) -> Path:
        d = self.layout.root / ".rootfs"  # mount point of the namespace's new / (empty on the host)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def _binds(self) -> list[dict[str, object]]:
        lay = self.layout
        binds: list[dict[str, object]] = [
            {"src": str(lay.home), "dst": "/home", "ro": False},
            {"src": str(lay.root / "tmp"), "dst": "/tmp", "ro": False},
            {"src": str(lay.ssh_dir), "dst": "/etc/ssh", "ro": True},
            *({"src": str(lay.etc / n), "dst": f"/etc/{n}", "ro": True, "optional": n == "hostname"}
              for n in ("passwd", "group", "shadow", "hostname", "os-release")),
        ]
        if self.tools is not None:
            binds.append({"src": str(self.tools), "dst": TOOLS_DIR, "ro": True})
        if self.npu is not None:
            (lay.root / "sbin").mkdir(exist_ok=True)
            binds.append({"src": str(lay.root / "sbin"), "dst": "/usr/local/sbin", "ro": True, "optional": True})
            binds += self._host_python_binds()
        if self.arch != host_arch():
            binds.append({"src": str(lay.uname), "dst": "/usr/bin/uname", "ro": True})
            if not os.path.islink("/bin"):
                binds.append({"src": str(lay.uname), "dst": "/bin/uname", "ro": True, "optional": True})
        return binds

    def _host_python_binds(self) -> list[dict[str, object]]:
        """The host's Python, venv and mindedge at their own paths when they live under /tmp or /home (which
        the board's own folders replace): the Ascend stand-ins run on them."""
        import host_tools

        binds: list[dict[str, object]] = []
        wanted = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                  Path(host_tools.__file__).resolve().parents[1]}
        for path in sorted(wanted):
            for top, mirror in (("/tmp", self.layout.root / "tmp"), ("/home", self.layout.home)):
                if path.is_relative_to(top) and path != Path(top):
                    (mirror / path.relative_to(top)).mkdir(parents=True, exist_ok=True)
                    binds.append({"src": str(path), "dst": str(path), "ro": True})
        return binds

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.layout.log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _last_log_line(self) -> str:
        lines = [ln for ln in self._log_since(0).splitlines() if ln.strip()]
        return lines[-1] if lines else "no output"

    def processes(self) -> dict[int, str]:
        """pid -> name of every process running on the board (its mount namespace), sshd included."""
        found: dict[int, str] = {}
        if self.namespace is None:
            return found
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/ns/mnt") == self.namespace:
                    found[int(entry.name)] = Path(f"/proc/{entry.name}/comm").read_text().strip()
        return found

    def running(self, name: str) -> bool:
        return name in self.processes().values()

    def host_path(self, board_path: str) -> Path:
        """Where the host reads a path of the running board (its tmpfs home too)."""
        if self.proc is None or self.proc.poll() is not None:
            raise DeviceError("the emulated board is not running")
        return Path(f"/proc/{self.proc.pid}/root") / board_path.lstrip("/")

    def disconnect(self) -> None:
        """The board drops off the network: every sshd of it is killed at once (sessions included)."""
        self._kill(lambda name: name == "sshd", signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def restart(self) -> None:
        """After ``disconnect()``: sshd again on the same port, with the same host key."""
        self.stop()
        self.disconnect_after = None
        self.start()

    def stop(self) -> None:
        """Stop sshd and everything still running on the board."""
        if self._timer is not None:
            self._timer.cancel()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        self._kill(lambda _name: True, signal.SIGKILL)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        wait_until(lambda: not self.processes(), 10, "the board's processes to end")

    def _kill(self, which: Callable[[str], bool], signum: int) -> None:
        for pid, name in self.processes().items():
            if which(name):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signum)

    def __enter__(self) -> EmulatedBoard:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
