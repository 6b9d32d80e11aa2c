"""The app's manifest and resources linked with aapt2 against Android's framework-res.apk, as the Android
Gradle plugin would before packaging: the package (``namespace``), ``minSdk`` and ``targetSdk`` are read
from ``app/build.gradle.kts`` and merged into the manifest first (AGP 8 takes them from there, not from the
manifest). Catches unknown resources, bad references and manifest errors; no APK is produced."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from host_tools.app.toolchain import aapt2
from host_tools.errors import BuildError

GRADLE = Path("app") / "build.gradle.kts"
MAIN = Path("app") / "src" / "main"


def _setting(gradle: str, name: str, where: Path) -> str:
    m = re.search(rf'^\s*{name}\s*=\s*"?([\w.]+)"?', gradle, re.M)
    if m is None:
        raise BuildError(f"{where}: no `{name} = ...`")
    return m.group(1)


def merged_manifest(app: Path) -> str:
    """The manifest with the package and the SDK levels of ``app/build.gradle.kts`` put in."""
    gradle_file = app / GRADLE
    gradle = gradle_file.read_text()
    package = _setting(gradle, "namespace", gradle_file)
    min_sdk, target_sdk = _setting(gradle, "minSdk", gradle_file), _setting(gradle, "targetSdk", gradle_file)
    text = (app / MAIN / "AndroidManifest.xml").read_text()
    if re.search(r"<manifest[^>]*\spackage=", text):
        raise BuildError(f"{app / MAIN / 'AndroidManifest.xml'}: remove package=, AGP 8 takes the namespace "
                         "from build.gradle.kts")
    text = re.sub(r"<manifest\b", f'<manifest package="{package}"', text, count=1)
    uses = f'<uses-sdk android:minSdkVersion="{min_sdk}" android:targetSdkVersion="{target_sdk}" />'
    return re.sub(r"(<manifest\b[^>]*>)", rf"\1\n    {uses}", text, count=1)


def link(app: Path) -> str:
    """Compile and link the resources; aapt2's own messages in a BuildError when they do not link."""
    exe, framework = aapt2()
    with tempfile.TemporaryDirectory(prefix="mindedge-aapt2-") as tmp:
        t = Path(tmp)
        (t / "AndroidManifest.xml").write_text(merged_manifest(app))
        steps = [[exe, "compile", "--dir", str(app / MAIN / "res"), "-o", str(t / "res.zip")],
                 [exe, "link", "-I", str(framework), "--manifest", str(t / "AndroidManifest.xml"), "-o",
                  str(t / "linked.apk"), str(t / "res.zip")]]
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                msg = (proc.stderr or proc.stdout).strip().replace(str(t / "AndroidManifest.xml"),
                                                                   str(app / MAIN / "AndroidManifest.xml"))
                raise BuildError(f"aapt2 {cmd[1]} failed: {msg.splitlines()[0] if msg else 'no message'}",
                                 detail=msg)
    return f"manifest and resources link with aapt2 against {framework.name}"
