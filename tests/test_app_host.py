"""The app from the host: `mindedge app assets` (specs from the .ms manifest chain, refusals), `app check`
(bad assets exit 2 naming the file), and the Kotlin core's JUnit tests run on the JDK against the host's
vectors, which fail when a vector disagrees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from converters.lite import ConvertOptions, convert
from host_tools import manifest
from host_tools.app import jvm, suite, toolchain
from host_tools.cli import main
from host_tools.data.preprocess import Preprocess
from host_tools.models.registry import MNIST_NORMALIZATION
from tests.onnx_models import tiny_conv_classifier

REPO = Path(__file__).resolve().parents[1]
LABELS = ["cat", "dog", "other"]


def _run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def _app_copy(dest: Path) -> Path:
    """The repository's android_app (sources, manifest, resources; no bundled models) at ``dest``."""
    shutil.copytree(REPO / "android_app", dest, ignore=shutil.ignore_patterns("models", "build"))
    return dest


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app")


def _ms(folder: Path, name: str, normalization: dict | None, channels: int, size: int, labels: list[str],
        classes: int = 3) -> Path:
    src = tiny_conv_classifier(folder / f"{name}.onnx", channels=channels, size=size, classes=classes)
    manifest.save(manifest.describe(src, "onnx", inputs=[manifest.TensorSpec("x", [1, channels, size, size])],
                                    outputs=[manifest.TensorSpec("y", [1, classes], layout="NC")],
                                    normalization=normalization, labels=labels), src)
    return convert(src, folder / f"{name}.ms", ConvertOptions(verify_samples=0), say=lambda _m: None).output


@pytest.fixture(scope="module")
def rgb_ms(work: Path) -> Path:
    return _ms(work, "photos", Preprocess.for_size(24).record(), 3, 24, LABELS)


@pytest.fixture(scope="module")
def grey_ms(work: Path) -> Path:
    return _ms(work, "digits", MNIST_NORMALIZATION, 1, 28, [str(i) for i in range(10)], classes=10)


def test_assets_carry_the_spec_from_the_manifest_chain(tmp_path, rgb_ms, grey_ms):
    app = _app_copy(tmp_path / "app")
    r = _run("app", "assets", rgb_ms, grey_ms, "--app", app, "--name", "photos", "--name", "digits")
    assert r.exit_code == 0, r.output
    models = app / "app" / "src" / "main" / "assets" / "models"
    assert json.loads((models / "index.json").read_text())["models"] == ["photos", "digits"]
    spec = json.loads((models / "photos.json").read_text())
    assert spec["input"] == {"name": "x", "shape": [1, 24, 24, 3], "layout": "NHWC", "dtype": "float32"}
    assert spec["preprocess"]["color"] == "rgb" and spec["preprocess"]["resize"] == 27
    assert spec["labels"] == LABELS and spec["output"]["classes"] == 3
    assert (models / "photos.ms").read_bytes() == rgb_ms.read_bytes()
    grey = json.loads((models / "digits.json").read_text())
    assert grey["preprocess"] == {"color": "grey", "resize": 28, "crop": 28, "interpolation": "bilinear",
                                  "scale": 1 / 255, "mean": [MNIST_NORMALIZATION["mean"][0]],
                                  "std": [MNIST_NORMALIZATION["std"][0]]}
    r = _run("app", "check", "--app", app)
    assert r.exit_code == 0 and r.output.count(" ok") == 2, r.output


