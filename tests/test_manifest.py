import hashlib
import json
import os

from host_tools import manifest
from host_tools.manifest import TensorSpec


def test_describe_save_load_round_trip(tmp_path):
    art = tmp_path / "model.onnx"
    art.write_bytes(b"abc" * 100)
    parent = tmp_path / "model.ckpt"
    parent.write_bytes(b"weights")
    man = manifest.describe(
        art, kind="onnx", inputs=[TensorSpec("x", [1, 1, 28, 28])], labels=["0", "1"],
        normalization={"mean": [0.1307], "std": [0.3081]}, parent=manifest.parent_ref(parent),
        tools={"mindspore": "2.10.0"},
    )
    path = manifest.save(man, art)
    assert path.name == "model.onnx.manifest.json"
    data = json.loads(path.read_text())
    assert data["sha256"] == hashlib.sha256(b"abc" * 100).hexdigest()
    assert data["bytes"] == 300
    assert data["parent"]["sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert data["tools"]["mindspore"] == "2.10.0" and "mindedge" in data["tools"]
    loaded = manifest.load(art)
    assert loaded is not None and loaded.inputs[0].shape == [1, 1, 28, 28]
    assert manifest.load(parent) is None


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.json"
    manifest.write_json(target, {"a": 1})
    manifest.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert os.listdir(tmp_path) == ["out.json"]


def test_written_files_are_world_readable(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "m.json"
        manifest.write_json(target, {})
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
