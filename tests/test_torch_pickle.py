"""The torch-free .pth reader on small legacy-format files written here byte by byte as torch lays them out
(five pickles with persistent storage ids, then the raw storages), with stand-in ``torch`` modules so that
pickle writes the very globals torch writes."""

from __future__ import annotations

import io
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from host_tools.errors import ModelError
from host_tools.models import torch_pickle
from host_tools.models.torch_pickle import MAGIC_NUMBER, load_state_dict

STORAGE_NAMES = {np.dtype(v): k for k, v in torch_pickle.STORAGE_DTYPES.items()}


@pytest.fixture()
def torch_stub(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Modules named ``torch`` and ``torch._utils`` holding the storage classes and rebuild functions."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    for name in torch_pickle.STORAGE_DTYPES:
        setattr(torch, name, type(name, (), {"__module__": "torch"}))

    def _rebuild_tensor_v2(*args: object) -> None: ...
    def _rebuild_parameter(*args: object) -> None: ...

    for fn in (_rebuild_tensor_v2, _rebuild_parameter):
        fn.__module__, fn.__qualname__ = "torch._utils", fn.__name__
        setattr(utils, fn.__name__, fn)
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return types.SimpleNamespace(torch=torch, utils=utils)


@dataclass
class Storage:
    key: str
    data: np.ndarray  # flat


@dataclass
class Tensor:
    storage: Storage
    size: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int = 0
    parameter: bool = False
    stub: types.SimpleNamespace = field(default=None, repr=False)  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        t = (self.stub.utils._rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False,
                                                  OrderedDict()))
        if self.parameter:
            return (self.stub.utils._rebuild_parameter, (_Reduced(t), True, OrderedDict()))
        return t


@dataclass
class _Reduced:
    value: tuple

    def __reduce__(self) -> tuple:
        return self.value


class _Pickler(pickle.Pickler):
    def __init__(self, f: io.BytesIO, stub: types.SimpleNamespace, pid: object = None) -> None:
        super().__init__(f, protocol=2)
        self.stub, self.pid, self.seen = stub, pid, {}

    def persistent_id(self, obj: object) -> object:
        if not isinstance(obj, Storage):
            return None
        self.seen[obj.key] = obj
        if self.pid is not None:
            return self.pid
        stype = getattr(self.stub.torch, STORAGE_NAMES[obj.data.dtype])
        return ("storage", stype, obj.key, "cpu", obj.data.size, None)


def write_pth(path: Path, stub: types.SimpleNamespace, state: object, *, magic: int = MAGIC_NUMBER,
              version: int = 1001, little_endian: bool = True, keys: list[str] | None = None,
              pid: object = None) -> Path:
    """A legacy-format .pth of ``state`` (Tensors inside are written as torch writes tensors)."""
    f = io.BytesIO()
    for head in (magic, version, {"protocol_version": version, "little_endian": little_endian,
                                  "type_sizes": {"short": 2, "int": 4, "long": 8}}):
        pickle.dump(head, f, protocol=2)
    p = _Pickler(f, stub, pid)
    p.dump(state)
    storages = p.seen
    keys = sorted(storages) if keys is None else keys
    pickle.dump(keys, f, protocol=2)
    for key in keys:
        if key in storages:
            data = storages[key].data.astype(storages[key].data.dtype.newbyteorder("<"))
            f.write(struct.pack("<q", data.size) + data.tobytes())
    path.write_bytes(f.getvalue())
    return path


