"""What ATC (the Ascend Tensor Compiler) printed, read into success or a ConversionError.

ATC prints ``ATC start working now, please wait for a moment.``, then ``ATC run success, welcome to the next
use.`` (exit 0) or ``ATC run failed, Please check the detail log, ...`` (exit 255), followed by the error
manager's messages: a code of ``E``/``W`` and five characters (``E10001``, ``EZ3003``, ``W11001``), a colon and
the text, continued on indented lines (``Possible Cause:``, ``Solution:``, ``TraceBack ...``). Newer CANN put
``[PID: n] YYYY-MM-DD-HH:MM:SS.mmm.uuu`` in front of the text. Success needs both exit 0 and the success line:
either alone is not trusted (a wrapper script may exit 0 after a failure; a killed ATC may have printed the
line before dying).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from host_tools.errors import ConversionError

SUCCESS_LINE = "ATC run success"
FAILURE_LINE = "ATC run failed"
_MESSAGE = re.compile(r"^(?P<code>[EW][0-9A-Z]{5}): (?P<text>.*)$")
_PID_STAMP = re.compile(r"^\[PID: \d+\] \d{4}-\d{2}-\d{2}-\d{2}:\d{2}:\d{2}\.\d{3}\.\d{3} ")
_MISSING_LIB = re.compile(r"error while loading shared libraries: (?P<lib>\S+?): cannot open shared object file")

# what to do about the errors whose cause is known (codes from ATC's error manager, see FORMATS.md 1.2)
FIXES = {
    "E10001": "the model has a dynamic dimension ATC was not given: `mindedge convert --to om` fixes a dynamic "
              "batch with --batch N; other dynamic dimensions need a static export (atc --input_shape)",
    "E19010": "ATC's ONNX parser does not know this opset: re-export the model at opset 11 (`mindedge export` does)",
    "E10054": "a required ATC flag is empty: check the model path and quote values with spaces",
    "E10007": "a required ATC flag is missing: --framework=5 for ONNX",
    "EZ3003": "an operator of the model has no kernel for this soc: check the OPP component of CANN, or replace "
              "the operator before export",
}
DEVLIB_FIX = ("ATC cannot find the driver library {lib}: on a host without an NPU run `export LD_LIBRARY_PATH="
              "$ASCEND_TOOLKIT_HOME/x86_64-linux/devlib/:$LD_LIBRARY_PATH` (after `source set_env.sh`)")


class AtcError(ConversionError):
    """ATC failed: the ConversionError with ATC's outcome (codes, messages) attached."""

    def __init__(self, message: str, outcome: AtcOutcome, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.outcome = outcome

    @property
    def codes(self) -> list[str]:
        return [m.code for m in self.outcome.errors]


@dataclass(frozen=True)
class AtcMessage:
    """One message of ATC's error manager: its code and text (continuation lines joined with newlines)."""

    code: str
    text: str

    @property
    def is_warning(self) -> bool:
        return self.code.startswith("W")


@dataclass
class AtcOutcome:
    """ATC's verdict, its messages and, when it failed, the known fixes."""

    ok: bool
    returncode: int
    errors: list[AtcMessage] = field(default_factory=list)
    warnings: list[AtcMessage] = field(default_factory=list)
    missing_library: str | None = None  # the shared library the loader could not find (atc never started)

    def fixes(self) -> list[str]:
        found = [FIXES[m.code] for m in self.errors if m.code in FIXES]
        if self.missing_library is not None:
            found.insert(0, DEVLIB_FIX.format(lib=self.missing_library))
        return list(dict.fromkeys(found))


def messages(text: str) -> list[AtcMessage]:
    """The coded messages in ``text``, in order, each with its indented continuation lines."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = _MESSAGE.match(line.strip()) if not line[:1].isspace() else None
        if m is not None:
            out.append((m.group("code"), [_PID_STAMP.sub("", m.group("text")).strip()]))
        elif out and line[:1].isspace() and line.strip():
            out[-1][1].append(line.strip())
        elif line.strip():
            out.append(("", []))  # an uncoded line ends the previous message
    return [AtcMessage(code, "\n".join(lines)) for code, lines in out if code]


def parse(returncode: int, stdout: str, stderr: str = "") -> AtcOutcome:
    """ATC's exit status and output read into an outcome (never raises)."""
    found = messages(stdout) + messages(stderr)
    lines = [ln.strip() for ln in stdout.splitlines()]
    succeeded = any(ln.startswith(SUCCESS_LINE) for ln in lines)
    failed = any(ln.startswith(FAILURE_LINE) for ln in lines)
    lib = _MISSING_LIB.search(stderr)
    return AtcOutcome(
        ok=returncode == 0 and succeeded and not failed,
        returncode=returncode,
        errors=[m for m in found if not m.is_warning],
        warnings=[m for m in found if m.is_warning],
        missing_library=lib.group("lib") if lib else None,
    )


def check(outcome: AtcOutcome, command: str, stdout: str, stderr: str = "") -> AtcOutcome:
    """``outcome`` when ATC succeeded, else an AtcError (a ConversionError) naming the codes and the fix."""
    if outcome.ok:
        return outcome
    detail = f"$ {command}\n{stdout}{stderr}"
    fixes = outcome.fixes()
    hint = "; ".join(fixes) if fixes else "run the command by hand and read ATC's log (ASCEND_PROCESS_LOG_PATH)"
    if outcome.missing_library is not None:
        why = f"atc could not start: {outcome.missing_library} not found"
    elif outcome.errors:
        first = outcome.errors[0]
        codes = ", ".join(dict.fromkeys(m.code for m in outcome.errors))
        why = f"ATC failed ({codes}): {first.text.splitlines()[0]}"
    elif outcome.returncode == 0:
        why = "ATC exited 0 without its success line (interrupted, or not ATC)"
    else:
        why = f"ATC failed with exit code {outcome.returncode} and no error message"
    raise AtcError(why, outcome, hint=hint, detail=detail)
