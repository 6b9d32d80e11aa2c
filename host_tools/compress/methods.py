"""The compression methods ``mindedge compress`` knows and how a variant is named (no dependencies)."""

from __future__ import annotations

FLOAT_METHODS = ("baseline", "slim", "kd")
QUANT_METHODS = ("ptq-fp16", "ptq-dynamic", "ptq-weight8", "ptq-weight4", "ptq-mixed", "ptq-full8", "qat")
PTQ_OF = {"ptq-fp16": "fp16", "ptq-dynamic": "dynamic", "ptq-weight8": "weight8", "ptq-weight4": "weight4",
          "ptq-mixed": "weight-mixed", "ptq-full8": "full8"}
SLIM_BASE = {"lenet": "lenet_bn", "lenet_bn": "lenet_bn", "mobilenet_v2": "mobilenet_v2"}
LENET_MODELS = ("lenet", "lenet_bn", "lenet_wide", "lenet_small")  # idx data: compress.lenet_build
PHOTO_MODELS = ("mobilenet_v2",)  # transfer-learned on image folders: compress.photo_build
PHOTO_METHODS = ("baseline", "slim", "ptq-fp16", "ptq-dynamic", "ptq-mixed", "ptq-full8", "slim+ptq-mixed")


def variant_name(plan: tuple[str, str | None]) -> str:
    f, q = plan
    if q is None:
        return "fp32" if f == "baseline" else f
    return q if f == "baseline" else f"{f}+{q}"

