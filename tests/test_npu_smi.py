"""npu-smi's power/temp/usages/watch output and its info table: readings, and rated values that are not readings."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.targets import npu_smi

ASCEND = Path(__file__).parent / "fixtures" / "ascend"
FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> str:
    return (ASCEND / name).read_text()


def test_real_time_power_is_a_reading():
    reading = npu_smi.power(_read("npu_smi_power_200i_a2.txt"))
    assert reading.watts == pytest.approx(9.1) and reading.key == npu_smi.REAL_TIME and reading.reason is None


def test_rated_power_is_no_reading():
    common = npu_smi.power(_read("npu_smi_common_200i_a2.txt"))
    assert common.watts is None and "rated power (4.0 W)" in common.reason
    rated_310 = "\tNPU ID                         : 0\n\tChip ID                        : 0\n" \
                "\tRated Power Dissipation(W)     : 12.8\n"
    assert npu_smi.power(rated_310).watts is None


@pytest.mark.parametrize(("text", "why"), [
    ("\tNPU Real-time Power(W)         : NA\n", "NA"),
    ("Error parameter of -t\n", "no power section"),
    ("\tPower Dissipation(W)           : 16.9\n\tChip Name                      : MCU\n", "board MCU"),
])
def test_na_errors_and_the_board_mcu_are_no_reading(text, why):
    reading = npu_smi.power(text)
    assert reading.watts is None and why in reading.reason


def test_info_table_310_is_rated_and_310b1_is_measured():
    [r310] = npu_smi.info_power((FIXTURES / "npu_smi_info_310.txt").read_text())
    assert r310.watts is None and "rated power (12.8 W)" in r310.reason
    [r310b] = npu_smi.info_power(_read("npu_smi_info_310b1.txt"))
    assert r310b.watts == pytest.approx(10.7)
    alarm = _read("npu_smi_info_310b1.txt").replace("| OK              | 10.7", "| Alarm           | 0.0 ")
    [r_alarm] = npu_smi.info_power(alarm)
    assert r_alarm.watts is None and "health Alarm" in r_alarm.reason


def test_temp_and_usages_blocks():
    temp = npu_smi.blocks(_read("npu_smi_temp_200i_a2.txt"))
    assert temp[0]["Chip ID"] == "0" and temp[0]["Temperature (C)"] == "50" and temp[0]["NPU ID"] == "0"
    assert temp[1]["TEC_TEMP (C)"] == "NA" and temp[1]["Chip Name"] == "MCU"
    [usage] = [b for b in npu_smi.blocks(_read("npu_smi_usages_200i_a2.txt")) if "Aicore Usage Rate(%)" in b]
    assert usage["Aicore Usage Rate(%)"] == "0" and usage["Memory Usage Rate(%)"] == "35"


def test_watch_rows():
    rows = npu_smi.watch(_read("npu_smi_watch.txt"))
    assert len(rows) == 2 and rows[0] == {"npu": 0, "chip": 0, "power_w": 4.0, "temp_c": 44.0, "aicore_pct": 0.0,
                                          "aicpu_pct": 0.0, "ctrlcpu_pct": 0.0, "memory_pct": 32.0,
                                          "memory_bw_pct": 0.0}
    only_power = "NpuID(Idx)  ChipId(Idx) Pwr(W)\n0           0           NA\n0           0           3.5\n"
    assert [r["power_w"] for r in npu_smi.watch(only_power)] == [None, 3.5]
    assert npu_smi.watch("0 0 4.0\n") == []  # rows without a header are not trusted


def test_permission_refusal_is_recognised():
    assert npu_smi.needs_permission("npu-smi: Permission denied, please run as root or HwHiAiUser\n")
    assert not npu_smi.needs_permission(_read("npu_smi_watch.txt"))


def test_watch_of_text_without_a_header_is_no_rows():
    assert npu_smi.watch(_read("npu_smi_common_200i_a2.txt")) == []
    assert npu_smi.watch("\n\n") == []
