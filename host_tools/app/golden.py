"""The real model and photos of the app's JNI tests: torchvision's ImageNet MobileNetV2 (the pinned weights of
``models/weights``, 1000 classes, resize 256 / crop 224, ImageNet mean-std) exported to ONNX and converted to
an fp32 ``.ms`` with its manifest chain, as any model of mindedge; and scikit-image's sample photos (a cat, an
espresso, an astronaut). Like TensorFlow's example app, the golden test knows what the photos are: the cat
gives only cat classes in its top 3, the espresso ImageNet's class 967 (``GoldenPhotoTest``).

The model is built once into ``<build>/app/golden`` and rebuilt when its key (the weights' checksum and the
MindSpore and Lite versions) changes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from host_tools import paths
from host_tools.files import write_json

Say = Callable[[str], object]
STEM = "mobilenet_v2_imagenet"
# ImageNet class indices of the golden expectations (the model's labels are the indices themselves)
CAT_CLASSES = ("281", "282", "283", "284", "285")  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = "967"


def _key(say: Say) -> dict[str, str]:
    """What the built model depends on; fetches (and verifies) the weights on the way."""
    import mindspore

    from host_tools.models.weights import weights_sha256
    from host_tools.sdk import LITE_VERSION

    return {"weights_sha256": weights_sha256("mobilenet_v2", progress=say), "mindspore": mindspore.__version__,
            "lite": LITE_VERSION, "variants": "fp32,fp16"}


def golden_model(say: Say = print) -> Path:
    """The golden fp32 ``.ms`` (with its manifest, its fp16 twin, and the ONNX and checkpoint they came from)."""
    folder = paths.build_dir() / "app" / "golden"
    ms_path = folder / f"{STEM}.ms"
    stamp = folder / "KEY.json"
    key = _key(say)
    if ms_path.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == key:
        return ms_path
    say("building the golden model: ImageNet MobileNetV2 -> ONNX -> fp32 .ms ...")
    shutil.rmtree(folder, ignore_errors=True)  # built in place (the manifests name their parents' paths); KEY last
    folder.mkdir(parents=True)
    _build(folder, say)
    write_json(stamp, key)
    return ms_path


def _build(folder: Path, say: Say) -> None:
    from converters.lite import ConvertOptions, convert
    from host_tools import msenv
    from host_tools.export import export_checkpoint
    from host_tools.models import weights
    from host_tools.models.mobilenet_v2 import MobileNetV2Classifier
    from host_tools.models.registry import IMAGENET_LABELS, model_info
    from host_tools.train.checkpoint import save_checkpoint

    msenv.graph_mode_cpu()
    net = MobileNetV2Classifier()
    weights.load_backbone(net, "mobilenet_v2", progress=say)
    net.set_train(False)
    info = model_info("mobilenet_v2")
    ckpt = save_checkpoint(net, folder / f"{STEM}.ckpt", "mobilenet_v2", dict(info.normalization or {}),
                           list(IMAGENET_LABELS), extra={"weights": "mobilenet_v2 (torchvision ImageNet)"})
    (onnx,) = export_checkpoint(ckpt, ["onnx"], folder)
    convert(onnx, folder / f"{STEM}.ms", ConvertOptions(verify_samples=4), say=lambda _m: None)
    convert(onnx, folder / f"{STEM}_fp16.ms", ConvertOptions(fp16=True, verify_samples=4), say=lambda _m: None)


def fp16_twin(golden: Path) -> Path:
    """The fp16 twin ``golden_model`` builds beside the fp32 model (the same ONNX converted with ``--fp16=on``)."""
    return golden.with_name(f"{STEM}_fp16.ms")
