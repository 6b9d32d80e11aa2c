"""LeNet-5 with BatchNorm after each convolution and configurable widths (slimming, distillation).

``LeNetBN(widths=(6, 16, 120, 84))`` is the seed LeNet-5 plus BN; channel surgery builds narrower
copies, and the wide teacher / small student of distillation are the same class with other widths.
"""

from __future__ import annotations

from collections.abc import Sequence

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn  # noqa: E402

DEFAULT_WIDTHS = (6, 16, 120, 84)  # conv1, conv2, fc1, fc2
SPATIAL = 4 * 4  # 28 -> conv5 24 -> pool 12 -> conv5 8 -> pool 4


class LeNetBN(nn.Cell):
    """Conv c1@5x5, BN, ReLU, MaxPool 2, Conv c2@5x5, BN, ReLU, MaxPool 2, Dense f1, f2, ``num_classes``."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1,
                 widths: Sequence[int] = DEFAULT_WIDTHS) -> None:
        super().__init__()
        c1, c2, f1, f2 = (int(w) for w in widths)
        self.widths = (c1, c2, f1, f2)
        self.conv1 = nn.Conv2d(in_channels, c1, 5, pad_mode="valid", has_bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 5, pad_mode="valid", has_bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Dense(c2 * SPATIAL, f1)
        self.fc2 = nn.Dense(f1, f2)
        self.fc3 = nn.Dense(f2, num_classes)

    def construct(self, x: Tensor) -> Tensor:
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool(self.relu(self.bn2(self.conv2(x))))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)
