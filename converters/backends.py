"""Converter backends: the vendor's ``converter_lite`` when present, else the project's native driver.

Both take the same command-line flags (``--fmk --modelFile --outputFile --configFile --fp16
--inputDataFormat``), so a backend is just an executable plus the environment to run it in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from host_tools import sdk
from host_tools.errors import ConversionError, ToolMissing


@dataclass(frozen=True)
class ConverterBackend:
    name: str  # "converter_lite" | "native"
    exe: Path
    env: dict[str, str]

    def run(self, args: list[str], timeout: float = 900.0) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [str(self.exe), *args],
                capture_output=True,
                text=True,
                env={**os.environ, **self.env},
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise ConversionError(f"{self.name} did not finish within {timeout:.0f} s") from e


def find_backend() -> ConverterBackend:
    """Pick the converter: ``converter_lite`` on PATH or in ``MSLITE_ROOT``, else ``mslite_convert``."""
    lite = sdk.find_sdk()
    on_path = shutil.which("converter_lite")
    if on_path:
        env = lite.lib_path_env() if lite else {}
        return ConverterBackend("converter_lite", Path(on_path), env)
    if lite is not None and lite.converter_exe is not None:
        return ConverterBackend("converter_lite", lite.converter_exe, lite.lib_path_env())
    if lite is None:
        raise ToolMissing("no MindSpore Lite converter: the Lite SDK is not installed", hint=sdk.FIX_INSTALL)
    try:
        exe = sdk.native_binary("mslite_convert")
    except ToolMissing as e:
        raise ToolMissing(
            "no MindSpore Lite converter: converter_lite is not on PATH and mslite_convert is not built",
            hint="run `mindedge sdk build`",
        ) from e
    return ConverterBackend("native", exe, lite.lib_path_env())