def test_assets_refuse_what_the_app_cannot_reproduce_and_keep_the_old_ones(tmp_path, work, rgb_ms):
    app = tmp_path / "app"
    assert _run("app", "assets", rgb_ms, "--app", app).exit_code == 0
    bare = tmp_path / "bare.ms"
    shutil.copyfile(rgb_ms, bare)  # no manifest beside it
    r = _run("app", "assets", bare, "--app", app)
    assert r.exit_code == 2 and "has no manifest" in r.output
    odd = _ms(work, "odd", {**Preprocess.for_size(24).record(), "formula": "x / 127.5 - 1"}, 3, 24, LABELS)
    r = _run("app", "assets", odd, "--app", app)
    assert r.exit_code == 2 and "formula" in r.output
    short = _ms(work, "short", Preprocess.for_size(24).record(), 3, 24, ["cat", "dog"], classes=3)
    r = _run("app", "assets", short, "--app", app)
    assert r.exit_code == 2 and "3 classes but the manifest has 2 labels" in r.output
    cut = tmp_path / "cut.ms"
    cut.write_bytes(rgb_ms.read_bytes()[:100])
    shutil.copyfile(manifest.manifest_path(rgb_ms), manifest.manifest_path(cut))
    r = _run("app", "assets", cut, "--app", app)
    assert r.exit_code == 2 and "truncated" in r.output
    models = app / "app" / "src" / "main" / "assets" / "models"
    assert json.loads((models / "index.json").read_text())["models"] == ["photos"]  # nothing changed


@pytest.mark.parametrize("damage", ["truncated", "missing_field", "labels", "input"])
def test_check_names_the_bad_file(tmp_path, rgb_ms, damage):
    app = _app_copy(tmp_path / "app")
    assert _run("app", "assets", rgb_ms, "--app", app).exit_code == 0
    models = app / "app" / "src" / "main" / "assets" / "models"
    spec_file = models / "photos.json"
    spec = json.loads(spec_file.read_text())
    if damage == "truncated":
        (models / "photos.ms").write_bytes((models / "photos.ms").read_bytes()[:-10])
    elif damage == "missing_field":
        del spec["output"]["classes"]
    elif damage == "labels":
        spec["labels"] = spec["labels"][:2]
    else:
        spec["input"]["shape"] = [1, 7, 7, 3]
    spec_file.write_text(json.dumps(spec))
    r = _run("app", "check", "--app", app)
    want = {"truncated": "photos.ms: does not match", "missing_field": "field 'output.classes' is missing",
            "labels": "2 labels for 3 output classes", "input": "does not fit the 24 x 24 crop"}[damage]
    assert r.exit_code == 2 and want in r.output and "photos" in r.output, r.output


def test_check_links_the_resources_and_reports_aapt2s_error(tmp_path):
    app = _app_copy(tmp_path / "app")
    r = _run("app", "check", "--app", app)
    assert r.exit_code == 0 and "link with aapt2" in r.output, r.output
    layout = app / "app" / "src" / "main" / "res" / "layout" / "activity_main.xml"
    layout.write_text(layout.read_text().replace("@string/pick_photo", "@string/no_such_string"))
    r = _run("app", "check", "--app", app)
    assert r.exit_code == 2 and "aapt2 link failed" in r.output and "no_such_string" in r.output, r.output
    layout.write_text(layout.read_text().replace("@string/no_such_string", "@string/pick_photo"))
    manifest_file = app / "app" / "src" / "main" / "AndroidManifest.xml"
    manifest_file.write_text(manifest_file.read_text().replace("<manifest ", '<manifest package="x.y" '))
    r = _run("app", "check", "--app", app)
    assert r.exit_code == 2 and "remove package=" in r.output


@pytest.fixture(scope="module")
def jvm_suite(work: Path) -> suite.Suite:
    """The vectors, the classifier vectors and the JNI library, as `mindedge app test` makes them."""
    return suite.prepare(toolchain.find(lambda _m: None), REPO, work / "vectors", say=lambda _m: None)


@pytest.fixture(scope="module")
def host_vectors(jvm_suite: suite.Suite) -> Path:
    return Path(jvm_suite.properties["mindedge.vectors"])


def test_vectors_are_real_images_with_the_hosts_tensors(host_vectors):
    doc = json.loads((host_vectors / "vectors.json").read_text())
    names = [c["name"] for c in doc["cases"]]
    assert any(n.startswith("mnist") for n in names) and any("grey24" in n for n in names)
    case = next(c for c in doc["cases"] if c["name"].endswith("_wide16"))
    assert (case["width"], case["height"]) == (32, 20)
    px = np.fromfile(host_vectors / case["argb"], "<i4")
    assert px.size == 32 * 20 and np.all((px.view("<u4") >> 24) == 0xFF)
    assert np.fromfile(host_vectors / case["expected"], "<f4").size == 3 * 16 * 16


