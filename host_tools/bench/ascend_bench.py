"""``mindedge bench MODEL.om --target ssh:BOARD``: an Ascend ``.om`` timed by the board's own tool.

The board is asked what it has (``targets/ascend_board``): ais_bench (``python3 -m ais_bench``), ``msit
benchmark`` or msame, npu-smi and the chip, whose soc must be the one the ``.om`` was built for. The
``.om`` and its inputs (``om_inputs``) go to a scratch folder under the deploy folder; then three runs:

1. timing: ``--loop N --warmup_count W --device D`` on the first sample (or ais_bench's zero/random data);
   the per-run latencies from ``*_summary.json``'s ``npu_compute_time_list`` (msame: its per-run lines);
2. power: the same, repeated ``--power-seconds`` long, while ``npu-smi info watch`` samples (``npu_power``),
   after an idle baseline; skipped with the reason when the board measures no power (310, refused, NA);
3. accuracy: every sample once, the outputs pulled back and scored against ONNX Runtime on the parent ONNX
   and the labels (``output_agreement``).

The result is stored as ``ascend:USER@HOST`` (target kind ``ascend``, with chip, soc, CANN, driver and
``emulated``). Ctrl-C or a lost board keeps what was measured: the result is stored as interrupted.
"""

from __future__ import annotations

import contextlib
import io
import math
import posixpath
import signal
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from host_tools import __version__, manifest
from host_tools.bench import om_inputs
from host_tools.bench.ascend_parse import parse_ais_bench_stdout, parse_ais_bench_summary, parse_msame
from host_tools.bench.log_import import latency_stats
from host_tools.bench.npu_power import WatchSampler, unavailable
from host_tools.bench.output_agreement import score
from host_tools.bench.reference import parent_onnx_of
from host_tools.bench.result import BenchResult, LatencyStats, ModelInfo
from host_tools.bench.session import BenchRun
from host_tools.bench.store import open_store
from host_tools.bench.tool_run import ToolRun
from host_tools.errors import BenchmarkError, ConfigError, DeviceError, ModelError
from host_tools.files import sha256_file
from host_tools.targets.ascend_board import AscendBoard, probe
from host_tools.targets.base import Target, new_token
from host_tools.targets.push import Item

Say = Callable[[str], object]
OM_MAGIC = b"IMOD"  # ATC's ModelFileHeader magic 0x444F4D49
MSAME_MAX_LOOP = 100
IDLE_TIMEOUT_S = 15.0
# what ais_bench/msit (and msame) print as their timed loop starts and once it is over (FORMATS.md 2.2, 2.4)
LOAD_STARTS = ("warm up", "Inference time:")
LOAD_ENDS = ("loop inference exec", "Performance Summary", "Inference average time")


@dataclass
class OmBenchOptions:
    loops: int = 100
    warmup: int = 10
    npu_id: int = 0
    samples: int = 100
    accuracy: bool | None = None  # None: when the parent ONNX is there
    threshold_pct: float = 0.5
    power: bool = True
    power_seconds: float = 10.0
    idle_samples: int = 3
    tool: str = "auto"  # auto | ais_bench | msit | msame
    pure_data: str | None = None  # zero | random: ais_bench's own data for the timing run
    variant: str | None = None


@dataclass
class Measured:
    """What the runs gave so far (kept when a later run is interrupted or the board is lost)."""

    timing: ToolRun | None = None
    power: dict[str, Any] | None = None
    device_state: dict[str, Any] | None = None
    accuracy: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def check_om(path: Path) -> manifest.Manifest | None:
    if not path.is_file():
        raise ModelError(f"{path} does not exist")
    with open(path, "rb") as f:
        if f.read(4) != OM_MAGIC:
            raise ModelError(f"{path} is not an .om model (no ATC header): corrupt, or another format",
                             hint="convert the ONNX with `mindedge convert MODEL.onnx --to om`")
    return manifest.load(path)


def check_soc(man: manifest.Manifest | None, board: AscendBoard, om: Path) -> list[str]:
    """Refuse an .om built for another soc than the board's chip; warnings when it cannot be checked."""
    built = (man.extra or {}).get("soc_version") if man else None
    chip = board.chip
    if not built or not chip:
        return [f"cannot check that {om.name} fits the board's NPU: "
                + ("the .om has no manifest" if not built else "npu-smi did not name the chip")]
    if built != f"Ascend{chip}":
        raise ConfigError(f"{om.name} was built for {built}, the board's NPU is Ascend{chip}: an .om runs only on "
                          "the soc it was compiled for",
                          hint=f"convert again with --soc Ascend{chip} (or `--on ssh:BOARD` to read it from npu-smi)")
    return []


