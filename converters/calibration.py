"""Full-int8 calibration samples from the dataset a model's manifest records (its training images, preprocessed
as recorded), for ``mindedge convert --quant full8`` without ``--calibration``."""

from __future__ import annotations

from pathlib import Path

from converters import quant
from host_tools import manifest
from host_tools.errors import ConfigError, MindedgeError

DEFAULT_SAMPLES = 100


def recorded_calibration(src: Path, folder: Path, n: int = DEFAULT_SAMPLES, seed: int = 0) -> tuple[Path, str]:
    """Write ``n`` seeded training images of ``src``'s recorded dataset into ``folder`` as the converter's
    calibration ``.bin`` files; returns (folder, what they are). ConfigError when there is no such dataset."""
    from host_tools.data.recorded import required_split

    man = manifest.load(Path(src))
    if man is None:
        raise ConfigError(f"{src} has no manifest, so there is no recorded dataset to calibrate on",
                          hint="give --calibration DIR (float32 NHWC .bin samples)")
    try:
        train = required_split(man, n, "train", seed=seed)
    except MindedgeError as e:
        raise ConfigError(f"cannot calibrate on {src.name}'s recorded training images: {e.message}",
                          hint="give --calibration DIR (float32 NHWC .bin samples)") from e
    quant.write_calibration(train.x, folder)
    return folder, f"{len(train.y)} {train.display} training images (seed {seed})"
