"""Grad-CAM (Selvaraju et al. 2017) with MindSpore: the gradient of a class score with respect to the last
convolution's feature maps A, averaged over each map (alpha_k), gives ``relu(sum_k alpha_k A_k)``, upsampled
to the input. The net is split at that layer (``cam_split``) into cells that share its parameters.

For the classifiers whose backbone ends in global average pooling and whose head is one Dense layer
(MobileNetV2, EfficientNet-Lite, ResNet), alpha_k is exactly ``W[c, k] / (h * w)``: Grad-CAM is the class
activation map of Zhou et al. 2016 (the tests check it). LeNet's maps are its second convolution's, after ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from host_tools import msenv

ms = msenv.import_mindspore()
from mindspore import Tensor, nn, ops  # noqa: E402


class _LeNetMaps(nn.Cell):
    """LeNet-5 / LeNet-BN up to the second convolution's ReLU."""

    def __init__(self, net: nn.Cell) -> None:
        super().__init__()
        self.net = net
        self.bn1 = getattr(net, "bn1", None) or nn.Identity()
        self.bn2 = getattr(net, "bn2", None) or nn.Identity()

    def construct(self, x: Tensor) -> Tensor:
        n = self.net
        x = n.pool(n.relu(self.bn1(n.conv1(x))))
        return n.relu(self.bn2(n.conv2(x)))


class _LeNetRest(nn.Cell):
    def __init__(self, net: nn.Cell) -> None:
        super().__init__()
        self.net = net

    def construct(self, a: Tensor) -> Tensor:
        n = self.net
        x = n.flatten(n.pool(a))
        return n.fc3(n.relu(n.fc2(n.relu(n.fc1(x)))))


class _PooledRest(nn.Cell):
    """Global average pooling, then the classifier's head."""

    def __init__(self, head: nn.Cell) -> None:
        super().__init__()
        self.head = head

    def construct(self, a: Tensor) -> Tensor:
        return self.head(ops.mean(a, axis=(2, 3), keep_dims=False))


class _Score(nn.Cell):
    """``sum(rest(a) * onehot)``: each sample's score of its chosen class."""

    def __init__(self, rest: nn.Cell) -> None:
        super().__init__()
        self.rest = rest

    def construct(self, a: Tensor, onehot: Tensor) -> Tensor:
        return (self.rest(a) * onehot).sum()


@dataclass
class CamSplit:
    maps: nn.Cell  # x -> the last convolution's feature maps (N, C, h, w)
    rest: nn.Cell  # maps -> logits
    layer: str


def cam_split(net: Any) -> CamSplit | None:
    """The split of ``net`` at its last convolution; None for a model without one (the tiny ViT)."""
    from host_tools.models.classifier import ImageClassifier, PooledFeatures

    if isinstance(net, ImageClassifier):
        if not isinstance(net.backbone, PooledFeatures):
            return None
        return CamSplit(net.backbone.features, _PooledRest(net.head), "backbone.features (last block)")
    if all(hasattr(net, k) for k in ("conv1", "conv2", "fc1", "fc2", "fc3", "pool")):
        return CamSplit(_LeNetMaps(net), _LeNetRest(net), "conv2 (after ReLU)")
    return None


def cam_maps(split: CamSplit, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Grad-CAM at the feature maps' resolution, (N, h, w), not normalized, for ``classes[i]`` of ``x[i]``."""
    split.maps.set_train(False)
    split.rest.set_train(False)
    a = split.maps(Tensor(np.ascontiguousarray(x, dtype=np.float32)))
    onehot = np.zeros((len(x), int(split.rest(a).shape[1])), np.float32)
    onehot[np.arange(len(x)), classes] = 1.0
    grads = ms.grad(_Score(split.rest), grad_position=0)(a, Tensor(onehot)).asnumpy()
    msenv.release_grad_functions()
    alpha = grads.mean(axis=(2, 3))
    return np.maximum((alpha[:, :, None, None] * a.asnumpy()).sum(axis=1), 0.0)


def gradcam(split: CamSplit, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Heat maps in [0, 1] (each divided by its maximum), bilinearly upsampled to the input, (N, H, W)."""
    cams = cam_maps(split, x, classes)
    height, width = x.shape[2], x.shape[3]
    out = np.zeros((len(x), height, width), np.float32)
    for i, cam in enumerate(cams):
        top = float(cam.max())
        img = Image.fromarray((cam / top if top > 0 else cam).astype(np.float32), mode="F")
        out[i] = np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)