class OmBench:
    """One .om on one board (see the module doc)."""

    def __init__(self, model: Path, target: Target, opts: OmBenchOptions, say: Say) -> None:
        self.model, self.target, self.opts, self.say = model, target, opts, say
        self.man = check_om(model)
        props = target.properties()
        if props.get("kind") != "ssh":
            raise ConfigError(f"{model.name} is an Ascend .om: it runs on an Ascend board, not on {target.name}",
                              hint="use --target ssh:BOARD (an Atlas 200 DK / 200I DK A2 / Orange Pi AIpro)")
        self.props = props
        self.board = probe(target)
        self.tool = self.board.bench_tool(opts.tool)
        self.measured = Measured(warnings=check_soc(self.man, self.board, model))
        self.sha256 = sha256_file(model)
        self.scratch = posixpath.join(target.root, "ascend", f"{model.stem}-{self.sha256[:12]}")
        self.out = posixpath.join(self.scratch, f"out-{new_token()}")
        self.emulated = props.get("emulated") == "true"

    # -- the tool's command lines ------------------------------------------------------------------------------
    def argv(self, inputs: str | None, dirname: str, loop: int, warmup: int) -> list[str]:
        om, dev = posixpath.join(self.scratch, self.model.name), str(self.opts.npu_id)
        if self.tool == "msame":
            return [str(self.board.msame), "--model", om, *(["--input", inputs] if inputs else []), "--output",
                    posixpath.join(self.out, dirname), "--outfmt", "BIN", "--loop", str(loop), "--device", dev]
        if self.tool == "msit":  # msit benchmark spells ais_bench's flags with dashes (FORMATS.md 2.1)
            data = ["--input", inputs] if inputs else ["--pure-data-type", self.opts.pure_data or "zero"]
            return [str(self.board.msit), "benchmark", "--om-model", om, *data, "--output", self.out,
                    "--output-dirname", dirname, "--outfmt", "BIN", "--loop", str(loop), "--warmup-count",
                    str(warmup), "--device", dev]
        data = ["--input", inputs] if inputs else ["--pure_data_type", self.opts.pure_data or "zero"]
        return ["python3", "-m", "ais_bench", "--model", om, *data, "--output", self.out, "--output_dirname", dirname,
                "--outfmt", "BIN", "--loop", str(loop), "--warmup_count", str(warmup), "--device", dev]

    def run_tool(self, argv: list[str], what: str, on_text: Callable[[str], None] | None = None) -> str:
        """Run the tool to the end (Ctrl-C: INT down the channel, then KeyboardInterrupt); its stdout.
        ``on_text`` sees the stdout as it arrives."""
        def watch(stream: int, data: bytes) -> None:
            if stream == 1 and on_text is not None:
                on_text(data.decode(errors="replace"))

        run = self.target.start(self.board.shell(argv), on_output=watch)
        try:
            res = run.wait()
        except KeyboardInterrupt:
            run.signal(signal.SIGINT)
            try:
                run.wait()
            finally:
                raise KeyboardInterrupt from None
        text = res.stdout
        if res.exit_code != 0:
            errors = [ln.strip() for ln in (text + res.stderr).splitlines() if "[ERROR]" in ln or "Error" in ln]
            raise BenchmarkError(f"{self.tool} failed in the {what} run (exit {res.exit_code}): "
                                 f"{errors[0] if errors else (res.stderr.strip() or 'no message')[-300:]}",
                                 detail=text + res.stderr)
        return text

    def parse(self, stdout: str, dirname: str, tmp: Path) -> ToolRun:
        if self.tool == "msame":
            return parse_msame(stdout)
        try:
            local = self.target.pull(posixpath.join(self.out, f"{dirname}_summary.json"), tmp / f"{dirname}.json")
            return parse_ais_bench_summary(local.read_text())
        except (DeviceError, BenchmarkError, OSError) as e:
            self.measured.warnings.append(f"no {dirname}_summary.json ({getattr(e, 'message', e)}): latencies from "
                                          "the tool's printed statistics")
            return parse_ais_bench_stdout(stdout)

    # -- the three runs ----------------------------------------------------------------------------------------
    def timing(self, first: str | None, tmp: Path) -> None:
        loop = self.opts.loops + (1 if self.tool == "msame" else 0)  # msame reports its first run apart
        if self.tool == "msame" and loop > MSAME_MAX_LOOP:
            self.measured.warnings.append(f"msame runs at most {MSAME_MAX_LOOP} loops: {MSAME_MAX_LOOP - 1} timed")
            loop = MSAME_MAX_LOOP
        inputs = None if self.opts.pure_data and self.tool != "msame" else first
        self.say(f"timing: {self.tool} --loop {loop} on the board")
        stdout = self.run_tool(self.argv(inputs, "timing", loop, self.opts.warmup), "timing")
        self.measured.timing = self.parse(stdout, "timing", tmp)

    def power(self, first: str | None) -> None:
        why = unavailable(self.board)
        if why is not None:
            self.measured.power = {"reading": None, "reason": why, "source": "npu-smi"}
            self.measured.warnings.append(f"no power reading: {why}")
            return
        mean_ms = (self.measured.timing.compute.get("mean") if self.measured.timing else None) or 1.0
        total = max(1, math.ceil(self.opts.power_seconds * 1000 / mean_ms))
        per_run = min(total, MSAME_MAX_LOOP if self.tool == "msame" else 1_000_000)
        sampler = WatchSampler(self.target, self.board, self.opts.npu_id)
        sampler.start()
        try:
            self.say(f"power: idle baseline ({self.opts.idle_samples} npu-smi samples), then ~"
                     f"{self.opts.power_seconds:g} s of load")
            if not sampler.wait_rows(self.opts.idle_samples, IDLE_TIMEOUT_S):
                self.measured.warnings.append(f"npu-smi watch gave {len(sampler.rows)} idle samples in "
                                              f"{IDLE_TIMEOUT_S:g} s: {sampler.error.strip()[:160]}")
            start = time.monotonic()
            window: dict[str, float] = {}

            def mark(text: str) -> None:  # the load is the timed loop, not the tool's start-up and model load
                now = time.monotonic()
                if "start" not in window and any(m in text for m in LOAD_STARTS):
                    window["start"] = now
                if any(m in text for m in LOAD_ENDS):
                    window["end"] = now

            done = 0
            while done < total and time.monotonic() - start < max(3 * self.opts.power_seconds, 30):
                self.run_tool(self.argv(first, "power", per_run, 0), "power", mark)
                done += per_run
            sampler.load = (window.get("start", start), window.get("end", time.monotonic()))
        finally:
            sampler.stop()
            power, state, warnings = sampler.section(self.measured.timing.compute.get("mean")
                                                     if self.measured.timing else None)
            self.measured.power, self.measured.device_state = power, state
            self.measured.warnings += warnings

    def accuracy(self, inputs: om_inputs.OmInputs, onnx_path: Path, folder: str, tmp: Path) -> None:
        from host_tools.onnx_runtime import onnx_reference

        self.say(f"accuracy: {len(inputs.files)} samples ({inputs.source}) on the board vs ONNX Runtime")
        self.run_tool(self.argv(folder, "accuracy", 1, 0), "accuracy")
        tar = posixpath.join(self.out, "accuracy.tar")
        r = self.target.sh(f"tar -C {self.out}/accuracy -cf {tar} .", what="tar")
        if r.exit_code != 0:
            raise BenchmarkError(f"cannot pack the board's outputs: {r.stderr.strip()[:200]}")
        local = self.target.pull(tar, tmp / "accuracy.tar")
        outputs = read_outputs(local.read_bytes(), [f.stem for f in inputs.files], self.tool)
        reference = onnx_reference(onnx_path, inputs.reference_x)
        acc = score(outputs.reshape(reference.shape), reference, self.opts.threshold_pct, inputs.labels)
        import onnxruntime

        acc.update(inputs=inputs.source, reference=f"onnxruntime {onnxruntime.__version__} on {onnx_path.name}")
        self.measured.accuracy = acc

    def execute(self, tmp: Path) -> None:
        """Push, then the runs; ``measured`` keeps what each gave."""
        onnx_path, _man, why = parent_onnx_of(self.model, self.man)
        use_acc = self.opts.accuracy if self.opts.accuracy is not None else why is None
        if use_acc and why is not None:
            raise ConfigError(f"cannot check accuracy: {why}", hint="run without --accuracy")
        if not use_acc and why is not None and self.opts.accuracy is None:
            self.measured.warnings.append(f"accuracy check skipped: {why}")
        inputs = om_inputs.build(self.man, self.opts.samples if use_acc else 1, tmp / "inputs") if self.man else None
        items = [Item(self.model, posixpath.join(self.scratch, self.model.name))]
        folder = posixpath.join(self.scratch, f"inputs-{self.opts.samples if use_acc else 1}")
        items += [Item(f, posixpath.join(folder, f.name)) for f in (inputs.files if inputs else [])]
        self.say(f"pushing {self.model.name} and {len(items) - 1} inputs to {self.target.name}:{self.scratch}")
        self.target.push(items)
        first = posixpath.join(folder, inputs.files[0].name) if inputs else None
        self.timing(first, tmp)
        if self.opts.power:
            self.power(first)
        if use_acc and inputs is not None and onnx_path is not None:
            self.accuracy(inputs, onnx_path, folder, tmp)

    def result(self, interrupted: bool = False, reason: str | None = None) -> BenchResult:
        m, props, board = self.measured, self.props, self.board
        run = m.timing
        latency = latency_stats(run) if run else LatencyStats([], None, None, None, None, None, None, None)
        target = {**props, "kind": "ascend", "target": self.target.name, "tool": self.tool, "chip": board.chip,
                  "soc_version": f"Ascend{board.chip}" if board.chip else None, "cann_version":
                  props.get("cann_version"), "driver_version": board.npu_smi_version, "emulated": self.emulated}
        warnings = list(m.warnings)
        if self.emulated:
            warnings.insert(0, "EMULATED board: the .om ran in the Ascend stand-ins (ONNX Runtime on the host CPU); "
                               "latency and power are not an NPU's")
        if reason:
            warnings.append(f"incomplete: {reason}")
        man = self.man
        return BenchResult(
            tool_version=f"{self.tool}{' (emulated)' if self.emulated else ''}", target=target,
            model=ModelInfo(path=str(self.model), sha256=self.sha256, bytes=self.model.stat().st_size,
                            inputs=[{"name": t.name, "shape": t.shape, "dtype": t.dtype, "layout": t.layout}
                                    for t in (man.inputs if man else [])]),
            config={"tool": self.tool, "loop": self.opts.loops, "warmup_count": self.opts.warmup,
                    "device": self.opts.npu_id, "pure_data": self.opts.pure_data,
                    "soc_version": (man.extra or {}).get("soc_version") if man else None,
                    **({"args": run.args} if run and run.args else {})},
            init_ms=None, first_ms=run.first_ms if run else None, latency_ms=latency, memory={}, power=m.power,
            accuracy=m.accuracy, throughput_ips=run.throughput_ips if run else None, interrupted=interrupted,
            device_state=m.device_state, warnings=warnings,
            extra={"host": {"mindedge": __version__, "target": self.target.name},
                   **({"transfer_ms": {k: v for k, v in (("h2d_ms", run.h2d), ("d2h_ms", run.d2h)) if v}}
                      if run and (run.h2d or run.d2h) else {})})

    def cleanup(self) -> None:
        with contextlib.suppress(DeviceError):
            self.target.sh(f"rm -rf {self.out}", timeout=30, what="cleanup")


