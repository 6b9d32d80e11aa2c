"""EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" edge variant): EfficientNet-B0's seven MBConv stages with no
squeeze-excitation, ReLU6 instead of swish, and a fixed 32-channel stem and 1280-channel head. Convolutions pad
TensorFlow-style ("same": the extra row/column of a stride-2 window goes at the bottom/right), as the weights
were trained; BatchNorm eps 1e-3. Cells are declared in the order of the pinned ``.pth``'s modules
(``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ... ``_bn2``, ``_conv_head``, ``_bn1``, ``_fc``), so the
weights map module by module (``host_tools.models.weights``)."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn  # noqa: E402

from host_tools.models.classifier import ImageClassifier, PooledFeatures  # noqa: E402

FEATURE_DIM = 1280
STEM = 32
# per stage: kernel, first stride, expansion, output channels, repeats (EfficientNet-B0, depth 1.0, width 1.0)
STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
          (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))
BN_EPS = 1e-3
BN_MOMENTUM = 0.99  # MindSpore's momentum is torch's 1 - 0.01


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, group: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride, pad_mode="same", group=group, has_bias=False)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Cell):
    """Inverted residual: 1x1 expand (when ``expand`` > 1), depthwise ``kernel`` x ``kernel``, 1x1 project;
    identity shortcut when the stride is 1 and the width is kept."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Cell] = [_conv(cin, hidden, 1), _bn(hidden), nn.ReLU6()] if expand != 1 else []
        layers += [_conv(hidden, hidden, kernel, stride, group=hidden), _bn(hidden), nn.ReLU6(),
                   _conv(hidden, cout, 1), _bn(cout)]
        self.layers = nn.SequentialCell(layers)
        self.residual = stride == 1 and cin == cout

    def construct(self, x: Tensor) -> Tensor:
        y = self.layers(x)
        if self.residual:
            return x + y
        return y


class EfficientNetLite0(ImageClassifier):
    """EfficientNet-Lite0: ``backbone`` (stem, 16 MBConv blocks, 1x1 head conv, global average pool -> 1280)
    and ``head`` (Dropout + Dense)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        cells: list[nn.Cell] = [_conv(3, STEM, 3, 2), _bn(STEM), nn.ReLU6()]
        cin = STEM
        for kernel, stride, expand, cout, repeats in STAGES:
            for i in range(repeats):
                cells.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        cells += [_conv(cin, FEATURE_DIM, 1), _bn(FEATURE_DIM), nn.ReLU6()]
        super().__init__(PooledFeatures(nn.SequentialCell(cells)), FEATURE_DIM, num_classes, dropout)

    def blocks(self) -> list[nn.Cell]:
        """The 16 MBConv blocks, input side first."""
        return [c for c in self.backbone.features if isinstance(c, MBConv)]
