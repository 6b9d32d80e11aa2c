"""The model a benchmark is about, read once: its file, sha256, size, format and validated manifest.

Every later step (accuracy references, the device run, the failed-result record, the store) takes this value
instead of loading the manifest or hashing the file again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from host_tools import manifest
from host_tools.errors import ModelError
from host_tools.files import sha256_file


@dataclass(frozen=True)
class BenchModel:
    path: Path
    sha256: str
    bytes: int
    format: str  # the suffix: "ms"
    manifest: manifest.Manifest | None  # None: no manifest beside the model

    @classmethod
    def load(cls, path: Path) -> BenchModel:
        """Read ``path`` and its manifest; ModelError when it does not exist or its manifest is broken."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist")
        return cls(path=path, sha256=sha256_file(path), bytes=path.stat().st_size,
                   format=path.suffix.lstrip(".").lower() or "ms", manifest=manifest.load(path))

    @property
    def described(self) -> bool:
        """The manifest describes this very file (same sha256), not an earlier version of it."""
        return self.manifest is not None and self.manifest.sha256 == self.sha256

    def input_shape(self) -> list[int] | None:
        """The input shape from the manifest when it describes this file, else None (ask the runtime)."""
        if self.described and self.manifest is not None and self.manifest.inputs:
            return [int(d) for d in self.manifest.inputs[0].shape]
        return None
