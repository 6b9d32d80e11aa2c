"""The demo's two models up to their converted ``.ms`` files and runtime accuracy (no target needed yet).

``lenet``: MNIST -> LeNet-5 -> ONNX/MindIR -> fp32/fp16 ``.ms``, accuracy on the 10,000 test images.
``photos``: cats-dogs (or a given image folder) -> frozen ImageNet MobileNetV2 with cached features and a
new head -> ONNX/MindIR -> fp32/fp16 ``.ms``, accuracy on the test split with the recorded preprocessing.
Each returns a ``Prepared`` that ``demo.run_demo`` benchmarks on the demo target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Say = Callable[[str], None]


@dataclass
class Prepared:
    """One model's artifacts and measurements before benchmarking."""

    name: str  # "lenet", "mobilenet_v2"
    title: str  # e.g. "LeNet-5 on MNIST"
    onnx: Path
    ms: dict[str, Path]  # variant -> .ms
    accuracy: dict[str, Any]  # variant -> lite_runtime.RuntimeAccuracy
    train: dict[str, Any] = field(default_factory=dict)  # test_accuracy, seconds, checkpoint, ...


def _convert_all(onnx: Path, out: Path, stem: str, variants: list[str], say: Say) -> dict[str, Path]:
    from converters.lite import ConvertOptions, convert

    return {v: convert(onnx, out / f"{stem}_{v}.ms", ConvertOptions(fp16=(v == "fp16")), say=say).output
            for v in variants}


def _export(ckpt: Path, out: Path) -> Path:
    from host_tools.export import export_checkpoint

    return next(p for p in export_checkpoint(ckpt, ["onnx", "mindir"], out) if p.suffix == ".onnx")


def _accuracy(ms_paths: dict[str, Path], x: Any, y: Any) -> dict[str, Any]:
    from host_tools.lite_runtime import ms_accuracy

    return {name: ms_accuracy(path, x, y) for name, path in ms_paths.items()}


def prepare_lenet(cfg: Any, say: Say) -> Prepared:
    """MNIST -> LeNet-5 (``cfg.epochs``) -> .ms variants -> accuracy on the full test set."""
    from host_tools.data.mnist import fetch_mnist, load_mnist
    from host_tools.data.transforms import normalize
    from host_tools.train.loop import TrainConfig, train

    out = cfg.out / "lenet"
    say("[lenet 1/4] data: MNIST")
    data_dir = cfg.data or fetch_mnist(progress=say)
    say(f"[lenet 2/4] train: LeNet-5, {cfg.epochs} epochs")
    result = train(TrainConfig(data=cfg.data, epochs=cfg.epochs, subset=cfg.subset, out=out / "train"))
    say(f"      test accuracy (MindSpore) {result.eval['test_accuracy']:.2%}")
    say("[lenet 3/4] export: ONNX + MindIR")
    onnx = _export(result.checkpoint, out / "export")
    mnist = load_mnist(cfg.data if cfg.data else data_dir)
    x_test = normalize(mnist.test_x)
    say(f"[lenet 4/4] convert + accuracy on the Lite runtime ({len(x_test)} test images)")
    ms_paths = _convert_all(onnx, out / "models", "lenet", cfg.variants, say)
    return Prepared("lenet", "LeNet-5 on MNIST", onnx, ms_paths, _accuracy(ms_paths, x_test, mnist.test_y),
                    {"test_accuracy": result.eval["test_accuracy"], "epochs": cfg.epochs,
                     "seconds": result.seconds, "checkpoint": str(result.checkpoint)})


def prepare_photos(cfg: Any, say: Say) -> Prepared:
    """cats-dogs -> MobileNetV2 (frozen, cached features, new head) -> .ms variants -> accuracy on the test split."""
    from host_tools import manifest
    from host_tools.data.recorded import required_split
    from host_tools.train.transfer import TransferConfig, train_transfer

    out = cfg.out / "mobilenet_v2"
    say(f"[photos 1/3] train: MobileNetV2 (ImageNet, frozen) + new head on {cfg.photo_data}, "
        f"{cfg.photo_size} px, cached features")
    result = train_transfer(TransferConfig(data=str(cfg.photo_data), image_size=cfg.photo_size, out=out / "train"),
                            say=lambda m: say(f"      {m}"))
    say(f"      test accuracy (MindSpore) {result.eval['test_accuracy']:.2%} "
        f"({result.eval['test_images']} test images)")
    say("[photos 2/3] export: ONNX + MindIR")
    onnx = _export(result.checkpoint, out / "export")
    test = required_split(manifest.load(onnx))
    say(f"[photos 3/3] convert + accuracy on the Lite runtime ({len(test.y)} {test.display} test images)")
    ms_paths = _convert_all(onnx, out / "models", "mobilenet_v2", cfg.variants, say)
    return Prepared("mobilenet_v2", f"MobileNetV2 transfer learning on {test.display}", onnx, ms_paths,
                    _accuracy(ms_paths, test.x, test.y),
                    {"test_accuracy": result.eval["test_accuracy"], "image_size": cfg.photo_size,
                     "seconds": round(result.seconds, 1), "cache": result.cache,
                     "checkpoint": str(result.checkpoint), "labels": result.eval.get("labels")})
