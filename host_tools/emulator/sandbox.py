"""How the emulated phone runs a command so that device paths work, and what it may write.

``namespace`` mode (preferred): every command starts in its own user + mount namespace whose root is the
host's file system mounted READ-ONLY (submounts too; /proc as it is, device nodes such as /dev/null still
writable, a private empty /dev/shm) with the sandbox folders mounted on their device paths: ``/data`` and
``/sdcard`` read-write, ``/data/misc`` (the trusted keys), ``/system`` and ``/sys/class/power_supply``
read-only. It runs as uid 2000 (``shell``) with no capabilities, so a command can change the phone's own
folders and nothing of the host's (see ``launcher.py``). It is not a jail for hostile code: commands run as
the host user on the host's network and can reach its local sockets; who may run commands at all is decided
by the key check (``auth.py``).

``rewrite`` mode (fallback when unprivileged user namespaces are disabled): commands run directly on the
host and every device path prefix in the command line is rewritten to its sandbox folder. Paths that a
program computes itself are not rewritten, and nothing keeps a command from writing the host user's files.
``probe()`` tries namespace mode once and falls back, keeping the reason in ``probe_error``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from host_tools.emulator.device import DeviceRoot

LAUNCHER = Path(__file__).with_name("launcher.py")
SHELL_UID = 2000
DEVICE_PATH = "/system/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MODES = ("auto", "namespace", "rewrite")
KEEP_WRITABLE = ("proc",)  # host top-level folders not made read-only (per-process files; /proc/sys needs root)
SCRATCH = ("/dev/shm",)  # a private empty tmpfs in each command instead of the host's
SAFE_PATH = re.compile(r"[\w./+-]+")


def rewrite_paths(command: str, mapping: list[tuple[str, str]]) -> str:
    """Replace device path prefixes that start a path (not ``/usr/data``, not ``/database``)."""
    for dev, host in sorted(mapping, key=lambda m: len(m[0]), reverse=True):
        pattern = rf"(?<![\w.\-/]){re.escape(dev)}(?=/|$|[^\w.\-])"
        command = re.sub(pattern, lambda _m, h=host: h, command)
    return command


class Sandbox:
    def __init__(self, device: DeviceRoot, mode: str = "auto") -> None:
        if mode not in MODES:
            raise ValueError(f"sandbox mode must be one of {MODES}")
        self.device = device
        self.mode = mode
        self.probe_error = ""
        self.readonly_method = "auto"  # "remount": the per-mount fallback for kernels before 5.12 (tests)

    def _binds(self) -> list[dict[str, object]]:
        d = self.device
        return [
            {"src": str(d.data), "dst": "/data", "ro": False},
            {"src": str(d.data / "misc"), "dst": "/data/misc", "ro": True},
            {"src": str(d.sdcard), "dst": "/sdcard", "ro": False},
            {"src": str(d.system), "dst": "/system", "ro": True},
            {"src": str(d.power_supply), "dst": "/sys/class/power_supply", "ro": True, "optional": True},
        ]

    def _mapping(self) -> list[tuple[str, str]]:
        """Device prefix -> host folder, through a shell-safe alias of the root (rewritten paths land
        inside quoted and unquoted words alike, so they must not contain spaces or quotes)."""
        root = str(self.device.root)
        safe = root if SAFE_PATH.fullmatch(root) else self._alias()
        return [(str(b["dst"]), safe + str(b["src"])[len(root):]) for b in self._binds()]

    def _alias(self) -> str:
        root = str(self.device.root)
        link = Path(tempfile.gettempdir()) / f"mindedge-phone-{hashlib.sha256(root.encode()).hexdigest()[:12]}"
        if not (link.is_symlink() and os.readlink(link) == root):
            link.unlink(missing_ok=True)
            link.symlink_to(root)
        return str(link)

    def view(self, device_path: str) -> str:
        """The path a command uses to reach ``device_path``."""
        return device_path if self.mode == "namespace" else rewrite_paths(device_path, self._mapping())

    def probe(self) -> str:
        """Settle ``auto`` to the best mode that works here; returns it."""
        if self.mode != "auto":
            return self.mode
        self.mode = "namespace"
        argv, env = self.command("test -d /data/local/tmp && test -d /system/bin", term=None, pty=False)
        try:
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=20)
            ok = proc.returncode == 0
            self.probe_error = "" if ok else (proc.stderr.strip() or f"exit code {proc.returncode}")
        except (OSError, subprocess.TimeoutExpired) as e:
            ok, self.probe_error = False, str(e)
        self.mode = "namespace" if ok else "rewrite"
        return self.mode

    def env(self, term: str | None, hostname: str) -> dict[str, str]:
        env = {
            "PATH": self.view("/system/bin") + DEVICE_PATH[len("/system/bin"):],
            "HOME": "/",
            "USER": "shell",
            "LOGNAME": "shell",
            "SHELL": "/bin/sh",
            "HOSTNAME": hostname,
            "TMPDIR": self.view("/data/local/tmp"),
            "ANDROID_DATA": self.view("/data"),
            "ANDROID_ROOT": self.view("/system"),
            "EXTERNAL_STORAGE": self.view("/sdcard"),
        }
        if term:
            env["TERM"] = term
        return env

    def command(self, command: str, term: str | None, pty: bool, hostname: str = "localhost",
                ) -> tuple[list[str], dict[str, str]]:
        """(argv, env) that run ``sh -c command`` (or a login shell when empty) the device's way."""
        if self.mode == "rewrite":
            command = rewrite_paths(command, self._mapping())
        argv = ["/bin/sh", "-c", command] if command else ["/bin/sh", "-l"]
        spec: dict[str, object] = {"argv": argv, "cwd": "/", "ctty": pty}
        if self.mode == "namespace":
            spec.update(newroot=str(self.device.rootfs), uid=SHELL_UID, gid=SHELL_UID, binds=self._binds(),
                        keep=list(KEEP_WRITABLE), scratch=list(SCRATCH), readonly_method=self.readonly_method)
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec)]
        return launcher, self.env(term, hostname)
