"""``serve()``: run one emulated board in the foreground until Ctrl-C (``mindedge boards emulate``).

Who may log in: the holders of the given public keys (default: the user's own ``~/.ssh/id_*.pub``). The board's
host key goes to ``ROOT/known_hosts`` and a ``[boards.NAME]`` entry to ``ROOT/targets.toml``; the user's
~/.ssh is never changed.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from host_tools import paths
from host_tools.emulator.boards.board import EmulatedBoard
from host_tools.errors import ConfigError
from host_tools.targets.ssh_errors import DEFAULT_KEYS


def default_root() -> Path:
    return paths.home() / "emulator" / "board"


def user_public_keys(home: Path | None = None) -> list[Path]:
    """The user's default ssh public keys that exist (id_ed25519.pub, id_ecdsa.pub, id_rsa.pub)."""
    ssh_dir = (home or Path.home()) / ".ssh"
    return [ssh_dir / f"{n}.pub" for n in DEFAULT_KEYS if (ssh_dir / f"{n}.pub").is_file()]


def read_public_keys(files: Sequence[Path]) -> list[str]:
    keys = []
    for path in files:
        try:
            line = path.read_text().strip()
        except OSError as e:
            raise ConfigError(f"cannot read the public key {path}: {e.strerror}",
                              hint="pass an existing .pub file with --key") from e
        if not line.startswith(("ssh-", "ecdsa-", "sk-")) or "PRIVATE KEY" in line:
            raise ConfigError(f"{path} is not an OpenSSH public key", hint="pass the .pub file, not the private key")
        keys.append(line)
    return keys


def fingerprint(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=False).stdout
    return out.split()[1] if len(out.split()) > 1 else "?"


def serve(port: int = 0, root: Path | None = None, *, user: str = "HwHiAiUser", arch: str | None = None,
          key_files: Sequence[Path] | None = None, tools: Path | None = None, quota_mb: float | None = None,
          disconnect_after: float | None = None, name: str = "emulated", npu: str | None = None,
          echo: Callable[[str], None] = print) -> None:
    """Run an emulated board on 127.0.0.1:``port`` until interrupted (or until ``disconnect_after`` seconds
    have passed: the board then drops off the network and this returns)."""
    root = Path(root) if root is not None else default_root()
    files = list(key_files) if key_files else user_public_keys()
    if not files:
        raise ConfigError("no ssh public key to trust (none of ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_rsa.pub)",
                          hint="create one with `ssh-keygen -t ed25519`, or pass --key FILE.pub")
    board = EmulatedBoard(root, user=user, port=port, arch=arch, authorized_keys=read_public_keys(files),
                          tools=tools, quota_mb=quota_mb, disconnect_after=disconnect_after, npu=npu)
    board.start()
    try:
        private = files[0].with_suffix("")
        board.layout.write_client_files(board.port, name, private if private.is_file() else None)
        lay = board.layout
        echo(f"emulated board ({board.arch}, {'qemu-user' if 'qemu' in board.emulation else 'host CPU'}, "
             f"Ubuntu 22.04-like) serving {lay.root}")
        echo(f"user {user}; trusted keys: {', '.join(map(str, files))}; host key "
             f"{fingerprint(lay.host_key.with_suffix('.pub'))} (in {lay.known_hosts})")
        if board.npu is not None:
            echo(f"emulated NPU {board.npu.soc_version}: CANN {board.npu.cann} stand-ins (ATC, ais_bench, msame, "
                 "npu-smi) in ~/Ascend and /usr/local/sbin; models run with ONNX Runtime on the host CPU")
        if quota_mb is not None:
            echo(f"quota: {quota_mb:g} MB for /home/{user} (a tmpfs: emptied when the board stops)")
        if disconnect_after is not None:
            echo(f"fault: the board drops off the network after {disconnect_after:g} s")
        echo(f"board '{name}' in {lay.targets_toml}: export MINDEDGE_TARGETS={lay.targets_toml}")
        echo(f"ssh:{user}@127.0.0.1:{board.port}")
        with contextlib.suppress(KeyboardInterrupt):
            if board.proc is not None:
                board.proc.wait()
                echo("the board's sshd ended" + (" (--disconnect-after)" if disconnect_after is not None else ""))
    finally:
        board.stop()
