"""Write a trained net as ``<name>.ckpt`` with its checkpoint manifest (train and every compress variant).

The manifest says which registered model the file holds (``extra.model``, constructor arguments in
``extra.model_kwargs``), how its inputs are normalized, the class names and the dataset it was trained on
(``extra.dataset``); export reads all of it back (``host_tools.export.load_checkpoint``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_tools import manifest, msenv
from host_tools.models.registry import model_info


def save_checkpoint(net: Any, path: Path, model: str, normalization: dict[str, Any], labels: list[str],
                    dataset: dict[str, Any] | None = None, model_kwargs: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None, input_shape: tuple[int, ...] | None = None) -> Path:
    """Save ``net`` (a registered ``model``) to ``path`` (mode 0644) and write its manifest; returns ``path``.

    ``input_shape`` (one sample, CHW) is the registry's unless given (a model trained at another image size).
    """
    ms = msenv.import_mindspore()
    info = model_info(model)
    path = Path(path)
    msenv.save_checkpoint(net, path)
    more: dict[str, Any] = {"model": model}
    if model_kwargs:
        more["model_kwargs"] = dict(model_kwargs)
    if dataset is not None:
        more["dataset"] = dict(dataset)
    more.update(extra or {})
    m = manifest.describe(
        path,
        "checkpoint",
        inputs=[manifest.TensorSpec("x", [1, *(input_shape or info.input_shape)], layout=info.layout)],
        outputs=[manifest.TensorSpec("logits", [1, len(labels)], layout="NC")],
        normalization=dict(normalization),
        labels=list(labels),
        tools={"mindspore": ms.__version__},
        extra=more,
    )
    manifest.save(m, path)
    return path
