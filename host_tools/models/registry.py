"""Model registry: names -> builders plus the metadata export needs (input shape, normalization, labels).

Builders are imported lazily so that listing models does not import MindSpore.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from host_tools.data.preprocess import Preprocess
from host_tools.data.transforms import MNIST_MEAN, MNIST_STD
from host_tools.errors import ConfigError


@dataclass(frozen=True)
class ModelInfo:
    """What a registered model takes and returns."""

    name: str
    builder: str  # "module:attribute", imported on first use
    input_shape: tuple[int, ...]  # one sample, CHW
    labels: tuple[str, ...]
    normalization: dict[str, Any] = field(default_factory=dict)
    layout: str = "NCHW"
    description: str = ""
    pretrained: str | None = None  # the ImageNet weights (host_tools.models.weights) its backbone loads, if any

    @property
    def num_classes(self) -> int:
        return len(self.labels)


MNIST_NORMALIZATION: dict[str, Any] = {
    "input": "grayscale uint8 0-255",
    "scale": 1.0 / 255.0,
    "mean": [MNIST_MEAN],
    "std": [MNIST_STD],
    "formula": "(x * scale - mean) / std",
}

_REGISTRY: dict[str, ModelInfo] = {}


def register(info: ModelInfo) -> ModelInfo:
    _REGISTRY[info.name] = info
    return info


register(ModelInfo(
    name="lenet",
    builder="host_tools.models.lenet:LeNet5",
    input_shape=(1, 28, 28),
    labels=tuple(str(i) for i in range(10)),
    normalization=MNIST_NORMALIZATION,
    description="LeNet-5 for 28x28 grey digits (MNIST), 44.4k parameters",
))


for _name, _builder, _desc in (
    ("lenet_bn", "host_tools.models.lenet_bn:LeNetBN", "LeNet-5 with BatchNorm after each conv (network slimming)"),
    ("lenet_wide", "host_tools.models.lenet_wide:LeNetWide", "wide LeNet-BN 32/64/256/128 (distillation teacher)"),
    ("lenet_small", "host_tools.models.lenet_wide:LeNetSmall", "small LeNet-BN 4/8/32/16 (distillation student)"),
):
    register(ModelInfo(name=_name, builder=_builder, input_shape=(1, 28, 28), labels=tuple(str(i) for i in range(10)),
                       normalization=MNIST_NORMALIZATION, description=_desc))


IMAGENET_LABELS = tuple(str(i) for i in range(1000))  # class indices; a dataset's class names replace them
SMALL_PHOTO = Preprocess(crop=32, resize=32)  # 32x32 photos (cats-dogs) pass unresized

for _info in (
    ModelInfo(name="mobilenet_v2", builder="host_tools.models.mobilenet_v2:MobileNetV2Classifier",
              input_shape=(3, 224, 224), labels=IMAGENET_LABELS, normalization=Preprocess().record(),
              pretrained="mobilenet_v2",
              description="MobileNetV2 1.0 (mindcv), ImageNet weights; backbone 2.26M parameters"),
    ModelInfo(name="efficientnet_lite0", builder="host_tools.models.efficientnet_lite:EfficientNetLite0",
              input_shape=(3, 224, 224), labels=IMAGENET_LABELS,
              normalization=Preprocess(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)).record(),
              pretrained="efficientnet_lite0",
              description="EfficientNet-Lite0, ImageNet weights; backbone 3.41M parameters"),
    ModelInfo(name="resnet20", builder="host_tools.models.resnet:ResNetClassifier", input_shape=(3, 32, 32),
              labels=IMAGENET_LABELS, normalization=SMALL_PHOTO.record(),
              description="CIFAR-style ResNet-20 for small photos, from scratch; backbone 0.27M parameters"),
    ModelInfo(name="vit_tiny", builder="host_tools.models.vit_tiny:ViTTiny", input_shape=(3, 32, 32),
              labels=IMAGENET_LABELS, normalization=SMALL_PHOTO.record(),
              description="tiny ViT (patch 4, width 96, 4 blocks) for 32x32 photos, from scratch; backbone 0.31M "
                          "parameters"),
):
    register(_info)


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def model_info(name: str) -> ModelInfo:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown model '{name}'", hint=f"valid models: {', '.join(list_models())}"
        ) from None


def create_model(name: str, **kwargs: Any) -> Any:
    """Build model ``name`` (a ``mindspore.nn.Cell``); ``kwargs`` go to its constructor."""
    info = model_info(name)
    module, attr = info.builder.split(":")
    cls = getattr(importlib.import_module(module), attr)
    kwargs.setdefault("num_classes", info.num_classes)
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"model '{name}' does not accept {sorted(kwargs)}: {e}") from e
