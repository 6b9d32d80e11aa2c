"""The typed config of ``mindedge bench`` and the device_bench command line built from it.

Flags whose value is None are left out, so device_bench applies its own default (and an older binary
that lacks a flag still runs when the option is not used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from host_tools.errors import ConfigError
from host_tools.version import tool_version

CPU_BIND_MODES = (0, 1, 2)  # none, big cores, middle cores
DEVICES = ("CPU", "GPU", "NPU", "Ascend310")
POWER_SOURCES = ("auto", "sysfs", "none")
DEFAULT_SAMPLES = 100


@dataclass
class BenchConfig:
    """Options of ``mindedge bench`` (device_bench flag names in comments; None = device_bench's default)."""

    loops: int = 100  # --loopCount
    warmup: int = 10  # --warmUpLoopCount
    threads: int = 1  # --numThreads
    in_data_file: Path | None = None  # --inDataFile
    out_data_file: Path | None = None  # --outDataFile (all samples' outputs)
    cpu_bind: int | None = None  # --cpuBindMode
    fp16: bool = False  # --enableFp16
    device: str | None = None  # --device
    input_shapes: str | None = None  # --inputShapes
    benchmark_data_file: Path | None = None  # --benchmarkDataFile (reference outputs)
    accuracy_threshold: float | None = None  # --accuracyThreshold
    min_seconds: float | None = None  # --minSeconds
    max_seconds: float | None = None  # --maxSeconds
    run_delay_ms: int | None = None  # --runDelayMs
    cooldown_c: float | None = None  # --cooldownC
    cooldown_timeout_s: float | None = None  # --cooldownTimeoutS
    power_source: str | None = None  # --powerSource
    power_interval_ms: int | None = None  # --powerIntervalMs
    power_idle_ms: int | None = None  # --powerIdleMs
    sysfs_root: Path | None = None  # --sysfsRoot
    host_version: str | None = field(default_factory=tool_version)  # --hostVersion: device_bench refuses others
    # host side only
    accuracy: bool | None = None  # None: check when the manifest names a parent ONNX
    samples: int = DEFAULT_SAMPLES  # inputs for the accuracy check
    variant: str | None = None  # label in the results store (default: the file name without suffix)
    timeout_s: float | None = 600.0
    bench_binary: Path | None = None  # adb targets: device_bench for the device (default: the build for its ABI)
    bench_libs: list[Path] | None = None  # adb targets: folders of the Lite libraries to push with it

    def validate(self) -> None:
        """Reject values device_bench would reject, with the option's name."""
        checks = [
            (self.loops >= 1, "--loops must be >= 1"),
            (self.warmup >= 0, "--warmup must be >= 0"),
            (1 <= self.threads <= 256, "--threads must be 1..256"),
            (self.cpu_bind is None or self.cpu_bind in CPU_BIND_MODES, "--cpu-bind must be 0, 1 or 2"),
            (self.device is None or self.device in DEVICES, f"--device must be one of {', '.join(DEVICES)}"),
            (self.power_source is None or self.power_source in POWER_SOURCES,
             f"--power-source must be one of {', '.join(POWER_SOURCES)}"),
            (self.samples >= 1, "--samples must be >= 1"),
            (_nonneg(self.min_seconds), "--min-seconds must be >= 0"),
            (self.max_seconds is None or self.max_seconds > 0, "--max-seconds must be > 0"),
            (self.min_seconds is None or self.max_seconds is None or self.min_seconds <= self.max_seconds,
             "--min-seconds must not exceed --max-seconds"),
            (_nonneg(self.run_delay_ms), "--run-delay-ms must be >= 0"),
            (self.power_interval_ms is None or self.power_interval_ms >= 1, "--power-interval-ms must be >= 1"),
            (_nonneg(self.power_idle_ms), "--power-idle-ms must be >= 0"),
            (_nonneg(self.cooldown_timeout_s), "--cooldown-timeout-s must be >= 0"),
            (_nonneg(self.accuracy_threshold), "--accuracy-threshold must be >= 0"),
        ]  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


INTERNAL = ("out_data_file", "benchmark_data_file", "host_version", "timeout_s")


def load_config(path: Path | None, overrides: dict[str, object]) -> BenchConfig:
    """Defaults <- TOML file <- command-line options (None = not given); unknown or internal keys are errors."""
    from host_tools.config import load_toml, tomllib

    if path is not None and Path(path).is_file():
        try:
            internal = sorted(set(tomllib.loads(Path(path).read_text())) & set(INTERNAL))
        except tomllib.TOMLDecodeError:
            internal = []  # load_toml reports it
        if internal:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(internal)}")
    return load_toml(BenchConfig, path, overrides)


def _nonneg(value: float | None) -> bool:
    return value is None or value >= 0


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def bench_argv(exe: Path, model: Path, cfg: BenchConfig, json_out: Path, quiet: bool = True) -> list[str]:
    """device_bench's command line for ``cfg``."""
    argv = [
        str(exe),
        f"--modelFile={model}",
        f"--loopCount={cfg.loops}",
        f"--warmUpLoopCount={cfg.warmup}",
        f"--numThreads={cfg.threads}",
        f"--jsonOut={json_out}",
    ]
    optional: list[tuple[str, object]] = [
        ("inDataFile", cfg.in_data_file),
        ("outDataFile", cfg.out_data_file),
        ("cpuBindMode", cfg.cpu_bind),
        ("device", cfg.device),
        ("inputShapes", cfg.input_shapes),
        ("benchmarkDataFile", cfg.benchmark_data_file),
        ("accuracyThreshold", cfg.accuracy_threshold),
        ("minSeconds", cfg.min_seconds),
        ("maxSeconds", cfg.max_seconds),
        ("runDelayMs", cfg.run_delay_ms),
        ("cooldownC", cfg.cooldown_c),
        ("cooldownTimeoutS", cfg.cooldown_timeout_s),
        ("powerSource", cfg.power_source),
        ("powerIntervalMs", cfg.power_interval_ms),
        ("powerIdleMs", cfg.power_idle_ms),
        ("sysfsRoot", cfg.sysfs_root),
        ("hostVersion", cfg.host_version),
    ]
    for flag, value in optional:
        if value is None:
            continue
        text = _num(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
        argv.append(f"--{flag}={text}")
    if cfg.fp16:
        argv.append("--enableFp16")
    if quiet:
        argv.append("--quiet")
    return argv
