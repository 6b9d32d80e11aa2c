"""MobileNetV2Classifier's shape (backbone, head, blocks) and the golden test: the imported ImageNet weights
classify real photos (scikit-image's cat and espresso) as torchvision's MobileNetV2 does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from host_tools import msenv
from host_tools.data.preprocess import Preprocess
from tests.photos import photo

pytestmark = pytest.mark.integration

CATS = range(281, 286)  # ImageNet: tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="module")
def ms() -> Any:
    return msenv.graph_mode_cpu()


def test_shape_backbone_head_blocks(ms: Any) -> None:
    from mindcv.models.mobilenetv2 import InvertedResidual

    from host_tools.models.mobilenet_v2 import FEATURE_DIM, MobileNetV2Classifier

    two, full = MobileNetV2Classifier(num_classes=2, dropout=0.3), MobileNetV2Classifier()
    names = {n: p.shape for n, p in two.parameters_and_names()}
    full_names = {n: p.shape for n, p in full.parameters_and_names()}
    head = {n for n in names if n.startswith("head.")}
    assert head == {"head.1.weight", "head.1.bias"} == {n for n in full_names if n.startswith("head.")}
    assert {n: s for n, s in names.items() if n not in head} == {n: s for n, s in full_names.items() if n not in head}
    assert names["head.1.weight"] == (2, FEATURE_DIM) and full_names["head.1.weight"] == (1000, FEATURE_DIM)
    assert two.feature_dim == FEATURE_DIM and two.head[0].p == pytest.approx(0.3)
    blocks = two.blocks()
    assert len(blocks) == 17 and all(isinstance(b, InvertedResidual) for b in blocks)
    assert blocks[0].use_res_connect is False and blocks[-2].use_res_connect is True
    two.set_train(False)
    x = ms.Tensor(np.random.default_rng(0).standard_normal((2, 3, 96, 96)).astype(np.float32))
    features = two.backbone(x)
    assert features.shape == (2, FEATURE_DIM)
    np.testing.assert_allclose(two(x).asnumpy(), two.head(features).asnumpy(), rtol=1e-5, atol=1e-6)


def test_golden_imagenet_labels_on_real_photos(ms: Any) -> None:
    from host_tools.models import weights
    from host_tools.models.mobilenet_v2 import MobileNetV2Classifier

    net = MobileNetV2Classifier()
    weights.load_backbone(net, "mobilenet_v2", progress=lambda _: None)
    net.set_train(False)
    logits = net(ms.Tensor(Preprocess().batch([photo("chelsea"), photo("coffee")]))).asnumpy()
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    cat, coffee = prob
    assert set(np.argsort(-cat)[:3]) <= set(CATS), np.argsort(-cat)[:5]  # top 3 all cats (FACTS: 285 p 0.71)
    assert cat[list(CATS)].sum() > 0.9
    assert int(np.argmax(coffee)) == ESPRESSO and coffee[ESPRESSO] > 0.9  # FACTS: p 0.99
