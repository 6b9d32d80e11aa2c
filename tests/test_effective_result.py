"""What actually ran, on the host side: device_bench's ``effective`` section parsed, stored, shown and compared.

The fixture is a real run of the aarch64 device_bench on the aarch64 Lite runtime under qemu-user with
``--enableFp16=true --numThreads=4 --cpuBindMode=1`` on a 2-core host: the runtime ran fp32 (no fp16 kernels
in this build) on 2 threads pinned to CPUs 1 and 0.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from host_tools.bench.render import ran_line, render_summary
from host_tools.bench.result import parse_result
from host_tools.bench.store import open_store
from host_tools.bench.views import render_compare, render_show
from host_tools.cli import main
from tests import store_fixtures as fx

FIXTURE = Path(__file__).parent / "fixtures" / "device_bench_aarch64_fp16.json"


def _doc() -> dict:
    return json.loads(FIXTURE.read_text())


def test_the_captured_fp16_fallback_parses_into_values():
    result = parse_result(FIXTURE.read_text())
    assert result.config["enable_fp16"] is True and result.config["threads"] == 4  # what was asked
    eff = result.effective
    assert eff is not None
    assert (eff["precision"], eff["threads"], eff["cpu_binding"], eff["device"]) == ("fp32", 2, "pinned", "CPU")
    assert result.ignored == ["enable_fp16", "threads"]
    assert [t["name"] for t in eff["runtime_threads"]] == ["ActorThread_0", "KernelThread_0"]
    assert any("no fp16 kernels and ran fp32" in w for w in result.warnings)
    assert any("--numThreads=4 asked for 4 threads, but MindSpore Lite runs 2 threads" in w for w in result.warnings)
    assert parse_result(result.to_dict()).effective == eff  # round trip


def test_a_result_without_the_section_has_none():
    result = fx.full()
    assert result.effective is None and result.ignored == []
    assert ran_line(None) is None
    assert "ran " not in render_summary(result)


def test_summary_says_what_ran_and_warns():
    text = render_summary(parse_result(FIXTURE.read_text()))
    lines = text.splitlines()
    ran = next(ln for ln in lines if ln.startswith("ran "))
    assert ran == ("ran       fp32, 2 threads, pinned (ActorThread_0 on CPU 1, KernelThread_0 on CPU 0), CPU; "
                   "ignored: enable_fp16, threads")
    assert lines.index(ran) == lines.index(next(ln for ln in lines if ln.startswith("config"))) + 1
    assert any(ln.startswith("warning   --enableFp16 asked for fp16") for ln in lines)


def test_ran_line_for_other_outcomes():
    assert ran_line({"precision": "fp16", "threads": 1, "cpu_binding": "none", "device": "CPU",
                     "runtime_threads": [{"name": "ActorThread_0", "cpus": "0-7"}], "ignored": []}) == \
        "fp16, 1 thread, binding none, CPU"
    assert ran_line({"precision": "unknown", "threads": None, "cpu_binding": "unknown", "device": "GPU"}) == \
        "unknown, threads not seen, binding unknown, GPU"


def test_the_store_keeps_it_and_show_and_compare_render_it(tmp_path):
    ws = tmp_path / "ws"
    with open_store(ws / "results.db") as store:
        store.add(fx.full(), status="ok", target="local", variant="fp32", model_format="ms")
        rid = store.add(parse_result(_doc()), status="ok", target="ssh:board", variant="fp16", model_format="ms")
        old, stored = store.get(1), store.get(rid)
    assert stored.result.effective == _doc()["effective"]
    assert stored.result.ignored == ["enable_fp16", "threads"]
    text = render_show(stored)
    assert "ran       fp32, 2 threads, pinned (ActorThread_0 on CPU 1, KernelThread_0 on CPU 0), CPU; " \
           "ignored: enable_fp16, threads" in text
    assert "from: precision lite log;" in text and "threads /proc/self/task;" in text
    assert "ran       not recorded" in render_show(old)
    rows = {ln.split("  ")[0]: ln.split() for ln in render_compare(old, stored).splitlines()}
    assert rows["precision"][-2:] == ["-", "fp32"]
    assert rows["ran threads"][-2:] == ["-", "2"]
    res = CliRunner().invoke(main, ["results", "show", str(rid), "--workspace", str(ws)])
    assert res.exit_code == 0 and "ignored: enable_fp16, threads" in res.output
    assert "warning   --enableFp16 asked for fp16, but this MindSpore Lite build has no fp16 kernels" in res.output
