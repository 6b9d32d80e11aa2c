"""device_bench's accuracy check (--benchmarkDataFile) against ONNX Runtime references, on a real .ms.

The tiny classifier has one input channel, so its NCHW ONNX input and the converted model's NHWC input have
the same bytes: the same file feeds both runtimes.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from converters.lite import ConvertOptions, convert
from host_tools import sdk
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration

SAMPLES = 24
SIZE = 12
CLASSES = 4


@dataclass(frozen=True)
class Case:
    ms: Path
    inputs: Path
    reference: np.ndarray  # (SAMPLES, CLASSES) float32, from onnxruntime


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    import onnxruntime as ort

    d = tmp_path_factory.mktemp("tiny_accuracy")
    onnx_path = tiny_conv_classifier(d / "tiny.onnx", channels=1, size=SIZE, classes=CLASSES)
    ms = convert(onnx_path, d / "tiny.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output
    x = np.random.default_rng(7).standard_normal((SAMPLES, 1, 1, SIZE, SIZE)).astype(np.float32)
    inputs = d / "inputs.bin"
    x.tofile(inputs)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": xi})[0] for xi in x]).astype(np.float32)
    assert ref.shape == (SAMPLES, CLASSES)
    return Case(ms, inputs, ref)


def bench(case: Case, tmp: Path, reference: np.ndarray | None, *extra: str) -> tuple[int, dict | None, str]:
    args = [f"--modelFile={case.ms}", f"--inDataFile={case.inputs}", "--loopCount=5", "--warmUpLoopCount=1",
            "--powerSource=none", f"--jsonOut={tmp / 'r.json'}", "--quiet"]
    if reference is not None:
        ref_path = tmp / "ref.bin"
        reference.astype(np.float32).tofile(ref_path)
        args.append(f"--benchmarkDataFile={ref_path}")
    (tmp / "r.json").unlink(missing_ok=True)
    proc = subprocess.run([str(sdk.native_binary("device_bench")), *args, *extra], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **sdk.require_sdk().lib_path_env()})
    doc = json.loads((tmp / "r.json").read_text()) if (tmp / "r.json").exists() else None
    return proc.returncode, doc, proc.stderr


def expected_metrics(out: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """The documented definitions, recomputed in NumPy (per sample; one output tensor here)."""
    out = out.astype(np.float64)
    ref = ref.astype(np.float64)
    err = np.abs(out - ref)
    floor = np.maximum(1e-3 * np.abs(ref).max(axis=1, keepdims=True), 1e-6)
    rel = err / np.maximum(np.abs(ref), floor)
    cos = (out * ref).sum(1) / (np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1))
    return {
        "max_abs_error": err.max(),
        "mean_abs_error": err.mean(),
        "max_rel_error": rel.max(),
        "mean_rel_error": rel.mean(),
        "cosine_similarity": cos.mean(),
        "top1_agreement": float((out.argmax(1) == ref.argmax(1)).mean()),
    }


def test_onnxruntime_reference_passes(case, tmp_path):
    code, doc, err = bench(case, tmp_path, case.reference)
    assert code == 0, err
    acc = doc["accuracy"]
    assert acc["passed"] is True
    assert acc["samples"] == SAMPLES and acc["elements"] == SAMPLES * CLASSES
    assert acc["reference_file"] == str(tmp_path / "ref.bin")
    assert acc["max_abs_error"] < 1e-4 and acc["mean_rel_error"] < 1e-4
    assert acc["cosine_similarity"] > 0.99999 and acc["min_cosine_similarity"] > 0.99999
    assert acc["top1_agreement"] == 1.0 and acc["top1_rows"] == SAMPLES
    assert acc["metric"] == "mean_rel_error" and acc["threshold"] == 0.005 and acc["threshold_pct"] == 0.5
    assert acc["nonfinite_outputs"] == 0
    assert doc["config"]["benchmark_data_file"] == str(tmp_path / "ref.bin") and doc["config"]["samples"] == SAMPLES
    assert len(doc["latency_ms"]["runs"]) == 5  # timing still happens, on sample 1


def test_perturbed_reference_exits_3_with_metrics(case, tmp_path):
    perturbed = case.reference * 1.05 + 0.01
    out_file = tmp_path / "out.bin"
    code, doc, err = bench(case, tmp_path, perturbed, f"--outDataFile={out_file}")
    assert code == 3, err
    assert "accuracy check failed" in err and "--accuracyThreshold=0.5%" in err
    acc = doc["accuracy"]
    assert acc["passed"] is False
    # One pass served both: the outputs written are the ones compared.
    assert doc["outputs_written"] == SAMPLES
    out = np.fromfile(out_file, dtype=np.float32).reshape(SAMPLES, CLASSES)
    np.testing.assert_allclose(out, case.reference, rtol=1e-4, atol=1e-5)
    for key, value in expected_metrics(out, perturbed).items():
        assert acc[key] == pytest.approx(value, rel=1e-5, abs=1e-9), key
    assert acc["mean_rel_error"] > 0.04  # about 5%


def test_threshold_is_in_percent(case, tmp_path):
    perturbed = case.reference * 1.05
    code, doc, err = bench(case, tmp_path, perturbed, "--accuracyThreshold=10")
    assert code == 0, err
    assert doc["accuracy"]["passed"] is True and doc["accuracy"]["threshold"] == 0.1
    code, doc, _ = bench(case, tmp_path, perturbed, "--accuracyThreshold=4")
    assert code == 3 and doc["accuracy"]["passed"] is False


def test_swapped_classes_break_top1(case, tmp_path):
    swapped = case.reference[:, ::-1].copy()
    code, doc, _ = bench(case, tmp_path, swapped, "--accuracyThreshold=1000000")
    acc = doc["accuracy"]
    expect = expected_metrics(case.reference, swapped)
    assert acc["top1_agreement"] == pytest.approx(expect["top1_agreement"]) and acc["top1_agreement"] < 1
    assert acc["cosine_similarity"] == pytest.approx(expect["cosine_similarity"], abs=1e-4)
    assert code == (0 if acc["passed"] else 3)


def test_nan_in_outputs_fails_even_with_a_huge_threshold(case, tmp_path):
    ref = case.reference.copy()
    ref[3, 1] = np.nan
    code, doc, _ = bench(case, tmp_path, ref, "--accuracyThreshold=1000000")
    assert code == 3
    assert doc["accuracy"]["nonfinite_outputs"] == 1 and doc["accuracy"]["max_abs_error"] is None


def test_reference_of_the_wrong_size_names_the_expected_bytes(case, tmp_path):
    code, doc, err = bench(case, tmp_path, case.reference[:-1])
    assert code == 2 and doc is None
    assert f"expected {SAMPLES * CLASSES * 4}" in err and f"{SAMPLES} samples x {CLASSES} float32 outputs" in err


def test_input_shapes_resize(case, tmp_path):
    code, doc, err = bench(case, tmp_path, None, f"--inputShapes=2,{SIZE},{SIZE},1")
    # The batch is now 2: the same file holds half as many samples.
    assert code == 0, err
    assert doc["model"]["inputs"][0]["shape"] == [2, SIZE, SIZE, 1]
    assert doc["model"]["outputs"][0]["shape"] == [2, CLASSES]
    assert doc["config"]["samples"] == SAMPLES // 2 and doc["config"]["input_shapes"] == f"2,{SIZE},{SIZE},1"
    code, _, err = bench(case, tmp_path, None, "--inputShapes=nope:1,2")
    assert code == 2 and "names input 'nope', which the model does not have" in err
    code, _, err = bench(case, tmp_path, None, "--inputShapes=1,2")
    assert code == 2 and "2 dimensions [1,2] but it has 4" in err
