"""The AIPP config (ATC's ``--insert_op_conf``) that moves a model's normalization onto the NPU.

A manifest's normalization is ``(x * scale - mean) / std`` per channel on 8-bit pixels. AIPP computes
``(x - mean_chn_i - min_chn_i) * var_reci_chn_i`` (``mean_chn_*`` are integers, the other two floats), so in
static mode with ``mean_chn_* = 0``: ``min_chn_i = mean_i / scale`` (mean x 255) and ``var_reci_chn_i =
scale / std_i`` (1 / (std x 255)). The converted ``.om`` then takes uint8 NHWC images of the model's input
size (RGB888_U8, or YUV400_U8 for one channel); resizing and cropping stay on the host, as for the ``.ms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from host_tools.errors import ModelError


@dataclass(frozen=True)
class Aipp:
    """A static AIPP config: the source image format and size and the per-channel normalization."""

    input_format: str  # RGB888_U8 | YUV400_U8
    width: int
    height: int
    min_chn: tuple[float, ...]
    var_reci_chn: tuple[float, ...]
    mean_chn: tuple[int, ...]

    @property
    def channels(self) -> int:
        return len(self.min_chn)

    def text(self) -> str:
        """The config file ATC reads (``aipp_op { ... }``, protobuf text format)."""
        lines = ["aipp_op {", "    aipp_mode : static", f"    input_format : {self.input_format}",
                 f"    src_image_size_w : {self.width}", f"    src_image_size_h : {self.height}", "    crop : false"]
        for i, (mean, low, reci) in enumerate(zip(self.mean_chn, self.min_chn, self.var_reci_chn, strict=True)):
            lines += [f"    mean_chn_{i} : {mean}", f"    min_chn_{i} : {low!r}", f"    var_reci_chn_{i} : {reci!r}"]
        return "\n".join([*lines, "}", ""])

    def record(self) -> dict[str, Any]:
        """The manifest's ``aipp`` block."""
        return {"aipp_mode": "static", "input_format": self.input_format, "src_image_size_w": self.width,
                "src_image_size_h": self.height, "mean_chn": list(self.mean_chn), "min_chn": list(self.min_chn),
                "var_reci_chn": list(self.var_reci_chn), "input": {"dtype": "uint8", "layout": "NHWC",
                                                                   "shape": [1, self.height, self.width,
                                                                             self.channels]}}

    def apply(self, images: np.ndarray) -> np.ndarray:
        """What AIPP feeds the model for uint8 NHWC ``images``: float32 NCHW (the reference for stand-ins)."""
        x = np.asarray(images)
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (self.height, self.width, self.channels):
            raise ModelError(f"AIPP input must be uint8 [N, {self.height}, {self.width}, {self.channels}], got "
                             f"{x.dtype} {list(x.shape)}")
        mean = np.asarray(self.mean_chn, np.float32)
        low = np.asarray(self.min_chn, np.float32)
        reci = np.asarray(self.var_reci_chn, np.float32)
        out = (x.astype(np.float32) - mean - low) * reci
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def from_normalization(normalization: dict[str, Any] | None, input_shape: list[int]) -> Aipp:
    """The AIPP config for a model whose manifest records ``normalization`` and NCHW ``input_shape``."""
    if not normalization:
        raise ModelError("the model's manifest records no normalization, so no AIPP config can be written",
                         hint="convert without --aipp (the .om then takes float32 inputs, normalized on the host)")
    try:
        scale = float(normalization["scale"])
        mean = [float(v) for v in normalization["mean"]]
        std = [float(v) for v in normalization["std"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"normalization record has no usable scale/mean/std ({e})",
                         hint="export the model again with this mindedge version") from e
    formula = normalization.get("formula", "(x * scale - mean) / std")
    if formula != "(x * scale - mean) / std":
        raise ModelError(f"AIPP cannot express the normalization {formula!r}",
                         hint="convert without --aipp (normalize on the host)")
    if len(input_shape) != 4:
        raise ModelError(f"AIPP needs an image input [N, C, H, W], the model's is {input_shape}")
    channels, height, width = (int(d) for d in input_shape[1:])
    if channels not in (1, 3):
        raise ModelError(f"AIPP takes 1 (YUV400_U8) or 3 (RGB888_U8) channel images, the model has {channels}")
    if len(mean) == 1:
        mean, std = mean * channels, std * channels
    if len(mean) != channels or len(std) != channels or scale <= 0 or any(s <= 0 for s in std):
        raise ModelError(f"normalization mean {mean} / std {std} / scale {scale} do not fit {channels} channels")
    return Aipp(input_format="RGB888_U8" if channels == 3 else "YUV400_U8", width=width, height=height,
                min_chn=tuple(m / scale for m in mean), var_reci_chn=tuple(scale / s for s in std),
                mean_chn=(0,) * channels)


def parse_text(text: str) -> Aipp:
    """An ``aipp_op { ... }`` config as ATC reads it (static mode; the fields ``Aipp.text`` writes), for the
    emulated ATC; ModelError naming what is missing or unsupported."""
    import re

    fields = dict(re.findall(r"^\s*(\w+)\s*:\s*(\S+)\s*$", text, re.M))
    if "aipp_op" not in text or fields.get("aipp_mode") != "static":
        raise ModelError("the AIPP config has no 'aipp_op { aipp_mode : static ... }' block")
    try:
        fmt = fields["input_format"]
        channels = {"RGB888_U8": 3, "YUV400_U8": 1}[fmt]
        return Aipp(input_format=fmt, width=int(fields["src_image_size_w"]), height=int(fields["src_image_size_h"]),
                    min_chn=tuple(float(fields.get(f"min_chn_{i}", 0)) for i in range(channels)),
                    var_reci_chn=tuple(float(fields.get(f"var_reci_chn_{i}", 1)) for i in range(channels)),
                    mean_chn=tuple(int(fields.get(f"mean_chn_{i}", 0)) for i in range(channels)))
    except KeyError as e:
        raise ModelError(f"the AIPP config lacks {e.args[0]} (or its input_format is not RGB888_U8/YUV400_U8)") \
            from None
    except ValueError as e:
        raise ModelError(f"the AIPP config has a bad value: {e}") from None
