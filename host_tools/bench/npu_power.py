"""NPU power during a board benchmark: ``npu-smi info watch -i N -c 0 -d 1 -s pta`` streams one row a second
(power, temperature, AI Core usage) while the host marks when the load ran; rows before it are the idle
baseline, rows inside it (after ``SETTLE_S``) the load. Only a real-time reading counts: an Ascend 310's
npu-smi shows its rated 12.8 W, and NA or a 0.0 with health Alarm is no reading (``targets/npu_smi``)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

from host_tools.errors import DeviceError
from host_tools.targets import npu_smi
from host_tools.targets.ascend_board import AscendBoard
from host_tools.targets.base import Running, Target

SETTLE_S = 0.2  # a row this soon after the load started may still show idle
INTERVAL_S = 1  # npu-smi watch's shortest period


def unavailable(board: AscendBoard) -> str | None:
    """Why the board gives no NPU power reading (None: npu-smi measures it)."""
    if not board.npu_smi:
        return "the board has no npu-smi"
    if board.npu_smi_refused:
        return ("npu-smi refused to run (it needs root or the HwHiAiUser group): "
                + board.npu_info.strip().splitlines()[0][:160])
    if board.npu_info_rc != 0:
        return f"npu-smi info failed ({board.npu_info.strip()[:160] or 'no output'})"
    readings = npu_smi.info_power(board.npu_info)
    if readings and readings[0].watts is None:
        return readings[0].reason
    return None


class WatchSampler:
    """``npu-smi info watch`` running on the board, its rows stamped with the host's clock as they arrive."""

    def __init__(self, target: Target, board: AscendBoard, npu_id: int) -> None:
        self.target, self.board, self.npu_id = target, board, npu_id
        self.rows: list[tuple[float, dict[str, Any]]] = []
        self.header = ""
        self._buf = b""
        self._cond = threading.Condition()
        self._run: Running | None = None
        self.load: tuple[float, float] | None = None
        self.error = ""

    def _on_output(self, stream: int, data: bytes) -> None:
        if stream != 1:
            self.error += data.decode(errors="replace")
            return
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        now = time.monotonic()
        with self._cond:
            for raw in lines:
                line = raw.decode(errors="replace").rstrip()
                if line.startswith("NpuID(Idx)"):
                    self.header = line
                elif self.header and (parsed := npu_smi.watch(f"{self.header}\n{line}")):
                    self.rows.append((now, parsed[0]))
            self._cond.notify_all()

    def start(self) -> None:
        argv = [str(self.board.npu_smi), "info", "watch", "-i", str(self.npu_id), "-c", "0", "-d", str(INTERVAL_S),
                "-s", "pta"]
        self._run = self.target.start(self.board.shell(argv), on_output=self._on_output)

    def wait_rows(self, n: int, timeout_s: float) -> bool:
        """Block until ``n`` rows arrived (the idle baseline); False when npu-smi gave fewer in time."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.rows) >= n, timeout_s)

    def stop(self) -> None:
        if self._run is not None:
            self._run.signal(signal.SIGTERM)
            with contextlib.suppress(DeviceError):
                self._run.wait()
            self._run = None

    def section(self, mean_ms: float | None) -> tuple[dict[str, Any], dict[str, Any] | None, list[str]]:
        """(the result's ``power``, its ``device_state``, warnings)."""
        t0 = self.rows[0][0] if self.rows else time.monotonic()
        start, end = self.load or (float("inf"), float("inf"))
        samples = []
        for t, row in self.rows:
            phase = "idle" if t < start else "load" if start + SETTLE_S <= t <= end else "other"
            samples.append({"t_ms": round((t - t0) * 1000), "phase": phase, "power_w": row.get("power_w"),
                            "temp_c": row.get("temp_c"), "aicore_pct": row.get("aicore_pct")})
        warnings = []

        def mean(phase: str) -> dict[str, Any] | None:
            watts = [s["power_w"] for s in samples if s["phase"] == phase and s["power_w"] is not None]
            return {"mean_power_w": sum(watts) / len(watts), "samples": len(watts)} if watts else None

        idle, load = mean("idle"), mean("load")
        if load is None:
            warnings.append("no npu-smi power sample fell inside the load: make the run longer (--power-seconds)")
        energy = load["mean_power_w"] * mean_ms if load and mean_ms else None  # W x ms = mJ
        net = (load["mean_power_w"] - idle["mean_power_w"]) * mean_ms if load and idle and mean_ms else None
        power = {"source": "npu-smi info watch (NPU Real-time Power)", "interval_ms": INTERVAL_S * 1000,
                 "idle": idle, "load": load, "energy_per_inference_mj": energy,
                 "net_energy_per_inference_mj": net, "samples": samples}
        state = None
        if samples:
            def at(s: dict[str, Any]) -> dict[str, Any]:
                return {"npu_temp_c": s["temp_c"], "npu_aicore_pct": s["aicore_pct"]}
            loaded = [s for s in samples if s["phase"] == "load"]
            state = {"start": at(samples[0]), "end": at(loaded[-1] if loaded else samples[-1])}
        return power, state, warnings