def read_outputs(tar_bytes: bytes, stems: list[str], tool: str) -> np.ndarray:
    """Output 0 of every sample from the tool's output folder (tar): ais_bench ``STEM_0.bin``, msame
    ``STEM_output_0.bin`` (in its timestamped subfolder)."""
    suffix = "_output_0.bin" if tool == "msame" else "_0.bin"
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        found = {posixpath.basename(m.name): m for m in tf.getmembers() if m.isfile()}
        rows = []
        for stem in stems:
            member = found.get(stem + suffix)
            if member is None:
                raise BenchmarkError(f"{tool} wrote no output for {stem} ({stem + suffix})")
            data = tf.extractfile(member)
            rows.append(np.frombuffer(data.read() if data else b"", dtype="<f4"))
    if len({r.size for r in rows}) != 1:
        raise BenchmarkError(f"{tool}'s outputs differ in size between samples")
    return np.stack(rows)


def bench_om_and_store(model: Path, target: Target, opts: OmBenchOptions, db: Path, say: Say = print) -> BenchRun:
    """Benchmark the .om on the board and store the result (also an interrupted or incomplete one)."""
    bench = OmBench(Path(model), target, opts, say)
    variant = opts.variant or Path(model).stem
    with open_store(db) as store, tempfile.TemporaryDirectory(prefix="mindedge-om-") as tmp:
        status, failure = "ok", None
        try:
            bench.execute(Path(tmp))
            result = bench.result()
        except KeyboardInterrupt:
            status, result = "interrupted", bench.result(True, "interrupted (Ctrl-C)")
            failure = KeyboardInterrupt()
        except DeviceError as e:
            if bench.measured.timing is None and bench.measured.power is None:
                raise
            status, result = "interrupted", bench.result(True, e.message)
            failure = e
        finally:
            if status == "ok":
                bench.cleanup()
        acc = result.accuracy
        if status == "ok" and acc is not None and not acc.get("passed"):
            status = "accuracy_failed"
        rid = store.add(result, status=status, target=f"ascend:{target.name.removeprefix('ssh:')}", variant=variant,
                        model_format="om", host_config={"om_bench": opts.__dict__},
                        error=None if failure is None else (getattr(failure, "message", None) or "interrupted"))
    if isinstance(failure, DeviceError):
        raise DeviceError(f"{failure.message}; what was measured is stored as #{rid} (interrupted, incomplete)",
                          hint=failure.hint, detail=failure.detail)
    return BenchRun(id=rid, status=status, result=result, store=db, exit_code=130 if failure else 0)
