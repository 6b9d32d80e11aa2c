"""The emulated board: a private OpenSSH server (run as you, key-only, 127.0.0.1) whose sessions see an
Ubuntu-like ARM board's file system, aarch64 programs running through qemu-user (see ``board.py``).

``EmulatedBoard`` runs one; ``connected_board()`` adds a client key and host key for the tests and the demo;
``serve()`` runs one in the foreground (``mindedge boards emulate``).
"""

from __future__ import annotations

from host_tools.emulator.boards.board import ARCHES, EmulatedBoard
from host_tools.emulator.boards.connected import ConnectedBoard, connected_board

__all__ = ["ARCHES", "ConnectedBoard", "EmulatedBoard", "connected_board"]
