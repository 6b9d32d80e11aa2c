"""The shape every image classifier here shares: ``backbone`` (x -> pooled features), ``head`` (features ->
logits, Dropout + Dense), ``blocks()`` (the backbone's stages, in order, for partial unfreezing) and
``feature_dim``. Transfer learning, the feature cache and the architecture comparison rely on it."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn, ops  # noqa: E402
from mindspore.common.initializer import Normal  # noqa: E402


class PooledFeatures(nn.Cell):
    """``features`` (N,3,H,W) -> (N,C,h,w), then the global average over h and w: (N,C)."""

    def __init__(self, features: nn.Cell) -> None:
        super().__init__()
        self.features = features

    def construct(self, x: Tensor) -> Tensor:
        return ops.mean(self.features(x), axis=(2, 3), keep_dims=False)


def make_head(feature_dim: int, num_classes: int, dropout: float) -> nn.SequentialCell:
    """Dropout(p=dropout) then Dense(feature_dim -> num_classes), weights N(0, 0.01), bias 0."""
    return nn.SequentialCell([
        nn.Dropout(p=dropout),
        nn.Dense(feature_dim, num_classes, weight_init=Normal(sigma=0.01), bias_init="zeros"),
    ])


class ImageClassifier(nn.Cell):
    """``head(backbone(x))``; subclasses build ``backbone`` and say which cells ``blocks()`` are."""

    def __init__(self, backbone: nn.Cell, feature_dim: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.head = make_head(feature_dim, num_classes, dropout)

    def blocks(self) -> list[nn.Cell]:
        raise NotImplementedError

    def construct(self, x: Tensor) -> Tensor:
        return self.head(self.backbone(x))
