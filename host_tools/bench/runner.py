"""Drive device_bench on a target and turn its output into a ``BenchResult``."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from host_tools import sdk
from host_tools.bench.result import BenchResult, parse_result
from host_tools.errors import BenchmarkError, ModelError
from host_tools.targets.base import RunResult, Target


@dataclass
class BenchConfig:
    """Options of ``mindedge bench`` (device_bench flag names in comments)."""

    loops: int = 100  # --loopCount
    warmup: int = 10  # --warmUpLoopCount
    threads: int = 1  # --numThreads
    in_data_file: Path | None = None  # --inDataFile
    out_data_file: Path | None = None  # --outDataFile (all samples' outputs)
    timeout_s: float = 600.0


def bench_argv(exe: Path, model: Path, cfg: BenchConfig, json_out: Path) -> list[str]:
    argv = [
        str(exe),
        f"--modelFile={model}",
        f"--loopCount={cfg.loops}",
        f"--warmUpLoopCount={cfg.warmup}",
        f"--numThreads={cfg.threads}",
        f"--jsonOut={json_out}",
        "--quiet",
    ]
    if cfg.in_data_file is not None:
        argv.append(f"--inDataFile={cfg.in_data_file}")
    if cfg.out_data_file is not None:
        argv.append(f"--outDataFile={cfg.out_data_file}")
    return argv


def error_line(run: RunResult) -> str:
    """The most useful line of a failed device_bench run."""
    lines = [ln.strip() for ln in (run.stderr or run.stdout).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "error" in ln.lower():
            return ln.removeprefix("device_bench: error: ")
    return lines[-1] if lines else "no output"


def run_device_bench(model: Path, target: Target, cfg: BenchConfig) -> BenchResult:
    """Run device_bench for ``model`` on ``target`` (local for now) and parse its JSON."""
    model = Path(model)
    if not model.is_file():
        raise ModelError(f"model file {model} does not exist")
    if cfg.loops < 1 or cfg.warmup < 0 or cfg.threads < 1:
        raise BenchmarkError("loops and threads must be >= 1 and warmup >= 0")
    exe = sdk.native_binary("device_bench")
    env = sdk.require_sdk().lib_path_env()
    with tempfile.TemporaryDirectory(prefix="mindedge-bench-") as tmp:
        json_out = Path(tmp) / "bench.json"
        run = target.run(bench_argv(exe, model, cfg, json_out), env=env, timeout=cfg.timeout_s)
        if run.exit_code != 0:
            kind = ModelError if run.exit_code == 2 else BenchmarkError
            raise kind(
                f"device_bench failed on {model.name} (exit {run.exit_code}): {error_line(run)}",
                detail=run.stderr,
            )
        text = json_out.read_text() if json_out.exists() else run.stdout
    result = parse_result(text)
    result.target = {**target.properties(), **result.target, "emulated": target.emulated}
    return result


def save_result(result: BenchResult, path: Path) -> None:
    from host_tools.manifest import write_json

    write_json(path, result.to_dict())


def load_result(path: Path) -> BenchResult:
    return parse_result(json.loads(Path(path).read_text()))
