"""The image preprocessing a model's manifest records, and that training, predict, bench and the app reproduce.

Exactly, for an RGB uint8 image of width W and height H (EXIF orientation already applied):
1. Resize so the shorter side is ``resize``: the shorter side becomes ``resize`` and the longer one
   ``resize * long // short`` (integer floor), with Pillow's ``Image.resize(..., Image.BILINEAR)`` on the 8-bit
   image (Pillow's bilinear widens its support when shrinking, i.e. it antialiases); the result is uint8.
   An image whose shorter side already equals ``resize`` is left as it is.
2. Centre crop ``crop`` x ``crop``: left ``(w - crop) // 2``, top ``(h - crop) // 2`` of the resized w x h.
3. ``(x * scale - mean) / std`` per channel in float32, ``scale = 1/255``, RGB order, laid out CHW.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

from host_tools.data.decode import to_rgb
from host_tools.errors import ConfigError, ModelError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT = "RGB uint8 0-255"
FORMULA = "(x * scale - mean) / std"
SCALE = 1.0 / 255.0
FILTERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
           "nearest": Image.Resampling.NEAREST}


def _triple(value: Any) -> tuple[float, float, float] | None:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    return (float(value[0]), float(value[1]), float(value[2]))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side to `resize` (bilinear, Pillow), centre-crop `crop` x `crop`, RGB, scale 1/255,
    (x-mean)/std, CHW float32 (the module docstring has the exact rules)."""

    crop: int = 224
    resize: int = 256  # shorter side before the crop
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        problem = _problem(self.crop, self.resize, self.mean, self.std, self.interpolation)
        if problem:
            raise ConfigError(f"preprocessing: {problem[0]} {problem[1]}")
        object.__setattr__(self, "mean", _triple(self.mean))
        object.__setattr__(self, "std", _triple(self.std))

    @classmethod
    def for_size(cls, size: int) -> Preprocess:
        """Input ``size`` x ``size``, resizing in ImageNet's 256/224 proportion first."""
        if _int(size) is None or size < 1:
            raise ConfigError(f"image size must be a positive integer, got {size!r}", hint="use e.g. 224, 160 or 96")
        return cls(crop=size, resize=round(size * 256 / 224))

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """(w, h) after step 1 for an image of ``width`` x ``height``."""
        if width <= height:
            return self.resize, self.resize * height // width
        return self.resize * width // height, self.resize

    def _pixels(self, rgb: np.ndarray | Image.Image) -> Image.Image:
        if isinstance(rgb, Image.Image):
            return to_rgb(rgb)
        a = np.asarray(rgb)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"expected an HxWx3 uint8 RGB image, got {a.dtype} {a.shape}")
        return Image.fromarray(a, "RGB")

    def __call__(self, rgb: np.ndarray | Image.Image) -> np.ndarray:
        """An HxWx3 uint8 RGB image (or a PIL image) -> float32 ``3 x crop x crop``."""
        img = self._pixels(rgb)
        w, h = self.resized_size(*img.size)
        if (w, h) != img.size:
            img = img.resize((w, h), FILTERS[self.interpolation])
        left, top = (w - self.crop) // 2, (h - self.crop) // 2
        x = np.asarray(img, dtype=np.uint8)[top:top + self.crop, left:left + self.crop].astype(np.float32)
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        return np.ascontiguousarray(((x * np.float32(SCALE) - mean) / std).transpose(2, 0, 1))

    def batch(self, images: Sequence[np.ndarray | Image.Image]) -> np.ndarray:
        """``N x 3 x crop x crop`` float32 for N images."""
        if len(images) == 0:
            return np.zeros((0, 3, self.crop, self.crop), dtype=np.float32)
        return np.stack([self(img) for img in images])

    def record(self) -> dict[str, Any]:
        """The manifest's ``normalization`` block."""
        return {"input": INPUT, "scale": SCALE, "mean": list(self.mean), "std": list(self.std), "formula": FORMULA,
                "resize": self.resize, "crop": self.crop, "interpolation": self.interpolation,
                "channel_order": "RGB"}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Preprocess:
        """The preprocessing a manifest's ``normalization`` block describes; ModelError naming a bad field."""
        if not isinstance(record, dict):
            raise ModelError(f"normalization record must be a JSON object, got {type(record).__name__}",
                             hint="export the model again with this mindedge version")
        fixed = {"input": INPUT, "formula": FORMULA, "channel_order": "RGB"}
        for name, want in fixed.items():
            if record.get(name) != want:
                raise ModelError(f"normalization record: field {name!r} must be {want!r}, got {record.get(name)!r}",
                                 hint="this model was not made for RGB image preprocessing")
        scale = record.get("scale")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or abs(scale - SCALE) > 1e-12:
            raise ModelError(f"normalization record: field 'scale' must be 1/255, got {scale!r}",
                             hint="export the model again with this mindedge version")
        fields = {k: record.get(k) for k in ("crop", "resize", "mean", "std", "interpolation")}
        problem = _problem(**fields)
        if problem:
            raise ModelError(f"normalization record: field {problem[0]!r} {problem[1]}",
                             hint="export the model again with this mindedge version")
        return cls(**fields)

    def key(self) -> str:
        """Stable text naming this preprocessing exactly (for cache keys): every field, in a fixed order."""
        return "preprocess/1 " + json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


def _problem(crop: Any, resize: Any, mean: Any, std: Any, interpolation: Any) -> tuple[str, str] | None:
    """(field, what is wrong with it) for the first bad field, or None."""
    if _int(crop) is None or crop < 1:
        return "crop", f"must be a positive integer, got {crop!r}"
    if _int(resize) is None or resize < crop:
        return "resize", f"must be an integer >= crop ({crop}), got {resize!r}"
    if _triple(mean) is None:
        return "mean", f"must be three numbers (R, G, B), got {mean!r}"
    std3 = _triple(std)
    if std3 is None or min(std3) <= 0:
        return "std", f"must be three positive numbers (R, G, B), got {std!r}"
    if interpolation not in FILTERS:
        return "interpolation", f"must be one of {', '.join(FILTERS)}, got {interpolation!r}"
    return None