def test_kotlin_core_tests_pass_on_the_hosts_vectors_and_fail_on_a_wrong_one(jvm_suite, host_vectors, tmp_path):
    tc = toolchain.find(lambda _m: None)
    run = jvm.run_core_tests(tc, REPO, jvm_suite.properties, jvm_suite.env)
    assert run.ok and run.tests >= 27, run.output
    bad = tmp_path / "bad"
    shutil.copytree(host_vectors, bad)
    doc = json.loads((bad / "vectors.json").read_text())
    case = next(c for c in doc["cases"] if c["name"].startswith("mnist"))
    x = np.fromfile(bad / case["expected"], "<f4")
    x[100] += 1e-5  # a preprocessing that is off by one part in 10^5
    x.tofile(bad / case["expected"])
    run = jvm.run_core_tests(tc, REPO, {"mindedge.vectors": str(bad)}, only=["io.mindedge.core.PreprocessorParityTest"])
    assert not run.ok and case["name"] in run.output


def test_kotlin_tests_fail_without_the_vectors():
    tc = toolchain.find(lambda _m: None)
    run = jvm.run_core_tests(tc, REPO, {}, only=["io.mindedge.core.PreprocessorParityTest"])
    assert not run.ok and "mindedge.vectors" in run.output


def test_pull_app_stores_what_the_kotlin_report_wrote(tmp_path, host_vectors):
    """The document the app's BenchReport writes (made here by the Kotlin test) is pulled from an emulated
    phone into the store; a file that is not a bench document is skipped and left on the phone."""
    from host_tools.bench.store import open_store
    from tests.phone_fixtures import lab

    out = tmp_path / "kotlin-out"
    out.mkdir()
    run = jvm.run_core_tests(toolchain.find(lambda _m: None), REPO, {"mindedge.vectors": str(host_vectors),
                                                                     "mindedge.out": str(out)},
                             only=["io.mindedge.core.BenchReportTest"])
    assert run.ok, run.output
    [report] = list(out.glob("*.json"))
    with lab(tmp_path / "lab") as the_lab:
        ph = the_lab.phone()
        bench = ph.device.sdcard / "Android" / "data" / "io.mindedge.demo" / "files" / "bench"
        bench.mkdir(parents=True)
        shutil.copyfile(report, bench / report.name)
        (bench / "broken.json").write_text('{"schema": "mindedge.bench/1"')
        ws = tmp_path / "ws"
        r = _run("results", "pull-app", "--workspace", ws)
        assert r.exit_code == 0 and "1 app result(s) stored" in r.output and "skipped" in r.output, r.output
        assert (bench / "imported" / report.name).is_file() and (bench / "broken.json").is_file()
        again = _run("results", "pull-app", "--workspace", ws)
        assert "0 app result(s) stored" in again.output
    with open_store(ws / "results.db", create=False) as store:
        got = store.get(1)
    assert got.target.startswith("app:") and got.result.target["kind"] == "app"
    assert got.result.latency_ms.runs == [2.0, 1.0, 3.0] and got.result.latency_ms.p50 == 2.0
    assert got.result.init_ms == 12.5 and got.result.config["threads"] == 2


# ---- the JNI classifier: Kotlin -> libmindedge_jni (device_bench's Runner) -> MindSpore Lite, on the JVM ----------

CLASSIFIER = ["io.mindedge.core.LiteClassifierTest"]


def test_the_classifier_vectors_hold_real_photos_and_the_hosts_answers(host_vectors):
    doc = json.loads((host_vectors / "classifier" / "classifier.json").read_text())
    cases = {c["name"]: c for c in doc["cases"]}
    assert {"chelsea", "coffee", "astronaut"} <= set(cases) and sum(n.startswith(("cat", "dog")) for n in cases) == 4
    assert 281 <= cases["chelsea"]["host_top1"] <= 285 and cases["coffee"]["host_top1"] == 967
    logits = np.fromfile(host_vectors / "classifier" / cases["chelsea"]["logits"], "<f4")
    assert logits.size == 1000 and int(logits.argmax()) == cases["chelsea"]["host_top1"]
    spec = json.loads((host_vectors / "classifier" / doc["spec"]).read_text())
    assert spec["input"]["shape"] == [1, 224, 224, 3] and spec["preprocess"]["resize"] == 256


