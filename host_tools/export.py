"""Export a trained checkpoint to ONNX (opset 11) and MindIR, each with a manifest beside it.

The checkpoint's own manifest says which registered model it holds and carries the normalization,
labels and dataset record into the export's manifest; the exported graphs take one NCHW sample (batch
fixed at 1). Tensor names are read back from the written files. Public: ``load_checkpoint``,
``export_net`` (an in-memory net whose checkpoint was saved), ``export_checkpoint``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import manifest, msenv
from host_tools.errors import ConfigError, ModelError
from host_tools.models.registry import ModelInfo, create_model, model_info

FORMATS = {"onnx": ("ONNX", ".onnx"), "mindir": ("MINDIR", ".mindir")}
EXPORT_PATH = re.compile(r"^[0-9a-zA-Z@_\-.:/\\]+$")  # what mindspore.export accepts
ONNX_OPSET = "11"
INPUT_NAME = "x"
OUTPUT_NAME = "logits"
TRAIN_HINT = "train one with `mindedge train` and export the .ckpt it writes"


def _check_formats(formats: list[str]) -> list[str]:
    wanted = [f.lower() for f in formats]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise ConfigError(
            f"unknown export format(s): {', '.join(bad) or '(none given)'}",
            hint=f"valid formats: {', '.join(FORMATS)}",
        )
    return list(dict.fromkeys(wanted))


def checkpoint_manifest(ckpt: Path) -> tuple[manifest.Manifest, ModelInfo]:
    """The manifest of checkpoint ``ckpt`` (checked against the file) and its registered model; ModelError."""
    ckpt = Path(ckpt)
    if not ckpt.is_file():
        raise ModelError(f"checkpoint {ckpt} does not exist", hint=TRAIN_HINT)
    try:
        meta = manifest.load(ckpt)
    except (ValueError, TypeError) as e:
        raise ModelError(f"{manifest.manifest_path(ckpt)} is not a valid manifest ({e})", hint=TRAIN_HINT) from e
    if meta is None:
        raise ModelError(f"checkpoint {ckpt} has no {manifest.manifest_path(ckpt).name} beside it", hint=TRAIN_HINT)
    if meta.kind != "checkpoint" or "model" not in meta.extra:
        raise ModelError(f"{manifest.manifest_path(ckpt)} does not describe a model checkpoint", hint=TRAIN_HINT)
    if manifest.sha256_file(ckpt) != meta.sha256:
        raise ModelError(
            f"checkpoint {ckpt} does not match its manifest (sha256 differs: the file changed or is damaged)",
            hint=TRAIN_HINT,
        )
    try:
        info = model_info(meta.extra["model"])
    except ConfigError as e:
        raise ModelError(f"checkpoint {ckpt} holds model '{meta.extra['model']}', unknown here", e.hint) from e
    return meta, info


def _build(info: ModelInfo, meta: manifest.Manifest) -> Any:
    kwargs = dict(meta.extra.get("model_kwargs") or {})
    if meta.labels and len(meta.labels) != info.num_classes:
        kwargs.setdefault("num_classes", len(meta.labels))
    if "widths" in kwargs:
        kwargs["widths"] = tuple(kwargs["widths"])
    try:
        return create_model(info.name, **kwargs)
    except ConfigError as e:
        raise ModelError(f"cannot build model '{info.name}' with {kwargs} from its checkpoint manifest ({e.message})",
                         hint=TRAIN_HINT) from e


def load_checkpoint(ckpt: Path) -> tuple[Any, manifest.Manifest, ModelInfo]:
    """(net in eval mode, checkpoint manifest, registered model) of ``ckpt``; any mismatch is a ``ModelError``."""
    ckpt = Path(ckpt)
    meta, info = checkpoint_manifest(ckpt)
    ms = msenv.import_mindspore()
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _build(info, meta)
    try:
        params = ms.load_checkpoint(str(ckpt))
    except (RuntimeError, ValueError, OSError, TypeError) as e:
        raise ModelError(f"checkpoint {ckpt} is corrupt or unreadable ({str(e).splitlines()[0]})",
                         hint=TRAIN_HINT) from e
    expected = {p.name: tuple(p.shape) for p in net.get_parameters()}
    got = {k: tuple(v.shape) for k, v in params.items()}
    missing = sorted(set(expected) - set(got))
    wrong = sorted(k for k in expected.keys() & got.keys() if expected[k] != got[k])
    if missing or wrong:
        what = [f"missing {', '.join(missing)}"] if missing else []
        what += [f"{k} is {list(got[k])}, model needs {list(expected[k])}" for k in wrong]
        raise ModelError(f"checkpoint {ckpt} does not fit model '{info.name}': {'; '.join(what)}",
                         hint="export a checkpoint trained for this model")
    ms.load_param_into_net(net, params, strict_load=True)
    net.set_train(False)
    return net, meta, info


def _export_onnx(ms: Any, net: Any, sample: Any, stem: str) -> None:
    """``mindspore.onnx.export`` (names the tensors) where it exists, else ``mindspore.export``."""
    try:
        from mindspore.onnx import export
    except ImportError:
        ms.export(net, sample, file_name=stem, file_format="ONNX")
        return
    export(net, sample, file_name=stem, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])


def _write(ms: Any, net: Any, sample: Any, fmt: str, target: Path) -> None:
    """Export into a temp folder, make the file writable, then move it over ``target``."""
    # MindSpore accepts only [0-9a-zA-Z@_-.:/\\] in export paths ('slim+qat', spaces): export under a plain
    # name, in the target's folder when its path qualifies (same file system), then move into place
    parent = target.parent.resolve()
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=parent if EXPORT_PATH.match(str(parent)) else None))
    try:
        if fmt == "onnx":
            _export_onnx(ms, net, sample, str(tmp / "model"))
        else:
            ms.export(net, sample, file_name=str(tmp / "model"), file_format=FORMATS[fmt][0])
        written = tmp / ("model" + FORMATS[fmt][1])
        os.chmod(written, 0o644)  # MindSpore writes 0400; re-export must be able to replace it
        staged = target.with_name(f".{target.name}.partial")
        shutil.move(written, staged)
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def io_names(path: Path) -> tuple[str, str]:
    """(input name, output name) as stored in an exported ONNX or MindIR file."""
    if path.suffix == ".onnx":
        import onnx

        graph = onnx.load(str(path), load_external_data=False).graph
        return graph.input[0].name, graph.output[0].name
    from mindspore.train import mind_ir_pb2

    model = mind_ir_pb2.ModelProto()
    model.ParseFromString(path.read_bytes())
    prefix = model.graph.name + ":"
    return (model.graph.input[0].name.removeprefix(prefix), model.graph.output[0].name.removeprefix(prefix))


CARRIED_EXTRA = ("model", "model_kwargs", "dataset", "test_accuracy", "test_images")


def _manifest(ms: Any, path: Path, fmt: str, ckpt: Path, meta: manifest.Manifest) -> None:
    """The export's manifest: input/normalization/labels/dataset from the checkpoint's manifest."""
    in_name, out_name = io_names(path)
    tools = {"mindspore": ms.__version__}
    if fmt == "onnx":
        tools["onnx_opset"] = ONNX_OPSET
    src_in = meta.inputs[0]
    m = manifest.describe(
        path,
        fmt,
        inputs=[manifest.TensorSpec(in_name, list(src_in.shape), layout=src_in.layout)],
        outputs=[manifest.TensorSpec(out_name, [1, len(meta.labels or [])], layout="NC")],
        normalization=meta.normalization,
        labels=list(meta.labels) if meta.labels is not None else None,
        tools=tools,
        parent=manifest.parent_ref(ckpt),
        extra={k: meta.extra[k] for k in CARRIED_EXTRA if k in meta.extra},
    )
    manifest.save(m, path)


def export_net(net: Any, out_path: Path, fmt: str, parent_checkpoint: Path) -> Path:
    """Export the in-memory ``net`` (the one saved as ``parent_checkpoint``) to ``out_path`` in ``fmt``
    ("onnx" or "mindir") and write its manifest from the checkpoint's; returns ``out_path``.

    MindSpore 2.10's ONNX exporter fails on a second export of a net with BatchNorm: export a net once.
    """
    (fmt,) = _check_formats([fmt])
    meta, _info = checkpoint_manifest(parent_checkpoint)
    if not meta.inputs:
        raise ModelError(f"{manifest.manifest_path(parent_checkpoint)} names no input", hint=TRAIN_HINT)
    ms = msenv.import_mindspore()
    net.set_train(False)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sample = ms.Tensor(np.zeros(tuple(meta.inputs[0].shape), dtype=np.float32))
    _write(ms, net, sample, fmt, out_path)
    _manifest(ms, out_path, fmt, Path(parent_checkpoint), meta)
    return out_path


def export_checkpoint(ckpt: Path, formats: list[str], out_dir: Path | None = None) -> list[Path]:
    """Export ``ckpt`` to each of ``formats`` ("onnx", "mindir") in ``out_dir`` (default: beside it).

    Returns the written model files; each gets ``<file>.manifest.json``.
    """
    wanted = _check_formats(formats)
    ckpt = Path(ckpt)
    net, _meta, _info = load_checkpoint(ckpt)
    out = Path(out_dir) if out_dir is not None else ckpt.parent
    return [export_net(net, out / (ckpt.stem + FORMATS[fmt][1]), fmt, ckpt) for fmt in wanted]
