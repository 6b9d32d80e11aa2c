"""``mindedge compare-archs``: one real comparison on a small real-photo folder (EfficientNet-Lite0 pretrained and
frozen, ResNet-20 from scratch, a ViT forced to fail at conversion) checked column by column; the failure stages,
the refusals and the exit code on fakes; ``TransferConfig.model``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from host_tools.errors import BenchmarkError, ConfigError, ConversionError, ModelError, ToolMissing

TEST_PER_CLASS = 8


def _invoke(*args: str) -> Any:
    from click.testing import CliRunner

    from host_tools.cli import main

    return CliRunner().invoke(main, ["compare-archs", *args])


# ---- one real comparison ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import converters.lite
    from host_tools.compare.run import CompareConfig, run_compare
    from tests.photo_folders import small_photo_folder

    root = tmp_path_factory.mktemp("compare")
    data = small_photo_folder(root / "photos", train=20, val=4, test=TEST_PER_CLASS)
    real = converters.lite.run_converter

    def converter(backend: Any, src: Path, *rest: Any) -> Path:
        if src.name.startswith("vit_tiny"):
            raise ConversionError(f"forced: the converter rejects {src.name}")
        return real(backend, src, *rest)

    cfg = CompareConfig(data=str(data), archs=["efficientnet_lite0", "resnet20", "vit_tiny"], out=root / "out",
                        epochs=2, image_size=32, loops=10, warmup=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # MindSpore may write rank_0/ into the working directory
        mp.setattr(converters.lite, "run_converter", converter)
        summary = run_compare(cfg, say=lambda _: None)
    return {"summary": summary, "data": data, "out": root / "out", "rows": {r["name"]: r for r in summary["archs"]}}


@pytest.mark.integration
@pytest.mark.slow
def test_json_document_and_every_column(compared: dict[str, Any]) -> None:
    from host_tools.compare.run import render_table
    from host_tools.compress.flops import count

    summary, rows = compared["summary"], compared["rows"]
    assert json.loads((compared["out"] / "compare.json").read_text()) == json.loads(json.dumps(summary))
    assert summary["schema"] == "mindedge.compare/1" and summary["ok"] == 2 and summary["target"] == "local"
    assert [r["name"] for r in summary["archs"]] == ["efficientnet_lite0", "resnet20", "vit_tiny"]
    assert summary["config"]["epochs"] == 2 and summary["data"]["classes"] == ["cat", "dog"]
    eff, res = rows["efficientnet_lite0"], rows["resnet20"]
    assert (eff["pretrained"], eff["weights"], res["pretrained"], res["weights"]) == (True, "efficientnet_lite0",
                                                                                      False, None)
    assert eff["input_size"] == 32 and res["input_size"] == 32  # --image-size for one, its own size for the other
    for r in (eff, res):
        assert (r["status"], r["stage"], r["error"]) == ("ok", None, None), r
        ms_path = Path(r["ms_path"])
        assert r["ms_bytes"] == ms_path.stat().st_size > 0 and r["verification"]["passed"]
        assert {k: r[k] for k in ("params", "macs", "flops")} == count(Path(r["onnx"]))
        assert 0 < r["p50_ms"] <= r["p90_ms"] and len(r["p50_rounds_ms"]) == summary["bench_rounds"] == 3
        assert r["p50_ms"] == r["bench"]["latency_ms"]["p50"] and r["bench"]["config"]["loops"] == 10
        assert r["train_seconds"] > 0 and 1 <= r["epochs_run"] <= 2 and 0 <= r["test_accuracy"] <= 1
    assert eff["params"] > 10 * res["params"]  # 3.4M against 0.27M: the rows are not mixed up
    assert eff["cache"]["hits"] + eff["cache"]["misses"] == 2 * (20 + 4 + TEST_PER_CLASS)
    from host_tools import manifest

    man = manifest.load(Path(eff["ms_path"]))  # the pretrained arch keeps its own normalization
    assert man.normalization["mean"] == [0.5, 0.5, 0.5] and man.normalization["crop"] == 32
    assert manifest.load(Path(res["ms_path"])).extra["model"] == "resnet20"
    text = render_table(summary)
    for cell in ("efficientnet_lite0", "pretrained", "scratch", f"{eff['ms_bytes']:,}", f"{res['params']:,}",
                 f"{res['test_accuracy']:.2%}", f"{eff['p50_ms']:.3f}", f"{eff['p90_ms']:.3f}", "p90 ms", "train s"):
        assert cell in text, cell
    assert f"efficientnet_lite0 {eff['cache']['hits']} cached / {eff['cache']['misses']} computed" in text


@pytest.mark.integration
@pytest.mark.slow
def test_every_arch_is_judged_on_the_same_split(compared: dict[str, Any]) -> None:
    from host_tools import manifest
    from host_tools.data.images import load_image_folder

    listing = load_image_folder(compared["data"]).record()["listing_sha256"]
    rows = compared["rows"]
    assert compared["summary"]["test_images"] == 2 * TEST_PER_CLASS
    for name in ("efficientnet_lite0", "resnet20"):
        r = rows[name]
        assert r["test_images"] == r["mindspore_test_images"] == 2 * TEST_PER_CLASS, name
        assert r["split_sha256"] == listing, name
    for r in rows.values():  # the failed arch trained on the same split too
        assert manifest.load(Path(r["checkpoint"])).extra["dataset"]["listing_sha256"] == listing


@pytest.mark.integration
@pytest.mark.slow
def test_ms_accuracy_matches_mindspore_within_one_image(compared: dict[str, Any]) -> None:
    for name in ("efficientnet_lite0", "resnet20"):
        r = compared["rows"][name]
        assert abs(r["test_accuracy"] - r["mindspore_accuracy"]) <= 1 / r["test_images"] + 1e-9, r


@pytest.mark.integration
@pytest.mark.slow
def test_an_arch_the_converter_rejects_keeps_its_row(compared: dict[str, Any]) -> None:
    from host_tools.compare.run import render_table

    vit = compared["rows"]["vit_tiny"]
    assert (vit["status"], vit["stage"]) == ("failed", "convert")
    assert "forced: the converter rejects vit_tiny.onnx" in vit["error"]
    assert vit["params"] > 0 and vit["mindspore_accuracy"] is not None  # trained and exported before it failed
    assert "ms_path" not in vit and "p50_ms" not in vit
    assert not list((compared["out"] / "vit_tiny").glob("*.ms"))
    text = render_table(compared["summary"])
    assert "failed: convert" in text and "vit_tiny (convert): forced" in text


# ---- stages, refusals and the exit code, on fakes ------------------------------------------------------------

def _row(name: str = "resnet20") -> dict[str, Any]:
    return {"name": name, "status": "running", "stage": None, "error": None, "mindspore_accuracy": 0.5}


@pytest.fixture
def fake_export(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import host_tools.compare.measure as measure
    import host_tools.compress.flops as flops

    onnx = tmp_path / "m.onnx"
    monkeypatch.setattr(measure, "export_onnx", lambda ckpt, out: onnx)
    monkeypatch.setattr(flops, "count", lambda path: {"params": 7, "macs": 3, "flops": 6})
    return onnx


def _raiser(e: BaseException) -> Any:
    def fn(*_: Any, **__: Any) -> Any:
        raise e
    return fn


def test_each_stage_failure_is_recorded_with_its_stage(fake_export: Path, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    from converters.lite import RuntimeCheckError
    from host_tools.compare import measure

    cases = [
        ("export", "export_onnx", RuntimeError("Unsupported op Foo\nmore"), "RuntimeError: Unsupported op Foo"),
        ("convert", "convert_fp32", ConversionError("converter said no"), "converter said no"),
        ("runtime", "convert_fp32", RuntimeCheckError("cannot run it", ms_bytes=123), "cannot run it"),
    ]
    for stage, attr, error, text in cases:
        with monkeypatch.context() as mp:
            mp.setattr(measure, attr, _raiser(error))
            row = _row()
            measure.after_training(row, tmp_path / "x.ckpt", tmp_path, 1, lambda _: None)
        assert (row["status"], row["stage"], row["error"]) == ("failed", stage, text), row
    assert row["ms_bytes"] == 123 and row["params"] == 7  # counted before conversion failed


def test_a_runtime_failure_after_conversion_is_a_runtime_row(fake_export: Path, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    from host_tools import lite_runtime
    from host_tools.compare import measure
    from host_tools.data import recorded

    ms_path = tmp_path / "resnet20.ms"
    ms_path.write_bytes(b"x" * 10)

    class Converted:
        output, verification = ms_path, None

    monkeypatch.setattr(measure, "convert_fp32", lambda onnx, out: Converted())
    monkeypatch.setattr("host_tools.manifest.load", lambda path: None)
    monkeypatch.setattr(recorded, "required_split", _raiser(ModelError("its test photos are gone")))
    row = _row()
    measure.after_training(row, tmp_path / "x.ckpt", tmp_path, 1, lambda _: None)
    assert (row["stage"], row["error"], row["ms_bytes"]) == ("runtime", "its test photos are gone", 10)
    monkeypatch.setattr(recorded, "required_split", lambda man: type("R", (), {"x": None, "y": None})())
    monkeypatch.setattr(lite_runtime, "ms_accuracy", _raiser(BenchmarkError("device_bench crashed")))
    row = _row()
    measure.after_training(row, tmp_path / "x.ckpt", tmp_path, 1, lambda _: None)
    assert (row["status"], row["stage"], row["error"]) == ("failed", "runtime", "device_bench crashed")


def test_bench_failures_are_bench_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import host_tools.compress.measure as cmeasure
    from host_tools.compare.measure import bench_all

    def one_fails(rows: list[dict[str, Any]], cfg: Any, rounds: int, say: Any) -> None:
        rows[0].update(status="failed", error="benchmark: timed out")
        rows[1].update(p50_ms=1.0, bench={"latency_ms": {"p50": 1.0, "p90": 1.5}})

    rows = [dict(_row("a"), status="ok"), dict(_row("b"), status="ok"), dict(_row("c"), status="failed",
                                                                          stage="train")]
    monkeypatch.setattr(cmeasure, "benchmark", one_fails)
    bench_all(rows, None, 3, lambda _: None)
    assert [(r["status"], r["stage"]) for r in rows] == [("failed", "bench"), ("ok", None), ("failed", "train")]
    assert rows[1]["p90_ms"] == 1.5
    rows = [dict(_row("a"), status="ok")]
    monkeypatch.setattr(cmeasure, "benchmark", _raiser(ToolMissing("device_bench is not built")))
    bench_all(rows, None, 3, lambda _: None)
    assert (rows[0]["stage"], rows[0]["error"]) == ("bench", "device_bench is not built")


def test_unknown_or_no_archs_are_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import host_tools.data.images as images

    monkeypatch.setattr(images, "load_image_folder", lambda *a, **k: pytest.fail("work started"))
    out = tmp_path / "out"
    result = _invoke("--archs", "resnet20,resnet18,vgg", "--data", str(tmp_path / "nothing"), "--out", str(out))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "mindedge: error: unknown architecture(s): resnet18, vgg"
    assert lines[1] == "  fix: valid architectures: efficientnet_lite0, mobilenet_v2, resnet20, vit_tiny"
    assert len(lines) == 2 and not out.exists()
    empty = _invoke("--archs", " , ", "--out", str(out))
    assert empty.exit_code == 2 and "no architecture given" in empty.output and not out.exists()


def test_exit_2_when_no_arch_made_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import host_tools.compare.train as ctrain
    from tests.photo_folders import small_photo_folder

    data = small_photo_folder(tmp_path / "photos", train=2, val=1, test=1)
    monkeypatch.setattr(ctrain, "train_scratch", _raiser(ModelError("no memory for the net")))
    out = tmp_path / "out"
    result = _invoke("--archs", "resnet20,resnet20,vit_tiny", "--data", str(data), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "no architecture made it through" in result.output and "failed: train" in result.output
    doc = json.loads((out / "compare.json").read_text())
    assert doc["ok"] == 0 and [(r["name"], r["stage"], r["error"]) for r in doc["archs"]] == [
        ("resnet20", "train", "no memory for the net"), ("vit_tiny", "train", "no memory for the net")]


def test_config_checks() -> None:
    from host_tools.compare.run import CompareConfig

    for bad in ({"epochs": 0}, {"image_size": 16}, {"loops": 0}, {"lr": 1e-3, "min_lr": 1e-2}, {"threads": 0}):
        with pytest.raises(ConfigError, match="invalid compare-archs options"):
            CompareConfig(**bad)
    assert CompareConfig().archs == ["mobilenet_v2", "efficientnet_lite0", "resnet20", "vit_tiny"]


def test_transfer_config_takes_only_pretrained_models(tmp_path: Path) -> None:
    from host_tools import manifest
    from host_tools.train.transfer import TransferConfig, check_out

    assert TransferConfig(model="efficientnet_lite0").model == "efficientnet_lite0"
    with pytest.raises(ConfigError, match="model 'resnet20' has no ImageNet weights") as e:
        TransferConfig(model="resnet20")
    assert e.value.hint == "use one of efficientnet_lite0, mobilenet_v2"
    (tmp_path / "eff").mkdir()
    ckpt = tmp_path / "eff" / "efficientnet_lite0.ckpt"
    ckpt.write_bytes(b"x")
    manifest.save(manifest.describe(ckpt, "checkpoint", labels=["cat", "dog"], extra={"model": "efficientnet_lite0"}),
                  ckpt)
    check_out(tmp_path / "eff", 2, "efficientnet_lite0")
    with pytest.raises(ModelError, match="checkpoint of efficientnet_lite0 with 2 classes; this run trains "
                                         "mobilenet_v2"):
        check_out(tmp_path / "eff", 2)


@pytest.mark.integration
@pytest.mark.slow
def test_the_report_of_a_comparison_plots_its_archs(compared: dict[str, Any]) -> None:
    from host_tools.report.page import write

    page = write(compared["out"], compared["out"] / "report.html").read_text()
    assert "<h3>architectures on photos on local</h3>" in page and "Pareto front" in page
    assert "Failed variants: vit_tiny" in page and page.count("<svg") >= 2
