"""What the ais_bench and msame stand-ins share: the emulated ``.om`` loaded into ONNX Runtime (one thread),
its input files read as the NPU would take them (uint8 NHWC through AIPP, else float32), one timed run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from converters.aipp import Aipp
from host_tools.emulator.ascend import om_file
from host_tools.emulator.ascend.npu import NpuConfig


class StandInError(Exception):
    """A failure the real tool reports with an [ERROR] line."""


@dataclass
class LoadedOm:
    path: Path
    meta: dict[str, Any]
    session: Any  # onnxruntime.InferenceSession
    aipp: Aipp | None

    @property
    def input_shape(self) -> list[int]:
        return [int(d) for d in self.meta["input"]["shape"]]

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self.meta["input"]["dtype"])

    def read_input(self, f: Path) -> np.ndarray:
        data = np.fromfile(f, dtype=self.input_dtype)
        want = int(np.prod(self.input_shape))
        if data.size != want:
            raise StandInError(f"input file {f} has {data.size * self.input_dtype.itemsize} bytes, the model takes "
                               f"{want * self.input_dtype.itemsize} ({self.meta['input']['dtype']} "
                               f"{self.input_shape})")
        return data.reshape(self.input_shape)

    def pure_input(self, kind: str) -> np.ndarray:
        if kind == "random":
            rng = np.random.default_rng(0)
            if self.input_dtype == np.uint8:
                return rng.integers(0, 256, self.input_shape, dtype=np.uint8)
            return rng.standard_normal(self.input_shape).astype(np.float32)
        return np.zeros(self.input_shape, self.input_dtype)

    def infer(self, x: np.ndarray) -> tuple[list[np.ndarray], float]:
        """The outputs and the compute time in ms (AIPP included, as it runs on the NPU)."""
        start = time.perf_counter()
        fed = self.aipp.apply(x) if self.aipp is not None else x
        outs = self.session.run(None, {self.meta["input"]["name"]: fed})
        return outs, (time.perf_counter() - start) * 1000


def load_om(path: Path, cfg: NpuConfig) -> LoadedOm:
    """The model, or StandInError as the real tools fail to load it (not an .om, another soc)."""
    import onnxruntime as ort

    try:
        om = om_file.read(path)
    except (OSError, ValueError) as e:
        raise StandInError(f"load model from file failed, model file is {path}: {e}") from None
    soc = om.meta.get("soc_version")
    if soc != cfg.soc_version:
        raise StandInError(f"load model from file failed, model file is {path}: it was built for {soc} and this "
                           f"NPU is {cfg.soc_version}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(om.onnx, opts, providers=["CPUExecutionProvider"])
    rec = om.meta.get("aipp")
    aipp = Aipp(input_format=rec["input_format"], width=rec["src_image_size_w"], height=rec["src_image_size_h"],
                min_chn=tuple(rec["min_chn"]), var_reci_chn=tuple(rec["var_reci_chn"]),
                mean_chn=tuple(rec["mean_chn"])) if rec else None
    return LoadedOm(path, om.meta, session, aipp)


def input_files(spec: str) -> list[Path]:
    """``--input``: comma-separated files, or folders of them (sorted)."""
    files: list[Path] = []
    for part in filter(None, spec.split(",")):
        p = Path(part)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise StandInError(f"input path {p} does not exist")
    if not files:
        raise StandInError(f"no input files in {spec}")
    return files


def save_output(arr: np.ndarray, dst: Path, fmt: str) -> None:
    if fmt == "NPY":
        np.save(dst.with_suffix(".npy"), arr)
    elif fmt == "TXT":
        np.savetxt(dst.with_suffix(".txt"), arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr)
    else:
        arr.tofile(dst.with_suffix(".bin"))


def exit_code(run: Callable[[], int], interrupted: str | None = None) -> int:
    """``run()``'s exit code, a StandInError as the tools' ``[ERROR]`` line and exit 1, Ctrl-C as 130."""
    try:
        return run()
    except StandInError as e:
        print(f"[ERROR] {e}", flush=True)
        return 1
    except KeyboardInterrupt:
        if interrupted:
            print(interrupted, flush=True)
        return 130
