"""Everything the app's JVM tests read, made fresh by the host: the preprocessing and statistics vectors
(``vectors``), the classifier's model, photos and host answers (``classifier_vectors``, in ``classifier/``)
and the JNI library built for this machine (``jni``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from host_tools.app import classifier_vectors, jni, vectors
from host_tools.app.toolchain import Toolchain


@dataclass(frozen=True)
class Suite:
    properties: dict[str, str]  # -D system properties of the JVM
    env: dict[str, str]  # added to its environment


def prepare(tc: Toolchain, root: Path, folder: Path, say: Callable[[str], object] = print) -> Suite:
    """Write the vectors into ``folder`` and build the JNI library of the checkout at ``root``."""
    vectors.write(folder, progress=lambda _m: None)
    classifier_vectors.write(folder / "classifier", say)
    say("building the app's JNI classifier for this machine (CMake, host Lite SDK, JDK jni.h) ...")
    lib = jni.build(tc, root)
    return Suite({"mindedge.vectors": str(folder), "mindedge.jni.library": str(lib)}, jni.runtime_env())
