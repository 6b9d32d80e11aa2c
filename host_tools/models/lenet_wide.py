"""Distillation pair on the LeNet-BN body: a wide teacher and a small student."""

from __future__ import annotations

from host_tools.models.lenet_bn import LeNetBN

TEACHER_WIDTHS = (32, 64, 256, 128)
STUDENT_WIDTHS = (4, 8, 32, 16)


class LeNetWide(LeNetBN):
    """Teacher: LeNet-BN with 32/64 conv channels and 256/128 dense units (~0.3M parameters)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__(num_classes, in_channels, TEACHER_WIDTHS)


class LeNetSmall(LeNetBN):
    """Student: LeNet-BN with 4/8 conv channels and 32/16 dense units (~5k parameters)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__(num_classes, in_channels, STUDENT_WIDTHS)
