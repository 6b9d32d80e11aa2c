"""Read a PyTorch state dict (``.pth``, torch's legacy serialization) into numpy arrays, without torch.

The legacy format is five things back to back: a pickled magic number, the protocol version, a small
``sys_info`` dict, the pickled object (tensors refer to their storages by persistent id), the pickled list
of storage keys, then each storage in that order as an int64 element count followed by its raw
little-endian bytes. The unpickler is restricted to the few globals a state dict needs; anything else is
refused by name, so a foreign ``.pth`` can never run code. torch's newer zip format is recognised and
refused (neither pinned weights file uses it).
"""

from __future__ import annotations

import pickle
import struct
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from host_tools.errors import ModelError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
HINT = "use the pinned weights (`mindedge weights fetch NAME --force` downloads them again)"


@dataclass(frozen=True)
class _StorageType:
    dtype: Any


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: Any
    offset: int  # in elements, for the old storage views (0 otherwise)


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage: _StorageRef, storage_offset: int, size: tuple, stride: tuple, *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data: _TensorRef, *_: Any) -> _TensorRef:
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: BinaryIO, label: str) -> None:
        super().__init__(f)
        self.label = label
        self.dtypes: dict[str, Any] = {}  # storage key -> element type, as the pickle names them

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ModelError(f"{self.label} refers to the Python global {module}.{name}, which a torch state "
                             "dict never needs: refusing to unpickle it", hint=HINT) from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise ModelError(f"{self.label} has a persistent id {pid!r:.80} that is not a torch storage", hint=HINT)
        _tag, stype, key, _location, _size, *view = pid
        self.dtypes[str(key)] = stype.dtype
        # an old storage view: (view key, element offset, size) into the root storage `key`
        offset = int(view[0][1]) if view and view[0] is not None else 0
        return _StorageRef(str(key), stype.dtype, offset)


def _load(u: pickle.Unpickler, label: str, what: str) -> Any:
    try:
        return u.load()
    except ModelError:
        raise
    except Exception as e:  # EOFError, UnpicklingError, ValueError, ... on a damaged or foreign file
        raise ModelError(f"{label} is not a readable torch .pth file (its {what} does not unpickle: "
                         f"{type(e).__name__}: {e})", hint=HINT) from e


def _read_storages(f: BinaryIO, keys: list[str], dtypes: dict[str, Any], label: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in dtypes:
            raise ModelError(f"{label} lists storage {key}, which no tensor in it uses", hint=HINT)
        head = f.read(8)
        if len(head) < 8:
            raise ModelError(f"{label} is truncated: storage {key} is missing", hint=HINT)
        (count,) = struct.unpack("<q", head)
        dtype = np.dtype(dtypes[key]).newbyteorder("<")
        data = f.read(count * dtype.itemsize)
        if count < 0 or len(data) < count * dtype.itemsize:
            raise ModelError(f"{label} is truncated: storage {key} has {len(data)} of "
                             f"{count * dtype.itemsize} bytes", hint=HINT)
        out[key] = np.frombuffer(data, dtype=dtype)
    return out


def _materialize(t: _TensorRef, storages: dict[str, np.ndarray], name: str, label: str) -> np.ndarray:
    flat = storages.get(t.storage.key)
    if flat is None:
        raise ModelError(f"{label}: tensor {name} uses storage {t.storage.key}, which the file does not hold",
                         hint=HINT)
    if len(t.size) != len(t.stride):
        raise ModelError(f"{label}: tensor {name} has size {list(t.size)} but strides {list(t.stride)}", hint=HINT)
    start = t.storage.offset + t.offset
    extent = 1 + sum((n - 1) * s for n, s in zip(t.size, t.stride, strict=True)) if all(t.size) else 0
    if start < 0 or any(s < 0 for s in t.stride) or start + extent > flat.size:
        raise ModelError(f"{label}: tensor {name} {list(t.size)} reaches past its storage ({flat.size} elements)",
                         hint=HINT)
    base = flat[start:]
    view = np.lib.stride_tricks.as_strided(base, shape=t.size, strides=[s * flat.itemsize for s in t.stride],
                                           writeable=False)
    return np.array(view, dtype=flat.dtype.newbyteorder("="), copy=True)


def read_state_dict(f: BinaryIO, label: str) -> dict[str, np.ndarray]:
    """The state dict in the open legacy-format ``.pth`` ``f`` (named ``label`` in errors): name -> array."""
    if _load(_Unpickler(f, label), label, "magic number") != MAGIC_NUMBER:
        raise ModelError(f"{label} is not a torch .pth file (wrong magic number)", hint=HINT)
    version = _load(_Unpickler(f, label), label, "protocol version")
    if version != PROTOCOL_VERSION:
        raise ModelError(f"{label} uses torch serialization protocol {version}, not {PROTOCOL_VERSION}", hint=HINT)
    sys_info = _load(_Unpickler(f, label), label, "system info")
    if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
        raise ModelError(f"{label} was written on a big-endian machine, which this reader does not handle", hint=HINT)
    u = _Unpickler(f, label)
    obj = _load(u, label, "state dict")
    keys = _load(_Unpickler(f, label), label, "storage key list")
    if not isinstance(obj, dict) or not isinstance(keys, list):
        raise ModelError(f"{label} does not hold a state dict (a mapping of names to tensors)", hint=HINT)
    refs = {k: v for k, v in obj.items() if isinstance(v, _TensorRef)}
    storages = _read_storages(f, [str(k) for k in keys], u.dtypes, label)
    return {str(k): _materialize(t, storages, str(k), label) for k, t in refs.items()}


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of the torch state dict saved at ``path``, in file order; ``ModelError`` naming the file."""
    path = Path(path)
    label = str(path)
    if zipfile.is_zipfile(path):
        raise ModelError(f"{label} is in torch's zip format (torch >= 1.6), which this reader does not read; "
                         "only the legacy format is supported", hint=HINT)
    try:
        with open(path, "rb") as f:
            return read_state_dict(f, label)
    except OSError as e:
        raise ModelError(f"cannot read {label}: {e.strerror or e}", hint=HINT) from e
