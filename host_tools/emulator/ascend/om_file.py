"""The emulated ``.om``: what the ATC stand-in writes and the ais_bench/msame stand-ins load.

A real ``.om`` starts with ATC's ModelFileHeader, whose magic is 0x444F4D49 (``IMOD`` on disk); the rest is
the compiled graph for one soc. Here the magic is followed by ``MARK``, a JSON header (soc, input, AIPP,
precision, the tool versions) and the ONNX itself, so an emulated file is told apart from a real one at once.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.errors import ModelError

MAGIC = b"IMOD"
MARK = b"MINDEDGE-EMULATED-OM\x00"


@dataclass(frozen=True)
class EmulatedOm:
    meta: dict[str, Any]  # soc_version, input {name, shape, dtype, layout}, aipp, precision_mode, cann, ...
    onnx: bytes


def write(path: Path, meta: dict[str, Any], onnx: bytes) -> None:
    head = json.dumps({**meta, "emulated": True}, sort_keys=True).encode()
    path.write_bytes(MAGIC + MARK + struct.pack("<I", len(head)) + head + onnx)


def is_emulated(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC) + len(MARK)) == MAGIC + MARK


def read(path: Path) -> EmulatedOm:
    """The emulated ``.om`` at ``path``; ModelError for a real ``.om`` (no NPU here) or any other file."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ModelError(f"{path} is not an .om file (no IMOD magic)")
    if not data.startswith(MAGIC + MARK):
        raise ModelError(f"{path} is a real .om: it needs an Ascend NPU, and this board is emulated")
    start = len(MAGIC) + len(MARK)
    (size,) = struct.unpack_from("<I", data, start)
    try:
        meta = json.loads(data[start + 4:start + 4 + size])
    except ValueError as e:
        raise ModelError(f"{path}: corrupt emulated .om header ({e})") from None
    onnx = data[start + 4 + size:]
    if not onnx:
        raise ModelError(f"{path}: the emulated .om holds no model (truncated?)")
    return EmulatedOm(meta, onnx)
