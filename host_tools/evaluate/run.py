"""``mindedge evaluate MODEL``: a checkpoint (MindSpore) or a ``.ms`` (the Lite runtime, on the host or any
target) on its labelled test set -> ``OUT/eval.json`` (``mindedge.evaluation/1``) and ``OUT/images/``.

Both kinds: accuracy, per-class precision/recall, confusion matrix and the most confused pairs, the
highest-loss samples (a gallery of label-error candidates) and calibration. Checkpoints also: Grad-CAM on
the most confused samples (or chosen ones) and FGSM robustness, the drop at ``eps`` against ``bound``; with
``ms`` the adversarial images also go through that ``.ms`` to see whether the runtime model keeps the weakness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import manifest
from host_tools.evaluate import data as test_data
from host_tools.evaluate import images, metrics

SCHEMA = "mindedge.evaluation/1"
Say = Callable[[str], None]


@dataclass
class EvalConfig:
    model: Path
    out: Path
    data: Path | None = None  # an image folder instead of the recorded test split
    limit: int | None = None  # the first N test images only
    suspects: int = 16
    cam_samples: int = 8
    cam_indices: list[int] = field(default_factory=list)
    eps: float = 0.02  # FGSM eps (pixel units) the bound is checked at
    epsilons: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1)
    bound: float = 0.05  # the largest acceptable accuracy drop at eps (absolute)
    ms: Path | None = None  # a .ms of the checkpoint the adversarial images also run through
    target: str | None = None  # where a .ms runs (None: the host's Lite runtime)
    threads: int = 1


def _logits_ms(path: Path, x: np.ndarray, cfg: EvalConfig, say: Say) -> tuple[np.ndarray, str, bool]:
    from host_tools.lite_runtime import run_ms, to_model_layout
    from host_tools.predict import open_model, run_on_target

    model = open_model(path)
    xs = to_model_layout(x, list(model.shape))
    if cfg.target is None:
        return run_ms(path, xs, cfg.threads), "host (MindSpore Lite runtime)", False
    logits, name, props = run_on_target(model, xs, cfg.target, cfg.threads, say, None)
    return logits, name, bool(props.get("emulated"))


def _cam_indices(summary: dict[str, Any], y: np.ndarray, pred: np.ndarray, labels: list[str], n: int) -> list[int]:
    """Samples of the most confused pairs (true -> predicted), then correct ones of each class, up to ``n``."""
    out: list[int] = []
    for pair in summary["most_confused"]:
        t, p = labels.index(pair["true"]), labels.index(pair["predicted"])
        out += [int(i) for i in np.flatnonzero((y == t) & (pred == p))[:2] if int(i) not in out]
    for c in range(len(labels)):
        out += [int(i) for i in np.flatnonzero((y == c) & (pred == c))[:1] if int(i) not in out]
    return out[:n]


def _gradcam(net: Any, ts: test_data.TestSet, idx: list[int], pred: np.ndarray, labels: list[str], out: Path
             ) -> dict[str, Any]:
    from host_tools.evaluate.gradcam import cam_split, gradcam

    split = cam_split(net)
    if split is None:
        return {"skipped": f"{type(net).__name__} has no convolution feature maps"}
    cams = gradcam(split, ts.x[idx], pred[idx])
    rows = []
    for i, cam in zip(idx, cams, strict=True):
        pix = images.to_pixels(ts.x[i], ts.mean, ts.std)
        f = images.save(images.overlay(pix, cam), out / "images" / f"gradcam_{i}.png")
        images.save(pix, out / "images" / f"image_{i}.png")
        rows.append({"index": i, "given": labels[int(ts.y[i])], "predicted": labels[int(pred[i])],
                     "explains": labels[int(pred[i])], "file": str(f.relative_to(out)),
                     "image": f"images/image_{i}.png"})
    return {"layer": split.layer, "samples": rows}


def _fgsm(net: Any, ts: test_data.TestSet, cfg: EvalConfig, clean: float, say: Say) -> dict[str, Any]:
    from host_tools.evaluate.fgsm import adversarial, robustness
    from host_tools.train.evaluate import predict

    epsilons = sorted(set(cfg.epsilons) | {0.0, cfg.eps})
    rows, signs = robustness(net, ts.x, ts.y, ts.mean, ts.std, epsilons, predict)
    at = next(r for r in rows if r["eps"] == cfg.eps)
    drop = clean - at["accuracy"]
    doc: dict[str, Any] = {"eps": cfg.eps, "bound": cfg.bound, "curve": rows, "drop": drop,
                           "within_bound": drop < cfg.bound, "units": "eps in pixel units (1.0 = the 0-255 range)"}
    say(f"FGSM: accuracy {clean:.2%} -> {at['accuracy']:.2%} at eps {cfg.eps} (drop {drop:.2%}, bound {cfg.bound:.0%}"
        f": {'within' if doc['within_bound'] else 'NOT within'})")
    if cfg.ms is not None:
        x_adv = adversarial(ts.x, signs, cfg.eps, ts.mean, ts.std)
        ckpt_pred = predict(net, x_adv).argmax(axis=1)
        clean_ms, _, _ = _logits_ms(cfg.ms, ts.x, cfg, say)
        adv_ms, where, emulated = _logits_ms(cfg.ms, x_adv, cfg, say)
        doc["ms"] = {"path": str(cfg.ms), "where": where, "emulated": emulated,
                     "clean_accuracy": float((clean_ms.argmax(1) == ts.y).mean()),
                     "adversarial_accuracy": float((adv_ms.argmax(1) == ts.y).mean()),
                     "agrees_with_checkpoint": float((adv_ms.argmax(1) == ckpt_pred).mean())}
        say(f"FGSM images through {cfg.ms.name}: accuracy {doc['ms']['adversarial_accuracy']:.2%} "
            f"(the checkpoint's predictions on them shared by {doc['ms']['agrees_with_checkpoint']:.1%})")
    return doc


def evaluate(cfg: EvalConfig, say: Say = print) -> dict[str, Any]:
    """Evaluate ``cfg.model``; writes and returns the ``eval.json`` document."""
    from host_tools.errors import ConfigError, ModelError
    from host_tools.files import sha256_file, write_json

    path = Path(cfg.model)
    kind = {".ckpt": "checkpoint", ".ms": "ms"}.get(path.suffix)
    if kind is None:
        raise ConfigError(f"{path}: evaluate takes a checkpoint (.ckpt) or a MindSpore Lite model (.ms)")
    if kind == "ms" and cfg.ms is not None:
        raise ConfigError("--ms replays a checkpoint's FGSM images; MODEL is already a .ms")
    if cfg.ms is not None and (cfg.ms.suffix != ".ms" or not cfg.ms.is_file()):
        raise ConfigError(f"--ms {cfg.ms}: {'no such file' if not cfg.ms.exists() else 'not a .ms model'}",
                          hint="give the .ms that `mindedge convert` wrote from this checkpoint's ONNX")
    lowest = min((*cfg.epsilons, cfg.eps))
    if lowest < 0:
        raise ConfigError(f"FGSM eps must be >= 0, got {lowest}")
    man = manifest.load(path) if path.is_file() else None
    if man is None:
        raise ModelError(f"{path} has no manifest" if path.is_file() else f"{path} does not exist",
                         hint="evaluate a model written by mindedge (train, export, convert)")
    chain = manifest.chain(man)
    labels = next((list(m.labels) for m in chain if m.labels), None)
    if not labels:
        raise ModelError(f"{path}: no labels in its manifest chain")
    ts = test_data.load(chain, labels, cfg.data, cfg.limit)
    say(f"evaluating {path.name} on {len(ts.y)} {ts.name} test images ...")
    net = None
    if kind == "checkpoint":
        from host_tools.export import load_checkpoint
        from host_tools.train.evaluate import predict

        net, _meta, _info = load_checkpoint(path)
        logits, where, emulated = predict(net, ts.x), "host (MindSpore)", False
    else:
        logits, where, emulated = _logits_ms(path, ts.x, cfg, say)
    summary = metrics.summarize(logits, ts.y, labels, cfg.suspects)
    pred = logits.argmax(axis=1)
    for rank, s in enumerate(summary["highest_loss"]):
        s["image"] = str(images.save(images.to_pixels(ts.x[s["index"]], ts.mean, ts.std),
                                     cfg.out / "images" / f"suspect_{rank}_{s['index']}.png").relative_to(cfg.out))
    doc: dict[str, Any] = {"schema": SCHEMA, "model": {"path": str(path), "kind": kind, "sha256": sha256_file(path)},
                           "dataset": {"name": ts.name, "images": len(ts.y), "source": str(cfg.data or "recorded")},
                           "where": where, "emulated": emulated, **summary}
    no_grad = "a .ms has no gradients here: evaluate its checkpoint (and pass this .ms with --ms)"
    if net is not None:
        idx = cfg.cam_indices or _cam_indices(summary, ts.y, pred, labels, cfg.cam_samples)
        bad = [i for i in idx if not 0 <= i < len(ts.y)]
        if bad:
            raise ConfigError(f"--cam-index {bad[0]} is not a test image (0..{len(ts.y) - 1})")
        doc["gradcam"] = _gradcam(net, ts, idx, pred, labels, cfg.out)
        doc["fgsm"] = _fgsm(net, ts, cfg, summary["accuracy"], say)
    else:
        doc["gradcam"] = doc["fgsm"] = {"skipped": no_grad}
    write_json(cfg.out / "eval.json", doc)
    return doc
