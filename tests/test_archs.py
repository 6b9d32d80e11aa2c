"""Every registered image architecture has the classifier shape (backbone -> pooled features, head -> logits,
blocks(), feature_dim), runs a forward pass, exports to ONNX through ``export.export_net`` with the same
outputs under ONNX Runtime, and converts to a fp32 ``.ms`` that the Lite runtime runs within fp32 tolerance
(``converters.lite.convert`` verifies it); EfficientNet-Lite0's imported ImageNet weights pass the golden
photos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from host_tools import msenv
from host_tools.data.preprocess import Preprocess
from host_tools.models import registry, weights
from host_tools.models.registry import create_model, model_info
from tests.photos import photo

ARCHS = ("mobilenet_v2", "efficientnet_lite0", "resnet20", "vit_tiny")
BLOCKS = {"mobilenet_v2": 17, "efficientnet_lite0": 16, "resnet20": 9, "vit_tiny": 4}


def test_registry_entries() -> None:
    for name in ARCHS:
        info = model_info(name)
        pre = Preprocess.from_record(info.normalization)  # a record predict/bench/the app can replay
        assert info.input_shape == (3, pre.crop, pre.crop) and info.layout == "NCHW", name
        assert info.num_classes == 1000 and info.labels[:2] == ("0", "1"), name
        if info.pretrained is not None:
            assert weights.weights_info(info.pretrained).builder == info.builder, name
    assert {n for n in ARCHS if model_info(n).pretrained} == {"mobilenet_v2", "efficientnet_lite0"}
    assert model_info("lenet").pretrained is None and "lenet" in registry.list_models()


@pytest.fixture(scope="module")
def ms() -> Any:
    return msenv.graph_mode_cpu()


@pytest.mark.integration
@pytest.mark.parametrize("name", ARCHS)
def test_builds_runs_and_exports_to_onnx(ms: Any, name: str, tmp_path: Path) -> None:
    import onnxruntime as ort

    from converters.lite import convert
    from host_tools.export import export_net
    from host_tools.train.checkpoint import save_checkpoint

    info = model_info(name)
    net = create_model(name, num_classes=3)
    net.set_train(False)
    blocks = net.blocks()
    backbone_cells = {id(c) for _, c in net.backbone.cells_and_names()}
    assert len(blocks) == BLOCKS[name] and all(id(b) in backbone_cells for b in blocks)
    assert {p.name for p in net.get_parameters()} == ({p.name for p in net.backbone.get_parameters()}
                                                      | {p.name for p in net.head.get_parameters()})
    # one sample (export's batch), at most 64x64: the same graph serves the forward and the export
    shape = (3, min(64, info.input_shape[1]), min(64, info.input_shape[2]))
    x = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
    features = net.backbone(ms.Tensor(x)).asnumpy()
    assert features.shape == (1, net.feature_dim)
    logits = net(ms.Tensor(x)).asnumpy()
    assert logits.shape == (1, 3) and np.isfinite(logits).all()

    ckpt = save_checkpoint(net, tmp_path / f"{name}.ckpt", model=name, normalization=info.normalization,
                           labels=["a", "b", "c"], input_shape=shape)
    onnx_path = export_net(net, tmp_path / f"{name}.onnx", "onnx", ckpt)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, logits, rtol=1e-4, atol=1e-4 * float(np.abs(logits).max()))
    converted = convert(onnx_path, tmp_path / f"{name}.ms", say=lambda _: None)  # ToleranceError when off
    assert converted.output.is_file() and converted.verification is not None and converted.verification.passed


@pytest.mark.integration
def test_efficientnet_lite0_golden_imagenet_labels(ms: Any) -> None:
    info = model_info("efficientnet_lite0")
    net = create_model("efficientnet_lite0")
    weights.load_backbone(net, "efficientnet_lite0", progress=lambda _: None)
    net.set_train(False)
    x = Preprocess.from_record(info.normalization).batch([photo("chelsea"), photo("coffee")])
    logits = net(ms.Tensor(x)).asnumpy()
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    cat, coffee = prob
    assert set(np.argsort(-cat)[:3]) <= set(range(281, 286)) and cat[281:286].sum() > 0.8, np.argsort(-cat)[:5]
    assert int(np.argmax(coffee)) == 967 and coffee[967] > 0.9


def test_shapes_that_cannot_be_built_are_config_errors() -> None:
    from host_tools.errors import ConfigError
    from host_tools.models.resnet import ResNetClassifier
    from host_tools.models.vit_tiny import ViTTiny

    with pytest.raises(ConfigError, match=r"6n \+ 2"):
        ResNetClassifier(num_classes=2, depth=21)
    with pytest.raises(ConfigError, match="multiple of the patch 4"):
        ViTTiny(num_classes=2, image_size=30)
    with pytest.raises(ConfigError, match="width 100 of the heads 3"):
        ViTTiny(num_classes=2, dim=100)
