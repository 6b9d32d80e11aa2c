"""The mindedge error hierarchy.

Every user-facing failure is a ``MindedgeError``: the CLI prints its one-line message (what failed, why,
what to do) and exits with ``exit_code`` (2 for user errors). Anything else is an internal failure (exit 1).
"""

from __future__ import annotations


class MindedgeError(Exception):
    """A failure the user can fix; ``hint`` says how."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ToolMissing(MindedgeError):
    """A required external tool, SDK or native build is not installed."""


class DataError(MindedgeError):
    """A dataset file is missing, truncated or inconsistent."""


class ModelError(MindedgeError):
    """A model or checkpoint file is missing, corrupt or of the wrong kind."""


class ConfigError(MindedgeError):
    """A configuration file or option is invalid."""


class ConversionError(MindedgeError):
    """Model conversion failed or produced outputs that disagree with the source."""


class DeviceError(MindedgeError):
    """A target device is missing, unauthorized or failed mid-run."""


class BenchmarkError(MindedgeError):
    """device_bench failed or produced unusable output."""


class BuildError(MindedgeError):
    """Compiling a part of mindedge (the app's Kotlin or JNI code) failed; ``detail`` has the compiler's output."""
