"""Inputs and reference outputs for device_bench's accuracy check, built on the host with ONNX Runtime.

The ``.ms`` manifest names its parent ONNX; the host runs that ONNX on N inputs (real MNIST test images
when the model is an MNIST model and the data is in the cache, else seeded random values), and writes the
inputs in the ``.ms`` layout (``--inDataFile``) and the ONNX outputs (``--benchmarkDataFile``), both raw
little-endian float32.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import manifest as manifest_mod
from host_tools.bench.model import BenchModel
from host_tools.bench.options import BenchConfig
from host_tools.data.recorded import recorded_split
from host_tools.deploy import ModelFiles
from host_tools.errors import ConfigError
from host_tools.files import sha256_file
from host_tools.lite_runtime import input_shape_of, run_file_mode, to_model_layout

SEED = 0
Say = Callable[[str], object]


@dataclass(frozen=True)
class References:
    """Files for one accuracy check and where their contents came from."""

    inputs_file: Path  # .ms layout, float32
    outputs_file: Path  # ONNX Runtime outputs, float32
    samples: int
    inputs: str  # e.g. "MNIST test images 0..99"
    reference: str  # e.g. "onnxruntime 1.32.0 on lenet.onnx"

    def describe(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "reference": self.reference, "samples": self.samples}


@dataclass(frozen=True)
class Plan:
    """The accuracy check to run: ``refs`` when it runs, else ``skipped`` says why (None: turned off)."""

    refs: References | None
    skipped: str | None = None


def parent_onnx(model: BenchModel) -> tuple[Path | None, manifest_mod.Manifest | None, str | None]:
    """(parent ONNX, the .ms manifest, why there is none) for ``model``."""
    return parent_onnx_of(model.path, model.manifest)


def parent_onnx_of(path: Path, man: manifest_mod.Manifest | None) -> tuple[Path | None, manifest_mod.Manifest | None,
                                                                            str | None]:
    """(parent ONNX, the manifest, why there is none) for the converted model at ``path`` (.ms, .om)."""
    name = path.name
    if man is None:
        return None, None, f"{name} has no manifest ({manifest_mod.manifest_path(path).name})"
    parent = (man.parent or {}).get("path")
    if not parent:
        return None, man, f"the manifest of {name} names no parent model"
    onnx_path = Path(parent)
    if onnx_path.suffix.lower() != ".onnx":
        return None, man, f"the parent of {name} is not ONNX ({onnx_path.name})"
    if not onnx_path.is_file():
        return None, man, f"the parent ONNX {onnx_path} no longer exists"
    want = (man.parent or {}).get("sha256")
    if want and sha256_file(onnx_path) != want:
        return None, man, f"the parent ONNX {onnx_path.name} changed since {name} was converted"
    return onnx_path, man, None


def onnx_sample_shape(onnx_path: Path) -> list[int]:
    """One sample's input shape (without batch) of the ONNX model; dynamic dimensions become 1."""
    import onnx

    model = onnx.load_model(str(onnx_path), load_external_data=False)
    dims = [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim]
    return dims[1:]


def from_model_layout(x: np.ndarray, sample: list[int]) -> np.ndarray:
    """Inverse of ``to_model_layout``: samples in the .ms layout -> the ONNX (NCHW) sample shape."""
    have = list(x.shape[1:])
    if have == sample:
        return x
    if len(sample) == 3 and have == [sample[1], sample[2], sample[0]]:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    raise ConfigError(f"input samples of shape {have} do not fit the ONNX model's input {sample}")


def _user_inputs(path: Path, ms_shape: list[int], sample: list[int]) -> np.ndarray:
    data = np.fromfile(path, dtype="<f4")
    per = int(np.prod(ms_shape[1:]))
    if data.size == 0 or data.size % per:
        raise ConfigError(f"--in-data {path} holds {data.size * 4} bytes, not a whole number of "
                          f"{per * 4}-byte samples for input {ms_shape}")  # fmt: skip
    return from_model_layout(data.reshape(-1, *ms_shape[1:]), sample)


def build(model: BenchModel, cfg: BenchConfig, workdir: Path) -> Plan:
    """Decide on the accuracy check for ``model`` and, when it runs, write its input and reference files."""
    if cfg.accuracy is False:
        return Plan(None)
    onnx_path, man, why = parent_onnx(model)
    if why is None and cfg.input_shapes:
        why = "--input-shapes changes the model input; the references are built for the manifest's shape"
    if why is not None or onnx_path is None or man is None:
        if cfg.accuracy:
            raise ConfigError(f"cannot check accuracy: {why}", hint="run without --accuracy")
        return Plan(None, skipped=f"accuracy check skipped: {why}")
    from host_tools.onnx_runtime import onnx_reference

    sample = onnx_sample_shape(onnx_path)
    ms_shape = model.input_shape() or input_shape_of(run_file_mode(model.path), model.path)  # hashed once already
    if cfg.in_data_file is not None:
        x, source = _user_inputs(Path(cfg.in_data_file), ms_shape, sample), f"--in-data {cfg.in_data_file}"
    else:
        found = recorded_split(man, cfg.samples)
        if found is not None and list(found.x.shape[1:]) == sample:
            x = found.x
            source = f"{found.display} test images 0..{len(x) - 1}"
        else:
            rng = np.random.default_rng(SEED)
            x = rng.standard_normal((cfg.samples, *sample)).astype(np.float32)
            source = f"random normal, seed {SEED}"
    reference = onnx_reference(onnx_path, x).astype("<f4")
    inputs_file, outputs_file = workdir / "accuracy_inputs.bin", workdir / "accuracy_reference.bin"
    np.ascontiguousarray(to_model_layout(x, ms_shape), dtype="<f4").tofile(inputs_file)
    reference.tofile(outputs_file)
    import onnxruntime

    refs = References(inputs_file, outputs_file, len(x), source, f"onnxruntime {onnxruntime.__version__} on "
                      f"{onnx_path.name}")  # fmt: skip
    return Plan(refs)


def model_files(models: list[Path], accuracy: bool | None, samples: int, workdir: Path, say: Say) -> list[ModelFiles]:
    """Each model with the accuracy inputs and references ``mindedge bench`` would use (for ``mindedge deploy``)."""
    out = []
    for i, path in enumerate(models):
        model = BenchModel.load(path)
        work = workdir / str(i)
        work.mkdir(parents=True)
        plan = build(model, BenchConfig(accuracy=accuracy, samples=samples), work)
        if plan.refs is not None:
            say(f"{path.name}: accuracy data: {plan.refs.samples} inputs ({plan.refs.inputs}) and "
                f"{plan.refs.reference} outputs")
            out.append(ModelFiles(path, plan.refs.inputs_file, plan.refs.outputs_file))
        else:
            if plan.skipped:
                say(f"{path.name}: {plan.skipped}")
            out.append(ModelFiles(path))
    return out
