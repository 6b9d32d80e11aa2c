"""MobileNetV2 (width 1.0) as mindcv builds it (``mobilenet_v2_100``), in the classifier shape of
``host_tools.models.classifier``: ``backbone`` = mindcv's ``features`` + global average pooling, ``head`` =
Dropout + Dense. Backbone parameter names do not depend on ``num_classes``, so the ImageNet checkpoint
(``host_tools.models.weights``) loads into the backbone of a model with any number of classes."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindcv.models.mobilenetv2 import InvertedResidual, mobilenet_v2_100  # noqa: E402
from mindspore import nn  # noqa: E402

from host_tools.models.classifier import ImageClassifier, PooledFeatures  # noqa: E402

FEATURE_DIM = 1280


class MobileNetV2Classifier(ImageClassifier):
    """mindcv mobilenet_v2_100 features + global average pool (``backbone``) and a Dense head (``head``)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        net = mobilenet_v2_100(pretrained=False)  # pretrained=True downloads; weights come from weights.py
        super().__init__(PooledFeatures(net.features), FEATURE_DIM, num_classes, dropout)

    def blocks(self) -> list[nn.Cell]:
        """The 17 inverted-residual blocks, input side first."""
        return [c for c in self.backbone.features if isinstance(c, InvertedResidual)]
