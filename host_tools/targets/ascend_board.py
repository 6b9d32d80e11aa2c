"""What an Ascend board offers mindedge, asked in one shell line: the CANN environment script, ais_bench (as
``python3 -m ais_bench``, or ``msit benchmark``), msame, ATC, npu-smi and its ``info`` table; and the commands
that run them with CANN's environment sourced (a non-interactive ssh shell does not read ~/.bashrc, where
boards source ``set_env.sh``).

``set_env.sh`` is looked for where CANN installs: ``$ASCEND_TOOLKIT_HOME/..``, ``/usr/local/Ascend/ascend-toolkit``
(root install) and ``$HOME/Ascend/ascend-toolkit`` (a user's install). msame is a program users build: on
PATH, in the toolkit's ``tools/msame/out``, or ``~/msame/out``, ``~/tools/msame/out``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from host_tools.errors import ToolMissing
from host_tools.targets.base import Target
from host_tools.targets.npu_smi import needs_permission
from host_tools.targets.ssh_parse import parse_npu_smi_info

MARK = "@@mindedge-ascend:"
ENV_SCRIPTS = ("${ASCEND_TOOLKIT_HOME:+$ASCEND_TOOLKIT_HOME/../set_env.sh}",
               "/usr/local/Ascend/ascend-toolkit/set_env.sh", "$HOME/Ascend/ascend-toolkit/set_env.sh")
_QUOTED = " ".join('"' + p + '"' for p in ENV_SCRIPTS)
PROBE = "\n".join([
    f"for f in {_QUOTED}; do",
    '  [ -n "$f" ] && [ -f "$f" ] && { . "$f" >/dev/null 2>&1; echo "set_env=$f"; break; }',
    "done",
    "python3 -c 'import ais_bench' >/dev/null 2>&1 && echo ais_bench=1",
    'command -v msit >/dev/null 2>&1 && echo "msit=$(command -v msit)"',
    'command -v atc >/dev/null 2>&1 && echo "atc=$(command -v atc)"',
    'for m in "$(command -v msame)" "${ASCEND_TOOLKIT_HOME:-/nonexistent}/tools/msame/out/msame" '
    '"$HOME/msame/out/msame" "$HOME/tools/msame/out/msame"; do',
    '  [ -n "$m" ] && [ -x "$m" ] && { echo "msame=$m"; break; }',
    "done",
    'n=$(command -v npu-smi || ls /usr/local/sbin/npu-smi /usr/local/bin/npu-smi 2>/dev/null | head -n 1)',
    'echo "npu_smi=$n"',
    f'echo {MARK}info; [ -n "$n" ] && "$n" info 2>&1; echo {MARK}rc=$?',
    "true",
])
INSTALL_HINT = ("install ais_bench on the board (`pip3 install ./ais_bench-*.whl` from Ascend/tools "
                "ais-bench_workload) or build msame (Ascend/tools msame/build.sh) into ~/msame/out")


@dataclass(frozen=True)
class AscendBoard:
    """The Ascend tools one board has (None: not found) and its NPU as npu-smi names it."""

    set_env: str | None
    ais_bench: bool
    msit: str | None
    msame: str | None
    atc: str | None
    npu_smi: str | None
    npu_info: str  # npu-smi info's output ("" without npu-smi)
    npu_info_rc: int | None

    @property
    def chip(self) -> str | None:
        """The first chip's npu-smi Name (``310B1``), None when npu-smi did not say."""
        chips = parse_npu_smi_info(self.npu_info)["chips"] if self.npu_info_rc == 0 else []
        return str(chips[0]["name"]) if chips else None  # type: ignore[index]

    @property
    def npu_smi_version(self) -> str | None:
        version = parse_npu_smi_info(self.npu_info).get("version") if self.npu_info_rc == 0 else None
        return str(version) if version else None

    @property
    def npu_smi_refused(self) -> bool:
        return bool(self.npu_smi) and self.npu_info_rc != 0 and needs_permission(self.npu_info)

    def bench_tool(self, wanted: str = "auto") -> str:
        """``ais_bench``, ``msit`` or ``msame``: the one asked for, else the first the board has."""
        have = {"ais_bench": self.ais_bench, "msit": self.msit is not None, "msame": self.msame is not None}
        if wanted != "auto":
            if not have.get(wanted):
                raise ToolMissing(f"the board has no {wanted}", hint=INSTALL_HINT)
            return wanted
        for name in ("ais_bench", "msit", "msame"):
            if have[name]:
                return name
        raise ToolMissing("the board has neither ais_bench (python3 -m ais_bench, msit benchmark) nor msame"
                          + ("" if self.set_env else " (and no CANN set_env.sh was found)"), hint=INSTALL_HINT)

    def shell(self, argv: list[str]) -> list[str]:
        """``sh -c`` argv running ``argv`` after sourcing CANN's environment."""
        env = f". {shlex.quote(self.set_env)} >/dev/null 2>&1; " if self.set_env else ""
        return ["sh", "-c", f"{env}exec {shlex.join(argv)}"]


def parse_probe(text: str) -> AscendBoard:
    head, _, rest = text.partition(f"{MARK}info\n")
    info, _, tail = rest.rpartition(f"{MARK}rc=")
    found = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    rc = tail.strip().splitlines()[0] if tail.strip() else ""
    return AscendBoard(set_env=found.get("set_env") or None, ais_bench=found.get("ais_bench") == "1",
                       msit=found.get("msit") or None, msame=found.get("msame") or None,
                       atc=found.get("atc") or None, npu_smi=found.get("npu_smi") or None,
                       npu_info=info if found.get("npu_smi") else "",
                       npu_info_rc=int(rc) if rc.lstrip("-").isdigit() and found.get("npu_smi") else None)


def probe(target: Target) -> AscendBoard:
    """Ask ``target`` (an ssh: board) what it has."""
    r = target.sh(PROBE, timeout=60, what="the Ascend tools probe")
    return parse_probe(r.stdout)
