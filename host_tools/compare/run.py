"""``run_compare``: every architecture on the same photos, split and epoch budget, judged through its ``.ms``.

CLI: ``mindedge compare-archs`` (host_tools/cli_compare.py; its defaults are ``CompareConfig``'s). The image
folder is scanned and split once; each architecture is trained on that split (``compare.train``: pretrained
and frozen where the registry has ImageNet weights, else from scratch), then exported, converted and run
(``compare.measure``), and all converted ones are benchmarked together in interleaved rounds on the local
target. An architecture failing at a stage keeps its row with the stage and the error; the others go on.
Writes ``OUT/compare.json`` (schema ``mindedge.compare/1``) and returns the same dict; ``render_table``
prints it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from host_tools import table
from host_tools.compare.measure import STAGE_ERRORS, STAGES, after_training, bench_all, fail
from host_tools.errors import ConfigError

Say = Callable[[str], object]
SCHEMA = "mindedge.compare/1"
DEFAULT_ARCHS = ("mobilenet_v2", "efficientnet_lite0", "resnet20", "vit_tiny")
BENCH_ROUNDS = 3
__all__ = ["DEFAULT_ARCHS", "SCHEMA", "STAGES", "CompareConfig", "check_archs", "photo_archs", "render_table",
           "run_compare"]


@dataclass
class CompareConfig:
    """Options of ``mindedge compare-archs``; see ``run_compare``."""

    data: str = "cats-dogs"  # an image folder, or "cats-dogs" (fetched when missing)
    archs: list[str] = field(default_factory=lambda: list(DEFAULT_ARCHS))
    out: Path = Path("runs/compare")
    epochs: int = 15  # every arch: head epochs (pretrained) or whole-network epochs (scratch)
    image_size: int = 128  # input side of the pretrained archs; scratch archs train at their registered size
    patience: int = 15  # epochs without a better val accuracy before stopping (every arch)
    min_epochs: int = 10  # the best epoch is chosen from this one on (capped at epochs)
    batch_size: int = 64  # scratch training
    lr: float = 1e-3  # scratch: Adam peak learning rate, cosine decay to min_lr (the heads' own schedule)
    min_lr: float = 1e-5
    weight_decay: float = 1e-4  # scratch: L2 on kernels and weight matrices
    loops: int = 200  # timed runs per arch and round
    warmup: int = 20
    threads: int = 1
    cpu_bind: int = 1  # device_bench --cpuBindMode, as `mindedge compress`
    seed: int = 0
    split_seed: int = 0  # the seeded split of folders without train/val/test
    ratios: list[float] = field(default_factory=lambda: [0.7, 0.1, 0.2])
    store: bool = False  # also write the bench runs into the results store (``workspace``)
    workspace: Path | None = None

    def __post_init__(self) -> None:
        checks = {"epochs": self.epochs >= 1, "image_size": self.image_size >= 32, "patience": self.patience >= 1,
                  "min_epochs": self.min_epochs >= 1, "batch_size": self.batch_size >= 1,
                  "lr": 0 < self.min_lr <= self.lr, "weight_decay": self.weight_decay >= 0, "loops": self.loops >= 1,
                  "warmup": self.warmup >= 0, "threads": self.threads >= 1}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid compare-archs options: {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)}",
                              hint="epochs, patience, batch size, loops, threads >= 1; image size >= 32; "
                                   "0 < min_lr <= lr; warmup, weight decay >= 0")


def photo_archs() -> list[str]:
    """The registered classifiers of RGB photos (the architectures compare-archs can train)."""
    from host_tools.data.preprocess import INPUT
    from host_tools.models.registry import list_models, model_info

    return [n for n in list_models() if model_info(n).normalization.get("input") == INPUT]


def check_archs(archs: list[str]) -> list[str]:
    """``archs`` without blanks and repeats; ConfigError naming the valid ones for an unknown or empty list."""
    wanted = list(dict.fromkeys(a.strip() for a in archs if a.strip()))
    valid = photo_archs()
    unknown = [a for a in wanted if a not in valid]
    if unknown or not wanted:
        what = f"unknown architecture(s): {', '.join(unknown)}" if unknown else "no architecture given"
        raise ConfigError(what, hint=f"valid architectures: {', '.join(valid)}")
    return wanted


def _row(arch: str) -> dict[str, Any]:
    from host_tools.models.registry import model_info

    weights = model_info(arch).pretrained
    return {"name": arch, "pretrained": weights is not None, "weights": weights,
            "training": "ImageNet backbone frozen, new head" if weights else "from scratch",
            "status": "running", "stage": None, "error": None}


def _train(row: dict[str, Any], folder: Any, cfg: CompareConfig, out: Path, say: Say) -> Path | None:
    from host_tools.compare.train import train_pretrained, train_scratch

    arch = row["name"]
    how = f"ImageNet {row['weights']} frozen + new head at {cfg.image_size} px" if row["pretrained"] \
        else "from scratch at its own input size"
    say(f"[{arch}] train: {how}, {cfg.epochs} epochs")
    try:
        trainer = train_pretrained if row["pretrained"] else train_scratch
        got = trainer(arch, folder, cfg, out / "train", lambda m: say(f"[{arch}]   {m}"))
    except STAGE_ERRORS as e:
        fail(row, "train", e, say)
        return None
    row.update(input_size=got.input_size, mindspore_accuracy=got.mindspore_accuracy,
               mindspore_test_images=got.test_images, train_seconds=round(got.seconds, 1), epochs_run=got.epochs_run,
               best_epoch=got.best_epoch, checkpoint=str(got.checkpoint), **got.extra)
    return got.checkpoint


def run_compare(cfg: CompareConfig, say: Say = print) -> dict[str, Any]:
    """Train, export, convert, measure and benchmark every ``cfg.archs``; writes ``cfg.out/compare.json``.

    Unknown architectures and bad data are errors before any training; later failures are rows.
    """
    from host_tools.data.images import load_image_folder, resolve_data
    from host_tools.manifest import write_json

    archs = check_archs(cfg.archs)
    t0 = time.perf_counter()
    folder = load_image_folder(resolve_data(cfg.data, say), ratios=tuple(cfg.ratios), seed=cfg.split_seed, say=say)
    record = folder.record()
    out = Path(cfg.out)
    say(f"[data] {record['name']}: {record['counts']} images, classes {', '.join(folder.classes)}")
    rows = []
    for arch in archs:
        row = _row(arch)
        rows.append(row)
        ckpt = _train(row, folder, cfg, out / arch, say)
        if ckpt is not None:
            after_training(row, ckpt, out / arch, cfg.threads, say)
    bench_all(rows, cfg, BENCH_ROUNDS, say)
    summary = {
        "schema": SCHEMA,
        "config": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()}, "archs": archs},
        "data": {k: record[k] for k in ("name", "path", "classes", "counts", "split", "listing_sha256")},
        "test_images": len(folder.splits["test"]),
        "target": "local",
        "bench_rounds": BENCH_ROUNDS,
        "archs": rows,
        "ok": sum(r["status"] == "ok" for r in rows),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "compare.json", summary)
    return summary


def _f(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def render_table(summary: dict[str, Any]) -> str:
    """The terminal table of a ``compare.json`` document, the failed archs' errors below it."""
    head = ("arch", "weights", "input", "acc (.ms)", "acc (MS)", "params", "MFLOPs", ".ms bytes", "p50 ms",
            "p90 ms", "train s", "status")
    rows, errors = [], []
    for r in summary["archs"]:
        status = "ok" if r["status"] == "ok" else f"failed: {r['stage']}"
        rows.append((r["name"], "pretrained" if r["pretrained"] else "scratch",
                     _f(r.get("input_size"), "d"), _f(r.get("test_accuracy"), ".2%"),
                     _f(r.get("mindspore_accuracy"), ".2%"), _f(r.get("params"), ","),
                     _f(r["flops"] / 1e6 if r.get("flops") else None, ".1f"), _f(r.get("ms_bytes"), ","),
                     _f(r.get("p50_ms"), ".3f"), _f(r.get("p90_ms"), ".3f"), _f(r.get("train_seconds"), ".1f"),
                     status))
        if r["status"] != "ok":
            errors.append(f"  {r['name']} ({r['stage']}): {r['error']}")
    d = summary["data"]
    cfg = summary["config"]
    lines = [table.render_table(rows, head, right=list(range(2, len(head) - 1))),
             f"{d['name']}: {d['counts']['train']} training / {d['counts']['val']} val / {summary['test_images']} test "
             f"photos, the same split for every arch; {cfg['epochs']} epochs each; accuracy through the fp32 .ms on "
             f"the Lite runtime; latency on the local target, {cfg['threads']} thread(s), median of "
             f"{summary['bench_rounds']} interleaved rounds x {cfg['loops']} runs"]
    cached = [f"{r['name']} {r['cache']['hits']} cached / {r['cache']['misses']} computed" for r in summary["archs"]
              if r.get("cache")]
    if cached:
        lines.append("train s: the whole training stage, the frozen backbones' features included (" + "; ".join(cached)
                     + ")")
    if errors:
        lines += ["failed architectures:", *errors]
    return "\n".join(lines)
