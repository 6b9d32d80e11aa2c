"""The pieces of the board's Ascend path without a board: the probe's parser, the power verdicts, the
output scoring, the soc and .om checks, and the stand-ins' output read back by mindedge's real-format
parsers (so the emulated board speaks what the real tools print)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from converters import atc_output
from host_tools import manifest
from host_tools.bench.ascend_bench import check_om, check_soc, read_outputs
from host_tools.bench.ascend_parse import parse_ais_bench_stdout, parse_ais_bench_summary, parse_msame
from host_tools.bench.npu_power import unavailable
from host_tools.bench.output_agreement import score
from host_tools.emulator.ascend import atc as atc_standin
from host_tools.emulator.ascend import npu, npu_smi, om_file
from host_tools.errors import BenchmarkError, ConfigError, ModelError, ToolMissing
from host_tools.targets import npu_smi as npu_smi_parse
from host_tools.targets.ascend_board import MARK, AscendBoard, parse_probe
from host_tools.targets.ssh_parse import parse_npu_smi_info
from tests.onnx_models import tiny_conv_classifier

FIXTURES = Path(__file__).parent / "fixtures" / "ascend"
TABLE_310B1 = (FIXTURES / "npu_smi_info_310b1.txt").read_text()
TABLE_310 = TABLE_310B1.replace("310B1                 | OK              | 10.7 ",
                                "310                   | OK              | 12.8 ")


def _board(info: str = TABLE_310B1, rc: int = 0, **kw) -> AscendBoard:
    base = dict(set_env="/usr/local/Ascend/ascend-toolkit/set_env.sh", ais_bench=True, msit=None,
                msame="/home/u/msame/out/msame", atc=None, npu_smi="/usr/local/sbin/npu-smi", npu_info=info,
                npu_info_rc=rc)
    return AscendBoard(**{**base, **kw})


def test_probe_output_is_read():
    text = (f"set_env=/home/u/Ascend/ascend-toolkit/set_env.sh\nais_bench=1\natc=/x/bin/atc\nmsame=/m/msame\n"
            f"npu_smi=/usr/local/sbin/npu-smi\n{MARK}info\n{TABLE_310B1}{MARK}rc=0\n")
    b = parse_probe(text)
    assert b.set_env.endswith("set_env.sh") and b.ais_bench and b.msame == "/m/msame" and b.atc == "/x/bin/atc"
    assert b.chip == "310B1" and b.npu_smi_version == "23.0.rc3" and b.bench_tool() == "ais_bench"
    bare = parse_probe(f"npu_smi=\n{MARK}info\n{MARK}rc=1\n")
    assert bare.npu_smi is None and bare.chip is None and bare.npu_info_rc is None


def test_tool_choice_prefers_ais_bench_then_msit_then_msame():
    assert _board(ais_bench=False, msit="/usr/bin/msit").bench_tool() == "msit"
    assert _board(ais_bench=False).bench_tool() == "msame"
    with pytest.raises(ToolMissing, match="neither ais_bench"):
        _board(ais_bench=False, msame=None).bench_tool()
    with pytest.raises(ToolMissing, match="no msit"):
        _board().bench_tool("msit")


def test_the_tools_run_after_cann_environment_is_sourced():
    argv = _board().shell(["python3", "-m", "ais_bench", "--model", "a b.om"])
    assert argv[:2] == ["sh", "-c"] and argv[2].startswith(". /usr/local/Ascend/ascend-toolkit/set_env.sh")
    assert argv[2].endswith("exec python3 -m ais_bench --model 'a b.om'")


def test_power_verdicts():
    assert unavailable(_board()) is None
    assert "rated power" in unavailable(_board(TABLE_310))
    refused = "npu-smi: Permission denied, run as root or join the HwHiAiUser group"
    assert "refused" in unavailable(_board(refused, rc=1))
    assert "failed" in unavailable(_board("dcmi module initialize failed", rc=1))
    assert unavailable(_board(npu_smi=None)) == "the board has no npu-smi"
    alarm = TABLE_310B1.replace("| OK              | 10.7 ", "| Alarm           | 0.0  ")
    assert "Alarm" in unavailable(_board(alarm))


def test_score_matches_device_bench_semantics():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((8, 10)).astype(np.float32)
    labels = ref.argmax(axis=1)
    same = score(ref.copy(), ref, 0.5, labels)
    assert same["passed"] and same["mean_rel_error"] == 0 and same["top1_agreement"] == 1.0
    assert same["label_top1"] == 1.0 and same["cosine_similarity"] == pytest.approx(1.0)
    off = score(ref * 1.02, ref, 0.5)  # 2 % everywhere: over a 0.5 % threshold
    assert not off["passed"] and off["mean_rel_error"] == pytest.approx(0.02, rel=1e-3)
    nan = ref.copy()
    nan[0, 0] = np.nan
    assert score(nan, ref, 50.0)["nonfinite_outputs"] == 1 and not score(nan, ref, 50.0)["passed"]
    with pytest.raises(ValueError, match="shape"):
        score(ref[:4], ref, 0.5)


def test_soc_check(tmp_path):
    src = tiny_conv_classifier(tmp_path / "m.onnx")
    man = manifest.describe(src, kind="om", extra={"soc_version": "Ascend310"})
    with pytest.raises(ConfigError, match="built for Ascend310, the board's NPU is Ascend310B1"):
        check_soc(man, _board(), tmp_path / "m.om")
    assert check_soc(manifest.describe(src, kind="om", extra={"soc_version": "Ascend310B1"}), _board(), src) == []
    assert "npu-smi did not name" in check_soc(man, _board("", rc=1), src)[0]


def test_om_checks(tmp_path):
    real = tmp_path / "real.om"
    real.write_bytes(b"IMOD" + b"\x00" * 60)
    assert check_om(real) is None  # an .om (no manifest): accepted by the host tools
    with pytest.raises(ModelError, match=r"real \.om"):
        om_file.read(real)  # ... but the stand-ins cannot run a real one
    other = tmp_path / "x.om"
    other.write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelError, match=r"not an \.om model"):
        check_om(other)
    cut = tmp_path / "cut.om"
    om_file.write(cut, {"soc_version": "Ascend310B1"}, b"")
    with pytest.raises(ModelError, match="truncated"):
        om_file.read(cut)


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_outputs_are_read_per_sample_and_a_missing_one_is_an_error():
    a, b = np.arange(10, dtype="<f4"), np.ones(10, dtype="<f4")
    tar = _tar({"./sample_0000_0.bin": a.tobytes(), "./sample_0001_0.bin": b.tobytes()})
    assert np.array_equal(read_outputs(tar, ["sample_0000", "sample_0001"], "ais_bench"), np.stack([a, b]))
    msame = _tar({"./20261203_101010/sample_0000_output_0.bin": a.tobytes()})
    assert read_outputs(msame, ["sample_0000"], "msame").shape == (1, 10)
    with pytest.raises(BenchmarkError, match="wrote no output for sample_0001"):
        read_outputs(_tar({"./sample_0000_0.bin": a.tobytes()}), ["sample_0000", "sample_0001"],
                     "ais_bench")


# -- the stand-ins speak the real formats ------------------------------------------------------------------------

@pytest.fixture
def npu_env(tmp_path, monkeypatch):
    cfg = npu.for_chip("310B1", load_file=str(tmp_path / "load"))
    npu.save(cfg, tmp_path / "npu.json")
    monkeypatch.setenv("MINDEDGE_NPU", str(tmp_path / "npu.json"))
    return cfg


def test_npu_smi_stand_in_is_read_by_the_real_parsers(npu_env, capsys):
    table = npu_smi.table(npu_env)
    assert [len(line) for line in table.splitlines()] == [len(line) for line in TABLE_310B1.splitlines()]
    assert parse_npu_smi_info(table)["chips"][0]["name"] == "310B1"
    assert npu_smi_parse.power(npu_smi.typed(npu_env, "power", False)).watts == npu_env.idle_w
    with npu.busy(npu_env):
        assert npu_smi_parse.power(npu_smi.typed(npu_env, "power", True)).watts == npu_env.load_w
    rated = npu_smi_parse.power(npu_smi.typed(npu.for_chip("310"), "power", False))
    assert rated.watts is None and "rated" in rated.reason
    assert npu_smi.main(["info", "-t", "volt", "-i", "0"]) == 255 and "Error parameter of -t" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code"), [
    ([], "E10007"),
    (["--framework=3", "--model=m.onnx", "--output=o", "--soc_version=Ascend310B1"], "E10001"),
    (["--framework=5", "--output=o", "--soc_version=Ascend310B1"], "E10054"),
    (["--framework=5", "--model={onnx}", "--output={out}", "--soc_version=Ascend999"], "E10001"),
    (["--framework=5", "--model={dyn}", "--output={out}", "--soc_version=Ascend310B1"], "E10001"),
    (["--framework=5", "--model={new}", "--output={out}", "--soc_version=Ascend310B1"], "E19010"),
    (["--framework=5", "--model={onnx}", "--output={out}", "--soc_version=Ascend310B1",
      "--input_shape=y:1,1,8,8"], "E10001"),
])
def test_atc_stand_in_failures_are_read_as_atc_errors(tmp_path, npu_env, capsys, argv, code):
    import onnx

    src = tiny_conv_classifier(tmp_path / "m.onnx")
    model = onnx.load(str(src))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(model, str(tmp_path / "dyn.onnx"))
    model.opset_import[0].version = 21
    onnx.save(model, str(tmp_path / "new.onnx"))
    paths = {"onnx": src, "dyn": tmp_path / "dyn.onnx", "new": tmp_path / "new.onnx", "out": tmp_path / "o"}
    rc = atc_standin.main([a.format(**paths) for a in argv])
    outcome = atc_output.parse(rc, capsys.readouterr().out, "")
    assert rc == 255 and not outcome.ok and outcome.errors[0].code == code
    assert not (tmp_path / "o.om").exists()


def test_atc_stand_in_success_is_read_as_success_and_writes_an_emulated_om(tmp_path, npu_env, capsys):
    src = tiny_conv_classifier(tmp_path / "m.onnx")
    rc = atc_standin.main(["--framework=5", f"--model={src}", f"--output={tmp_path / 'o'}", "--input_shape=x:1,1,8,8",
                           "--soc_version=Ascend310B1", "--log=error"])
    assert atc_output.parse(rc, capsys.readouterr().out, "").ok
    om = om_file.read(tmp_path / "o.om")
    assert om.onnx == src.read_bytes() and om.meta["input"] == {"name": "x", "shape": [1, 1, 8, 8],
                                                                "dtype": "float32", "layout": "NCHW"}


def test_ais_bench_and_msame_stand_ins_are_read_by_the_real_parsers(tmp_path, npu_env, capsys):
    from host_tools.emulator.ascend import ais_bench, msame

    src = tiny_conv_classifier(tmp_path / "m.onnx")
    atc_standin.main(["--framework=5", f"--model={src}", f"--output={tmp_path / 'o'}", "--soc_version=Ascend310B1"])
    capsys.readouterr()
    x = tmp_path / "in.bin"
    np.zeros((1, 1, 8, 8), np.float32).tofile(x)
    assert ais_bench.main(["--model", str(tmp_path / "o.om"), "--input", str(x), "--output", str(tmp_path / "out"),
                           "--output_dirname", "r", "--loop", "5", "--warmup_count", "1",
                           "--display_all_summary", "1"]) == 0
    stdout = capsys.readouterr().out
    run = parse_ais_bench_stdout(stdout)
    assert run.compute["mean"] > 0 and run.h2d and run.d2h and run.throughput_ips
    summary = parse_ais_bench_summary((tmp_path / "out" / "r_summary.json").read_text())
    assert len(summary.runs_ms) == 5 and summary.compute["count"] == 5
    assert json.loads((tmp_path / "out" / "r_summary.json").read_text())["args"]["loop"] == 5
    assert (tmp_path / "out" / "r" / "in_0.bin").stat().st_size == 4 * 4  # 4 classes, float32
    assert msame.main(["--model", str(tmp_path / "o.om"), "--input", str(x), "--loop", "3"]) == 0
    ms = parse_msame(capsys.readouterr().out)
    assert len(ms.runs_ms) == 2 and ms.first_ms is not None
    assert ais_bench.main(["--model", str(tmp_path / "o.om"), "--device", "1"]) == 1
    assert "[ERROR]" in capsys.readouterr().out


def test_stand_ins_refuse_an_om_for_another_soc(tmp_path, npu_env, capsys):
    from host_tools.emulator.ascend import ais_bench

    src = tiny_conv_classifier(tmp_path / "m.onnx")
    atc_standin.main(["--framework=5", f"--model={src}", f"--output={tmp_path / 'o'}", "--soc_version=Ascend310"])
    capsys.readouterr()
    assert ais_bench.main(["--model", str(tmp_path / "o.om")]) == 1
    assert "built for Ascend310 and this NPU is Ascend310B1" in capsys.readouterr().out