def _bad_copy(host_vectors: Path, tmp_path: Path, change) -> Path:
    bad = tmp_path / "bad"
    shutil.copytree(host_vectors, bad)
    path = bad / "classifier" / "classifier.json"
    doc = json.loads(path.read_text())
    change(bad / "classifier", doc)
    path.write_text(json.dumps(doc))
    return bad


def test_the_jni_tests_fail_on_logits_off_by_2e5_or_another_top1(jvm_suite, host_vectors, tmp_path):
    tc = toolchain.find(lambda _m: None)

    def nudge(folder: Path, doc: dict) -> None:
        case = next(c for c in doc["cases"] if c["name"] == "coffee")
        x = np.fromfile(folder / case["logits"], "<f4")
        x[500] += 2e-5
        x.tofile(folder / case["logits"])

    bad = _bad_copy(host_vectors, tmp_path, nudge)
    run = jvm.run_core_tests(tc, REPO, {**jvm_suite.properties, "mindedge.vectors": str(bad)}, jvm_suite.env,
                             only=CLASSIFIER)
    assert not run.ok and "coffee: max |logit - device_bench's|" in run.output, run.output

    def other_top1(_folder: Path, doc: dict) -> None:
        next(c for c in doc["cases"] if c["name"] == "astronaut")["host_top1"] = 1

    shutil.rmtree(bad)
    bad = _bad_copy(host_vectors, tmp_path, other_top1)
    run = jvm.run_core_tests(tc, REPO, {**jvm_suite.properties, "mindedge.vectors": str(bad)}, jvm_suite.env,
                             only=CLASSIFIER)
    assert not run.ok and "astronaut: top-1 against mindedge predict's" in run.output, run.output


def test_the_golden_test_fails_when_a_photo_should_get_another_label(jvm_suite, tmp_path):
    golden = json.loads((REPO / "android_app/core/src/test/resources/golden.json").read_text())
    golden["photos"][1]["top1"] = ["968"]  # the espresso must now be a cup (968): it is not
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "golden.json").write_text(json.dumps(golden))
    run = jvm.run_core_tests(toolchain.find(lambda _m: None), REPO, jvm_suite.properties, jvm_suite.env,
                             only=["io.mindedge.core.GoldenPhotoTest"], resources=resources)
    assert not run.ok and "a cup of espresso (scikit-image's coffee): top-1 967 not in [968]" in run.output, run.output


def test_without_the_jni_library_the_classifier_tests_fail(jvm_suite):
    props = {k: v for k, v in jvm_suite.properties.items() if k != "mindedge.jni.library"}
    run = jvm.run_core_tests(toolchain.find(lambda _m: None), REPO, props, jvm_suite.env, only=CLASSIFIER)
    assert not run.ok and "mindedge_jni" in run.output, run.output


def test_the_android_build_without_the_lite_package_fails_with_the_readme_sentence(tmp_path):
    """CMake as Gradle runs it for Android, without MSLITE_ANDROID_ROOT: the sentence Gradle also prints."""
    import subprocess

    sentence = ("MSLITE_ANDROID_ROOT is not set: download the MindSpore Lite Android package "
                "(mindspore-lite-2.0.0-android-aarch64.tar.gz), unpack it and set MSLITE_ANDROID_ROOT to that folder")
    proc = subprocess.run(["cmake", "-S", str(REPO / "android_app/app/src/main/cpp"), "-B", str(tmp_path / "b"),
                           "-DANDROID=ON"], capture_output=True, text=True)
    assert proc.returncode != 0 and sentence in " ".join(proc.stderr.split()), proc.stderr
    gradle = (REPO / "android_app/app/build.gradle.kts").read_text()
    assert sentence in " ".join(gradle.replace('" +\n', "").replace('"', " ").split())
