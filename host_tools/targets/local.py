"""The local host as a target: files stay where they are, commands run as subprocesses."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from host_tools.errors import DeviceError
from host_tools.targets.base import RunResult


class LocalTarget:
    name = "local"
    emulated = False

    def push(self, local: Path, remote: str) -> str:
        """Local files need no copy unless a different path is asked for."""
        if Path(remote).resolve() != Path(local).resolve():
            Path(remote).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, remote)
        return remote

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> RunResult:
        full_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout)
        except FileNotFoundError as e:
            raise DeviceError(f"cannot run {argv[0]}: not found") from e
        except subprocess.TimeoutExpired as e:
            raise DeviceError(f"{Path(argv[0]).name} did not finish within {timeout:.0f} s") from e
        return RunResult(proc.returncode, proc.stdout, proc.stderr)

    def pull(self, remote: str, local: Path) -> Path:
        if Path(remote).resolve() != Path(local).resolve():
            shutil.copy2(remote, local)
        return local

    def properties(self) -> dict[str, str]:
        return {
            "kind": "local",
            "arch": platform.machine(),
            "os": platform.system(),
            "hostname": platform.node(),
            "python": platform.python_version(),
        }
