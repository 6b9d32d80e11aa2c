"""The one packaging step pyproject.toml cannot express: ship the native sources in the wheel.

``mindedge sdk build`` compiles device_bench and mslite_convert from ``device_bench/``, ``converters/native/``
and ``cmake/``. An installed package has no checkout, so ``build_py`` copies them (build outputs left out)
into ``host_tools/_native/``; host_tools/native_sources.py says which files they are.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _native_sources():
    spec = importlib.util.spec_from_file_location("_mindedge_native_sources", HERE / "host_tools" / "native_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithNative(build_py):
    """build_py + the native sources into host_tools/_native/ (not for editable installs: the checkout is used)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        native = _native_sources()
        native.copy_sources(HERE, Path(self.build_lib) / "host_tools" / native.PACKAGED_DIR)


setup(cmdclass={"build_py": BuildPyWithNative})
