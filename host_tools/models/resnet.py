"""A ResNet for small photos, trained from scratch (no ImageNet ResNet ships offline): the CIFAR ResNet of He et
al. (2016, section 4.2), depth 6n + 2: a 3x3 stem, three stages of n basic blocks at ``width``, 2x and 4x
channels (stride 2 between stages), global average pooling. Written here rather than taken from mindcv: mindcv's
ResNet starts with a 7x7/2 convolution and a max-pool (a 32x32 photo is 8x8 after them) and its blocks'
in-place ``+=`` does not export to ONNX."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn  # noqa: E402

from host_tools.errors import ConfigError  # noqa: E402
from host_tools.models.classifier import ImageClassifier, PooledFeatures  # noqa: E402


def _conv_bn(cin: int, cout: int, kernel: int, stride: int) -> list[nn.Cell]:
    return [nn.Conv2d(cin, cout, kernel, stride, pad_mode="pad", padding=kernel // 2, has_bias=False),
            nn.BatchNorm2d(cout)]


class BasicBlock(nn.Cell):
    """relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)); the shortcut is a 1x1 conv + BN when the shape
    changes, else the identity."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.SequentialCell([*_conv_bn(cin, cout, 3, stride), nn.ReLU(), *_conv_bn(cout, cout, 3, 1)])
        self.project = stride != 1 or cin != cout
        self.shortcut = nn.SequentialCell(_conv_bn(cin, cout, 1, stride)) if self.project else nn.Identity()
        self.relu = nn.ReLU()

    def construct(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class ResNetClassifier(ImageClassifier):
    """CIFAR-style ResNet-``depth`` (20, 32, 44, ...): ``backbone`` -> (N, 4 * width), ``head`` Dropout + Dense."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.0, depth: int = 20, width: int = 16) -> None:
        if depth < 8 or (depth - 2) % 6:
            raise ConfigError(f"ResNet depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, ...), got {depth}")
        per_stage = (depth - 2) // 6
        cells: list[nn.Cell] = [*_conv_bn(3, width, 3, 1), nn.ReLU()]
        cin = width
        for stage in range(3):
            cout = width * 2 ** stage
            for i in range(per_stage):
                cells.append(BasicBlock(cin, cout, 2 if stage and i == 0 else 1))
                cin = cout
        super().__init__(PooledFeatures(nn.SequentialCell(cells)), cin, num_classes, dropout)

    def blocks(self) -> list[nn.Cell]:
        """The 3n basic blocks, input side first."""
        return [c for c in self.backbone.features if isinstance(c, BasicBlock)]
