"""Feature cache targets, measured side by side in one run (issue 10).

1. A head epoch on cached features vs an epoch that runs the frozen backbone on the same images with the
   same head (both through ``train.fit``: the second feeds the photos through ``backbone -> head`` with
   only the head's parameters trained and the backbone's BatchNorms in eval mode). Each trains 2 epochs
   and the second (steady: graph compiled) is compared. Target: >= 50x.
2. ``mindedge train mobilenet_v2 --data cats-dogs`` twice, each a whole command in a subprocess (start-up
   included), in a fresh MINDEDGE_HOME whose ``features/`` starts empty; ``downloads/``, ``data/`` and
   ``weights/`` are links to the real cache (the set-up of ``make demo``), so the first run differs from the
   second only by computing the features. Target: cold / warm >= 4x.

    .venv/bin/python benchmarks/feature_cache.py [--images 384] [--image-size S (default: the command's)] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from host_tools.train.transfer import TransferConfig

HEAD_TARGET = 50.0
WARM_TARGET = 4.0


def epoch_ratio(n_images: int, size: int) -> tuple[float, float]:
    """(steady backbone+head epoch s, steady cached head epoch s) on the first ``n_images`` training photos."""
    from host_tools import msenv
    from host_tools.data.features import FeatureStore, extract_features
    from host_tools.data.images import load_image_folder, read_rgb, resolve_data
    from host_tools.data.preprocess import Preprocess
    from host_tools.models.mobilenet_v2 import MobileNetV2Classifier
    from host_tools.models.weights import load_backbone, weights_sha256
    from host_tools.train.fit import Arrays, FitConfig, cross_entropy, fit
    from host_tools.train.transfer_finetune import PhotoInputs, frozen_batchnorm_loss, frozen_batchnorms

    msenv.graph_mode_cpu(0)
    folder = load_image_folder(resolve_data("cats-dogs", progress=lambda _: None))
    items = folder.splits["train"]
    rng = np.random.default_rng(0)
    items = [items[i] for i in sorted(rng.choice(len(items), min(n_images, len(items)), replace=False))]
    paths, y = [it.path for it in items], np.array([it.label for it in items])
    pre = Preprocess.for_size(size)
    net = MobileNetV2Classifier(num_classes=len(folder.classes))
    load_backbone(net, progress=lambda _: None)
    feats, _ = extract_features(net.backbone, paths, pre, weights=weights_sha256("mobilenet_v2"),
                                feature_dim=net.feature_dim, store=FeatureStore(net.feature_dim))
    cfg = FitConfig(epochs=2, batch_size=64, lr=1e-3)
    cached = fit(net.head, Arrays(feats["orig"]), y, cfg)
    loss = frozen_batchnorm_loss(cross_entropy(net), frozen_batchnorms(net, []))
    through = fit(net, PhotoInputs(paths, pre, read_rgb, flip=0.0), y, cfg, loss_cell=loss,
                  params=list(net.head.trainable_params()))
    return through.epoch_seconds[-1], cached.epoch_seconds[-1]


def fresh_home(root: Path) -> dict[str, str]:
    """The environment of a MINDEDGE_HOME at ``root`` sharing the real downloads, data and weights."""
    from host_tools import paths

    real = paths.home()
    root.mkdir(parents=True, exist_ok=True)
    for name in ("downloads", "data", "weights"):
        if (real / name).is_dir():
            os.symlink(real / name, root / name)
    env = dict(os.environ, MINDEDGE_HOME=str(root))
    return env


def timed_cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    exe = Path(sys.executable).with_name("mindedge")
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"mindedge {' '.join(args)} failed with exit {proc.returncode}")
    return dt, proc.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=384, help="training photos in the epoch comparison")
    ap.add_argument("--image-size", type=int, default=TransferConfig().image_size)
    ap.add_argument("--keep", type=Path, default=None, help="use this folder as the fresh home and keep it")
    args = ap.parse_args()
    from host_tools.data.images import resolve_data

    resolve_data("cats-dogs", progress=lambda msg: print(msg, file=sys.stderr))  # set-up, not measured

    tmp = Path(tempfile.mkdtemp(prefix="feature-cache-")) if args.keep is None else args.keep
    try:
        env = fresh_home(tmp / "home")
        cli = ["train", "mobilenet_v2", "--data", "cats-dogs", "--image-size", str(args.image_size),
               "--out", str(tmp / "run")]
        cold, cold_out = timed_cli(cli, env)
        extraction = json.loads((tmp / "run" / "eval.json").read_text())["cache"]
        warm, warm_out = timed_cli(cli, env)
        print(f"cold: {cold:6.1f} s  {cold_out}")
        print(f"      (features: {extraction['misses']} computed in {extraction['seconds']:.1f} s, "
              f"{extraction['images_per_s']:.1f} img/s)")
        print(f"warm: {warm:6.1f} s  {warm_out}")
        through, cached = epoch_ratio(args.images, args.image_size)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    head_ratio, warm_ratio = through / cached, cold / warm
    print(f"epoch on {args.images} photos at {args.image_size} px: through the backbone {through:.2f} s, "
          f"on cached features {cached * 1000:.1f} ms")
    results = [(f"head epoch on cached features >= {HEAD_TARGET:g}x faster than through the backbone",
                head_ratio >= HEAD_TARGET, f"{head_ratio:.0f}x"),
               (f"warm `mindedge train mobilenet_v2` >= {WARM_TARGET:g}x faster than cold", warm_ratio >= WARM_TARGET,
                f"{warm_ratio:.1f}x ({cold:.1f} s / {warm:.1f} s)")]
    for name, ok, detail in results:
        print(f"{'MET ' if ok else 'MISS'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
