"""The emulated board's CANN: a non-root toolkit install under ``~/Ascend`` (as CANN's ``.run`` installs for a
user) and ``npu-smi`` for ``/usr/local/sbin``, each tool a small wrapper that runs its stand-in with the host's
Python (the board sees the host's file system, read-only).

    ~/Ascend/emulated-npu.json                        the NPU (npu.NpuConfig): chip, versions, power model
    ~/Ascend/ascend-toolkit/set_env.sh                exports ASCEND_TOOLKIT_HOME, PATH, PYTHONPATH
    ~/Ascend/ascend-toolkit/latest -> VERSION
    ~/Ascend/ascend-toolkit/VERSION/bin/atc
    ~/Ascend/ascend-toolkit/VERSION/ARCH-linux/ascend_toolkit_install.info
    ~/Ascend/ascend-toolkit/VERSION/python/site-packages/ais_bench/   (python3 -m ais_bench)
    ~/Ascend/ascend-toolkit/VERSION/tools/msame/out/msame
    ~/Ascend/ascend-toolkit/VERSION/bin/msit           (msit benchmark: the ais_bench stand-in, dashed flags)
    SBIN/npu-smi                                      bound at /usr/local/sbin
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from host_tools.emulator.ascend.npu import NpuConfig, save
from host_tools.files import atomic_write_text

TOOLS = ("atc", "ais_bench", "msit", "msame", "npu-smi")

SET_ENV = """# CANN toolkit environment (mindedge emulated board: its tools are stand-ins)
export ASCEND_TOOLKIT_HOME={home}/latest
export ASCEND_HOME_PATH=$ASCEND_TOOLKIT_HOME
export ASCEND_OPP_PATH=$ASCEND_TOOLKIT_HOME/opp
export PATH=$ASCEND_TOOLKIT_HOME/bin:$ASCEND_TOOLKIT_HOME/tools/msame/out:$PATH
export PYTHONPATH=$ASCEND_TOOLKIT_HOME/python/site-packages:$PYTHONPATH
export LD_LIBRARY_PATH=$ASCEND_TOOLKIT_HOME/lib64:$LD_LIBRARY_PATH
"""

INSTALL_INFO = """package_name=Ascend-cann-toolkit
version={version}
innerversion=V100R001C15SPC001B200
arch={arch}
os=linux
path={home}/{version}
emulated=mindedge: ATC, ais_bench, msame and npu-smi are stand-ins; models run with ONNX Runtime on the host CPU
"""


def wrapper(module: str, npu_json: str, python: str, subcommand: str | None = None) -> str:
    """A shell wrapper running ``module`` (``subcommand``: the first argument it requires and drops)."""
    sub = (f'[ "$1" = {subcommand} ] || {{ echo "usage: msit {subcommand} ... (mindedge emulated)" >&2; exit 2; }}\n'
           "shift\n") if subcommand else ""
    return (f"#!/bin/sh\n# mindedge emulated {module.rsplit('.', 1)[-1]}: a stand-in, not CANN's tool\n{sub}"
            f"MINDEDGE_NPU={shlex.quote(npu_json)} exec {shlex.quote(python)} -m {module} \"$@\"\n")


def write_toolkit(home: Path, board_home: str, arch: str, cfg: NpuConfig, sbin: Path,
                  tools: tuple[str, ...] = TOOLS, python: str = sys.executable) -> None:
    """Install the emulated CANN into the board user's ``home`` (host path; ``board_home`` is its board path)
    and npu-smi into ``sbin``; ``tools`` leaves the others out (a board without ais_bench, say)."""
    ascend = home / "Ascend"
    root, board_root = ascend / "ascend-toolkit", f"{board_home}/Ascend/ascend-toolkit"
    ver = root / cfg.cann
    npu_json = f"{board_home}/Ascend/emulated-npu.json"
    ver.mkdir(parents=True, exist_ok=True)
    save(cfg, ascend / "emulated-npu.json")
    atomic_write_text(root / "set_env.sh", SET_ENV.format(home=board_root))
    atomic_write_text(ver / "set_env.sh", SET_ENV.format(home=board_root))
    latest = root / "latest"
    if not latest.is_symlink():
        latest.symlink_to(cfg.cann)
    atomic_write_text(ver / f"{arch}-linux" / "ascend_toolkit_install.info",
                      INSTALL_INFO.format(version=cfg.cann, arch=arch, home=board_root))
    mod = "host_tools.emulator.ascend"
    targets = {"atc": (ver / "bin" / "atc", f"{mod}.atc"), "msit": (ver / "bin" / "msit", f"{mod}.ais_bench"),
               "msame": (ver / "tools" / "msame" / "out" / "msame", f"{mod}.msame"),
               "npu-smi": (sbin / "npu-smi", f"{mod}.npu_smi")}
    for tool, (path, module) in targets.items():
        path.unlink(missing_ok=True)
        if tool in tools:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, wrapper(module, npu_json, python, "benchmark" if tool == "msit" else None), 0o755)
    pkg = ver / "python" / "site-packages" / "ais_bench"
    for f in ("__init__.py", "__main__.py"):
        (pkg / f).unlink(missing_ok=True)
    if "ais_bench" in tools:
        pkg.mkdir(parents=True, exist_ok=True)
        atomic_write_text(pkg / "__init__.py", '"""mindedge emulated ais_bench (a stand-in)."""\n')
        atomic_write_text(pkg / "__main__.py", (
            '"""python3 -m ais_bench on the mindedge emulated board: the stand-in, run by the host\'s Python."""\n'
            "import os\nimport sys\n\n"
            f"os.environ['MINDEDGE_NPU'] = {npu_json!r}\n"
            f"os.execv({python!r}, [{python!r}, '-m', '{mod}.ais_bench', *sys.argv[1:]])\n"))
