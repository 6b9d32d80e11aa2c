"""ATC's output read into success or an AtcError, on the verbatim samples of FORMATS.md (tests/fixtures/ascend)."""

from __future__ import annotations

from pathlib import Path

import pytest

from converters.atc_output import AtcError, check, parse
from host_tools.errors import ConversionError

FIXTURES = Path(__file__).parent / "fixtures" / "ascend"
CMD = "atc --framework=5 --model=lenet.onnx --output=lenet --soc_version=Ascend310"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_success_needs_exit_0_and_the_success_line():
    out = _read("atc_success.txt")
    assert parse(0, out).ok
    assert check(parse(0, out), CMD, out).ok
    assert not parse(255, out).ok  # the line alone is not trusted
    started = "ATC start working now, please wait for a moment.\n"
    assert not parse(0, started).ok  # nor exit 0 alone
    with pytest.raises(AtcError, match="exited 0 without its success line"):
        check(parse(0, started), CMD, started)


def test_warnings_are_kept_on_success():
    out = _read("atc_success_warnings.txt")
    outcome = parse(0, out)
    assert outcome.ok and outcome.errors == []
    assert [w.code for w in outcome.warnings] == ["W11001", "W11001"]
    assert outcome.warnings[0].text.startswith("Op [Slice_29] does not hit the high-priority operator")


@pytest.mark.parametrize(("name", "code", "first", "fix"), [
    ("atc_fail_e10054.txt", "E10054", "The requied parameter [--model] for ATC is empty.", "required ATC flag"),
    ("atc_fail_e10007.txt", "E10007", "[--framework] is required.", "--framework=5"),
    ("atc_fail_ez3003.txt", "EZ3003", "No supported Ops kernel and engine are found for [AddDsl]", "OPP"),
    ("atc_fail_e10001.txt", "E10001", "Value [-1] for parameter [input_2] is invalid.", "--batch N"),
    ("atc_fail_e19010.txt", "E19010", "No parser is registered for Op", "opset 11"),
    ("atc_fail_e19999.txt", "E19999", "Inner Error!", "ATC's log"),
])
def test_each_failure_sample_gives_its_code_message_and_fix(name, code, first, fix):
    out = _read(name)
    outcome = parse(255, out)
    assert not outcome.ok and [m.code for m in outcome.errors] == [code]
    with pytest.raises(AtcError) as e:
        check(outcome, CMD, out)
    assert isinstance(e.value, ConversionError) and e.value.codes == [code]
    assert code in e.value.message and first in e.value.message and fix in (e.value.hint or "")
    assert CMD in (e.value.detail or "")


def test_pid_stamp_is_dropped_and_continuation_lines_joined():
    [m] = parse(255, _read("atc_fail_e10007.txt")).errors
    assert m.text.startswith("[--framework] is required.")  # no "[PID: 10490] 2025-03-18-..."
    [z] = parse(255, _read("atc_fail_ez3003.txt")).errors
    assert z.text.splitlines()[1].startswith("Possible Cause:") and "ge_generator.cc" in z.text.splitlines()[-1]


def test_missing_driver_library_names_the_devlib_fix():
    err = _read("atc_stderr_libascend_hal.txt")
    outcome = parse(127, "", err)
    assert outcome.missing_library == "libascend_hal.so"
    with pytest.raises(AtcError) as e:
        check(outcome, CMD, "", err)
    assert "libascend_hal.so not found" in e.value.message and "devlib" in (e.value.hint or "")


def test_a_failure_line_wins_over_a_success_line():
    out = _read("atc_success.txt") + _read("atc_fail_e10001.txt")
    assert not parse(0, out).ok