def tensor(stub: types.SimpleNamespace, key: str, values: np.ndarray, **kw: object) -> Tensor:
    values = np.array(values, order="C")
    flat = values.reshape(-1)
    strides = tuple(s // values.itemsize for s in values.strides)
    return Tensor(Storage(key, flat), kw.pop("size", values.shape), kw.pop("stride", strides), stub=stub, **kw)


@pytest.fixture()
def sample(torch_stub: types.SimpleNamespace, tmp_path: Path) -> Iterator[tuple[Path, dict[str, np.ndarray]]]:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    half = rng.standard_normal(5).astype(np.float16)
    base = np.arange(12, dtype=np.float32)
    shared = Storage("shared", base)
    state = OrderedDict([
        ("conv.weight", tensor(torch_stub, "0", w)),
        ("bn.num_batches_tracked", tensor(torch_stub, "1", np.array(1431430, dtype=np.int64))),
        ("half", tensor(torch_stub, "2", half, parameter=True)),
        # a transposed view into a shared storage, starting at element 1: non-contiguous strides
        ("t", Tensor(shared, (3, 2), (1, 3), offset=1, stub=torch_stub)),
        ("row", Tensor(shared, (4,), (1,), offset=8, stub=torch_stub)),
    ])
    expected = {"conv.weight": w, "bn.num_batches_tracked": np.array(1431430, dtype=np.int64), "half": half,
                "t": base[1:7].reshape(2, 3).T, "row": base[8:12]}
    yield write_pth(tmp_path / "m.pth", torch_stub, state), expected


def test_reads_values_dtypes_strides_and_order(sample: tuple[Path, dict[str, np.ndarray]]) -> None:
    path, expected = sample
    got = load_state_dict(path)
    assert list(got) == list(expected)
    for name, want in expected.items():
        assert got[name].dtype == want.dtype, name
        assert got[name].shape == want.shape, name
        np.testing.assert_array_equal(got[name], want, err_msg=name)
    assert got["bn.num_batches_tracked"].dtype == np.int64 and got["half"].dtype == np.float16
    assert got["t"].flags.writeable and got["t"].base is None  # a copy, not a view of the file's bytes


def test_foreign_global_is_refused_by_name_and_never_runs(torch_stub: types.SimpleNamespace,
                                                           tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = _Reduced((eval, (f"open({str(marker)!r}, 'w')",)))
    path = write_pth(tmp_path / "evil.pth", torch_stub, OrderedDict([("x", evil)]))
    with pytest.raises(ModelError, match=r"global __builtin__\.eval") as e:
        load_state_dict(path)
    assert str(path) in e.value.message
    assert not marker.exists()


def test_a_persistent_id_that_is_not_a_storage_is_refused(torch_stub: types.SimpleNamespace,
                                                          tmp_path: Path) -> None:
    state = OrderedDict([("w", tensor(torch_stub, "0", np.ones(2, np.float32)))])
    path = write_pth(tmp_path / "m.pth", torch_stub, state, pid=("module", "x"))
    with pytest.raises(ModelError, match="not a torch storage"):
        load_state_dict(path)


@pytest.mark.parametrize(("keep", "message"), [
    (-4, "truncated: storage shared has 44 of 48 bytes"),  # inside the last storage's bytes (12 float32)
    (-48 - 4, "truncated: storage shared is missing"),  # inside the last storage's element count
    (200, "not a readable torch .pth file .its state dict does not unpickle"),  # inside the pickled object
])
def test_truncated_file_names_the_file(sample: tuple[Path, dict], keep: int, message: str) -> None:
    path, _ = sample
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ModelError, match=message) as e:
        load_state_dict(path)
    assert str(path) in e.value.message


def test_not_a_torch_file(tmp_path: Path, torch_stub: types.SimpleNamespace) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"just some text, not weights")
    with pytest.raises(ModelError, match=r"not a readable torch \.pth"):
        load_state_dict(junk)
    plain = tmp_path / "plain.pth"
    plain.write_bytes(pickle.dumps(123))
    with pytest.raises(ModelError, match="wrong magic number"):
        load_state_dict(plain)
    with pytest.raises(ModelError, match="protocol 1000"):
        load_state_dict(write_pth(tmp_path / "v.pth", torch_stub, OrderedDict(), version=1000))
    with pytest.raises(ModelError, match="big-endian"):
        load_state_dict(write_pth(tmp_path / "be.pth", torch_stub, OrderedDict(), little_endian=False))
    with pytest.raises(ModelError, match="does not hold a state dict"):
        load_state_dict(write_pth(tmp_path / "list.pth", torch_stub, [1, 2]))
    with pytest.raises(ModelError, match="cannot read"):
        load_state_dict(tmp_path / "missing.pth")


def test_zip_format_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "new.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({}))
    with pytest.raises(ModelError, match="zip format"):
        load_state_dict(path)


def test_storage_bookkeeping_must_add_up(torch_stub: types.SimpleNamespace, tmp_path: Path) -> None:
    state = OrderedDict([("w", tensor(torch_stub, "0", np.ones(3, np.float32)))])
    with pytest.raises(ModelError, match="uses storage 0, which the file does not hold"):
        load_state_dict(write_pth(tmp_path / "a.pth", torch_stub, state, keys=[]))
    with pytest.raises(ModelError, match="lists storage 9, which no tensor in it uses"):
        load_state_dict(write_pth(tmp_path / "b.pth", torch_stub, state, keys=["0", "9"]))
    past = OrderedDict([("w", Tensor(Storage("0", np.ones(3, np.float32)), (2, 2), (2, 1), stub=torch_stub))])
    with pytest.raises(ModelError, match=r"tensor w \[2, 2\] reaches past its storage \(3 elements\)"):
        load_state_dict(write_pth(tmp_path / "c.pth", torch_stub, past))
    odd = OrderedDict([("w", Tensor(Storage("0", np.ones(3, np.float32)), (3,), (1, 1), stub=torch_stub))])
    with pytest.raises(ModelError, match=r"tensor w has size \[3\] but strides \[1, 1\]"):
        load_state_dict(write_pth(tmp_path / "d.pth", torch_stub, odd))
