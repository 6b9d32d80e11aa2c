"""Export to ONNX and MindIR: files, manifests, agreement with MindSpore, and bad checkpoints."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from host_tools import manifest, msenv
from host_tools.errors import ConfigError, ModelError
from host_tools.export import export_checkpoint
from host_tools.train.loop import TrainResult


def test_unknown_format_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown export format.*tflite") as err:
        export_checkpoint(tmp_path / "x.ckpt", ["onnx", "tflite"])
    assert "onnx" in str(err.value) and "mindir" in str(err.value)


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        export_checkpoint(tmp_path / "lenet.ckpt", ["onnx"])


@pytest.fixture()
def ckpt_copy(small_run: TrainResult, tmp_path: Path) -> Path:
    """The small run's checkpoint and manifest, copied so tests may damage them."""
    src = small_run.checkpoint
    dst = tmp_path / "lenet.ckpt"
    shutil.copy(src, dst)
    shutil.copy(manifest.manifest_path(src), manifest.manifest_path(dst))
    return dst


def _redescribe(ckpt: Path) -> None:
    """Make the manifest match the (changed) file so the loader itself is exercised."""
    meta = manifest.load(ckpt)
    assert meta is not None
    meta.sha256, meta.bytes = manifest.sha256_file(ckpt), ckpt.stat().st_size
    manifest.save(meta, ckpt)


def _samples(mnist_dir: Path, n: int = 8) -> np.ndarray:
    from host_tools.data.mnist import load_mnist
    from host_tools.data.transforms import normalize

    return normalize(load_mnist(mnist_dir).test_x[:n])


@pytest.mark.integration
def test_export_onnx_and_mindir(small_run: TrainResult, mnist_dir: Path, tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort

    ms = msenv.import_mindspore()
    from host_tools.models.registry import create_model

    ckpt = small_run.checkpoint
    paths = export_checkpoint(ckpt, ["onnx", "MindIR"], tmp_path / "out")
    assert [p.name for p in paths] == ["lenet.onnx", "lenet.mindir"]
    onnx_path, mindir_path = paths
    model = onnx.load(str(onnx_path))
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [11]

    for path, kind in ((onnx_path, "onnx"), (mindir_path, "mindir")):
        assert path.stat().st_mode & stat.S_IWUSR
        meta = json.loads(manifest.manifest_path(path).read_text())
        assert meta["kind"] == kind and meta["sha256"] == manifest.sha256_file(path)
        assert meta["bytes"] == path.stat().st_size
        assert meta["inputs"][0]["shape"] == [1, 1, 28, 28] and meta["inputs"][0]["layout"] == "NCHW"
        assert meta["outputs"][0]["shape"] == [1, 10]
        assert meta["normalization"]["std"] == [0.3081] and len(meta["labels"]) == 10
        assert meta["parent"]["sha256"] == manifest.sha256_file(ckpt)
        assert meta["tools"]["mindspore"] == ms.__version__
    onnx_meta = json.loads(manifest.manifest_path(onnx_path).read_text())
    assert onnx_meta["tools"]["onnx_opset"] == "11"
    assert onnx_meta["inputs"][0]["name"] == model.graph.input[0].name
    assert onnx_meta["outputs"][0]["name"] == model.graph.output[0].name

    net = create_model("lenet")
    ms.load_param_into_net(net, ms.load_checkpoint(str(ckpt)))
    net.set_train(False)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    graph = ms.nn.GraphCell(ms.load(str(mindir_path)))
    for sample in _samples(mnist_dir):
        x = sample[None]
        expected = net(ms.Tensor(x)).asnumpy()
        got = session.run(None, {onnx_meta["inputs"][0]["name"]: x})[0]
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(graph(ms.Tensor(x)).asnumpy(), expected, atol=1e-5, rtol=0)

    # re-export over the existing files
    again = export_checkpoint(ckpt, ["onnx", "mindir"], tmp_path / "out")
    assert again == paths and all(p.exists() for p in again)


@pytest.mark.integration
def test_export_beside_checkpoint(ckpt_copy: Path) -> None:
    (path,) = export_checkpoint(ckpt_copy, ["onnx"])
    assert path == ckpt_copy.with_suffix(".onnx")
    assert not [p for p in ckpt_copy.parent.iterdir() if p.name.startswith(".export-")]


@pytest.mark.integration
def test_truncated_checkpoint(ckpt_copy: Path) -> None:
    data = ckpt_copy.read_bytes()
    ckpt_copy.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="does not match its manifest"):
        export_checkpoint(ckpt_copy, ["onnx"])
    _redescribe(ckpt_copy)
    with pytest.raises(ModelError, match="corrupt or unreadable"):
        export_checkpoint(ckpt_copy, ["onnx"])


@pytest.mark.integration
def test_checkpoint_of_other_shapes(ckpt_copy: Path) -> None:
    ms = msenv.import_mindspore()
    from host_tools.models.lenet import LeNet5

    ms.save_checkpoint(LeNet5(num_classes=5), str(ckpt_copy))
    _redescribe(ckpt_copy)
    with pytest.raises(ModelError, match=r"does not fit model 'lenet': fc3.bias is \[5\], model needs \[10\]"):
        export_checkpoint(ckpt_copy, ["onnx"])


@pytest.mark.integration
def test_checkpoint_without_manifest(ckpt_copy: Path) -> None:
    manifest.manifest_path(ckpt_copy).unlink()
    with pytest.raises(ModelError, match=r"has no lenet\.ckpt\.manifest\.json"):
        export_checkpoint(ckpt_copy, ["mindir"])
