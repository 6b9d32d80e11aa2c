"""The stages after training of one architecture, each failure recorded with its stage in the arch's row.

export (``export.export_checkpoint`` to ONNX; params and FLOPs counted on it with ``compress.flops.count``)
-> convert (``converters.lite.convert``: fp32 ``.ms`` verified against ONNX Runtime on test photos)
-> runtime (accuracy of the ``.ms`` on the Lite runtime over the test split its manifest records,
``data.recorded.required_split`` + ``lite_runtime.ms_accuracy``). The benchmark of every converted arch
runs afterwards, interleaved (``compress.measure.benchmark``), so all see the same machine load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from host_tools.errors import MindedgeError

Say = Callable[[str], object]
STAGES = ("train", "export", "convert", "runtime", "bench")
# what a stage may raise besides MindedgeError: MindSpore reports its failures (an op it cannot export, a
# shape it cannot compile) as these; anything else is a bug and propagates
STAGE_ERRORS = (MindedgeError, RuntimeError, ValueError, TypeError, OSError)


def error_text(e: BaseException) -> str:
    """One line: a MindedgeError's message (and hint), else the exception's type and first line."""
    if isinstance(e, MindedgeError):
        return str(e)
    first = (str(e).strip().splitlines() or [""])[0]
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


def fail(row: dict[str, Any], stage: str, e: BaseException, say: Say) -> None:
    """Mark ``row`` failed at ``stage`` with ``e``'s one-line error."""
    row.update(status="failed", stage=stage, error=error_text(e))
    say(f"[{row['name']}] FAILED at {stage}: {row['error']}")


def export_onnx(ckpt: Path, out: Path) -> Path:
    from host_tools.export import export_checkpoint

    return export_checkpoint(ckpt, ["onnx"], out)[0]


def convert_fp32(onnx: Path, ms_path: Path) -> Any:
    """A verified fp32 ``.ms`` (``ConvertResult``); a model outside the fp32 tolerance is not written."""
    from converters.lite import ConvertOptions, convert

    return convert(onnx, ms_path, ConvertOptions(), say=lambda _: None)


def after_training(row: dict[str, Any], ckpt: Path, out: Path, threads: int, say: Say) -> None:
    """Export, convert and run ``ckpt`` on the test split, filling ``row``; stops at the first failing stage."""
    from converters.lite import RuntimeCheckError
    from host_tools import manifest
    from host_tools.compress.flops import count
    from host_tools.data.recorded import required_split
    from host_tools.lite_runtime import ms_accuracy

    name = row["name"]
    try:
        onnx = export_onnx(ckpt, out / "export")
        row["onnx"] = str(onnx)
        row.update(count(onnx))
    except STAGE_ERRORS as e:
        return fail(row, "export", e, say)
    try:
        converted = convert_fp32(onnx, out / f"{name}.ms")
    except RuntimeCheckError as e:  # converted, but the runtime cannot load or run it
        row["ms_bytes"] = e.ms_bytes or None
        return fail(row, "runtime", e, say)
    except STAGE_ERRORS as e:
        return fail(row, "convert", e, say)
    ms_path = converted.output
    a = converted.verification
    row.update(ms_path=str(ms_path), ms_bytes=ms_path.stat().st_size,
               verification=a.to_dict() if a is not None else None)
    try:
        man = manifest.load(ms_path)
        test = required_split(man)
        acc = ms_accuracy(ms_path, test.x, test.y, threads=threads)
    except STAGE_ERRORS as e:
        return fail(row, "runtime", e, say)
    dataset = (man.extra or {}).get("dataset") or {}
    row.update(test_accuracy=acc.accuracy, test_images=acc.images, test_correct=acc.correct,
               split_sha256=dataset.get("listing_sha256"), status="ok")
    say(f"[{name}] .ms {row['ms_bytes']:,} bytes, accuracy on the Lite runtime {acc.accuracy:.2%} "
        f"({acc.correct}/{acc.images}; MindSpore {row['mindspore_accuracy']:.2%})")


def bench_all(rows: list[dict[str, Any]], cfg: Any, rounds: int, say: Say) -> None:
    """Interleaved rounds over every ``ok`` row's ``.ms`` on the local target; adds p50/p90 (the median-p50
    round's) or marks the row failed at ``bench``."""
    from host_tools.compress.measure import benchmark

    ok = [r for r in rows if r["status"] == "ok"]
    try:
        benchmark(ok, cfg, rounds, say)
    except STAGE_ERRORS as e:  # the whole benchmark could not start (no device_bench build, ...)
        for r in ok:
            fail(r, "bench", e, say)
        return
    for r in ok:
        if r["status"] != "ok":  # benchmark() marked it failed
            r["stage"] = "bench"
            continue
        r["p90_ms"] = r["bench"]["latency_ms"]["p90"]
