"""mindedge as a user or packager gets it: the wheel built from the project, installed without ``-e`` into a
fresh environment, converts with quantization (jinja2 templates shipped) and builds its native tools
(sources shipped as ``host_tools/_native``).

The fresh environment is a new venv whose only mindedge is the installed wheel; its third-party
dependencies are borrowed from the project venv with a plain ``.pth`` path line (no editable finder
runs from there: ``.pth`` files are only processed in site directories), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from host_tools import paths, sdk
from tests.onnx_models import tiny_conv_classifier

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{argv[:4]} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a copy of the tracked files, as a packager's checkout would be (no build/ tree, no caches)
    src = out / "src"
    files = _run(["git", "-C", str(ROOT), "ls-files", "-z"]).stdout.split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_bytes((ROOT / rel).read_bytes())
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src), "-w", str(out)])
    (built,) = out.glob("mindedge-*.whl")
    return built


def test_wheel_ships_templates_and_native_sources_only_once(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    templates = sorted(p.name for p in (ROOT / "converters" / "templates").glob("*.j2"))
    shipped = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("converters/templates/"))
    assert templates and shipped == templates
    native = [n for n in names if n.startswith("host_tools/_native/")]
    for needed in ("device_bench/CMakeLists.txt", "converters/native/CMakeLists.txt", "cmake/MindedgeVersion.cmake"):
        assert f"host_tools/_native/{needed}" in native
    assert not [n for n in names if n.startswith("converters/native/")]  # not a second time as package data
    assert not [n for n in native if "/build/" in n or n.endswith((".o", ".so", ".a"))]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    env_dir = tmp_path_factory.mktemp("fresh") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    py = env_dir / "bin" / "python"
    fresh_site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (fresh_site / "_mindedge_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(fresh_site),
          str(wheel)])
    home = env_dir.parent / "home"
    home.mkdir()
    # the Lite SDK from the real cache (168 MB: linked, not fetched again); everything else starts empty
    (home / "sdk").symlink_to(paths.sdk_dir(), target_is_directory=True)
    return {"python": py, "bin": fresh_site / "bin", "site": fresh_site, "home": home}


def _fresh_env(inst: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINDEDGE_", "PYTHONPATH"))}
    env["MINDEDGE_HOME"] = str(inst["home"])
    return env


def _mindedge(inst: dict[str, Path], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return _run([str(inst["python"]), "-m", "host_tools", *args], env=_fresh_env(inst), cwd=cwd)


def test_installed_package_builds_its_native_tools_and_converts_with_quantization(
        installed: dict[str, Path], tmp_path: Path) -> None:
    if sdk.find_sdk() is None:
        pytest.fail("the Lite SDK is not installed: run `mindedge sdk install` (make test does)")
    where = _run([str(installed["python"]), "-c", "import host_tools, converters; print(host_tools.__file__); "
                  "print(converters.__file__)"], env=_fresh_env(installed), cwd=tmp_path).stdout.split()
    assert all(Path(p).is_relative_to(installed["site"]) for p in where), where  # not the checkout

    built = _mindedge(installed, "sdk", "build", cwd=tmp_path).stdout
    build_dir = installed["home"] / "build"
    bench = build_dir / "device_bench" / "device_bench"
    assert str(build_dir) in built and bench.is_file()
    version = _run([str(bench), "--version"], cwd=tmp_path).stdout
    assert "+s" in version  # an installed package's build id: a digest of its shipped sources

    src = tiny_conv_classifier(tmp_path / "tiny.onnx", channels=3, size=16)
    out = tmp_path / "tiny_dynamic.ms"
    _mindedge(installed, "convert", str(src), "--quant", "dynamic", "--out", str(out), cwd=tmp_path)
    man = json.loads((tmp_path / "tiny_dynamic.ms.manifest.json").read_text())
    assert man["extra"]["quant"]["mode"] == "dynamic" and man["extra"]["verification"]["passed"] is True
    assert man["tools"]["mindedge"].endswith(version.split("+")[-1].split()[0])
