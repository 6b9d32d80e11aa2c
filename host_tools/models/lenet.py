"""LeNet-5 for 1x28x28 digits, exactly as the seed: two valid 5x5 convolutions, then three dense layers."""

from __future__ import annotations

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn  # noqa: E402

FEATURES = 16 * 4 * 4  # 28 -> conv5 24 -> pool 12 -> conv5 8 -> pool 4


class LeNet5(nn.Cell):
    """Conv 6@5x5, ReLU, MaxPool 2, Conv 16@5x5, ReLU, MaxPool 2, Dense 120, 84, ``num_classes``."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, pad_mode="valid", has_bias=True)
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid", has_bias=True)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Dense(FEATURES, 120)
        self.fc2 = nn.Dense(120, 84)
        self.fc3 = nn.Dense(84, num_classes)

    def construct(self, x: Tensor) -> Tensor:
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)
