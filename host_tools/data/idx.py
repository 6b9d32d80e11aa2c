"""Pure readers and writers for the MNIST idx format (``*-idx3-ubyte[.gz]``, ``*-idx1-ubyte[.gz]``).

An idx file is a 4-byte magic (two zero bytes, a dtype code, the number of dimensions), one big-endian
uint32 per dimension, then the data. Only unsigned bytes (code 0x08) are used by MNIST.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from host_tools.errors import DataError

UBYTE = 0x08
IMAGES_NDIM = 3
LABELS_NDIM = 1


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise DataError(f"{path}: file not found") from e
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from e
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(
                f"{path}: corrupt or truncated gzip ({e})", hint="delete it and fetch the dataset again"
            ) from e
    return raw


def parse_idx(data: bytes, name: str = "<idx>", ndim: int | None = None) -> np.ndarray:
    """Decode idx ``data`` into a uint8 array; ``ndim`` checks the number of dimensions."""
    hint = "delete it and fetch the dataset again"
    if len(data) < 4:
        raise DataError(f"{name}: too short for an idx header ({len(data)} bytes)", hint=hint)
    zero, code, dims = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise DataError(f"{name}: bad idx magic 0x{data[:4].hex()} (not an idx file)", hint=hint)
    if code != UBYTE:
        raise DataError(f"{name}: idx dtype code 0x{code:02x} is not unsigned byte (0x08)", hint=hint)
    if ndim is not None and dims != ndim:
        raise DataError(f"{name}: expected {ndim} dimension(s), header says {dims}", hint=hint)
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{name}: truncated header ({len(data)} of {header} bytes)", hint=hint)
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    got = len(data) - header
    if got < expected:
        raise DataError(
            f"{name}: truncated: shape {list(shape)} needs {expected} data bytes, file has {got}", hint=hint
        )
    if got > expected:
        raise DataError(
            f"{name}: {got - expected} trailing bytes after shape {list(shape)} data", hint=hint
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_images(path: Path) -> np.ndarray:
    """Images as uint8 ``[N, rows, cols]``."""
    return parse_idx(_open_bytes(path), str(path), ndim=IMAGES_NDIM)


def read_labels(path: Path) -> np.ndarray:
    """Labels as uint8 ``[N]``."""
    return parse_idx(_open_bytes(path), str(path), ndim=LABELS_NDIM)


def encode_idx(array: np.ndarray) -> bytes:
    """The idx bytes of a uint8 array."""
    if array.dtype != np.uint8:
        raise ValueError(f"idx encoding supports uint8 only, got {array.dtype}")
    header = struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` (gzip-compressed when the name ends in ``.gz``); not atomic."""
    data = encode_idx(array)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)
