"""``mindedge results pull-app``: the benchmark documents the app's benchmark screen wrote on a phone
(``mindedge.bench/1``, in the app's external files folder, which adb can read without root) become stored
results; each stored file is moved to ``bench/imported/`` on the phone so a second pull does not store it
again. A file that is not a bench document is reported and left where it is."""

from __future__ import annotations

import posixpath
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from host_tools.bench.result import parse_result
from host_tools.errors import BenchmarkError
from host_tools.targets.base import Target

PACKAGE = "io.mindedge.demo"
BENCH_DIR = f"/sdcard/Android/data/{PACKAGE}/files/bench"


def pull(target: Target, store: Any, say: Callable[[str], object] = print) -> list[int]:
    """Store every bench document in the app's folder on ``target``; the new result ids."""
    listing = target.sh(f"ls {shlex.quote(BENCH_DIR)} 2>/dev/null", what="listing the app's results")
    names = sorted(n for n in listing.stdout.split() if n.endswith(".json"))
    if not names:
        say(f"no app benchmark results on {target.name} ({BENCH_DIR})")
        return []
    ids = []
    with tempfile.TemporaryDirectory(prefix="mindedge-app-") as tmp:
        for name in names:
            remote = posixpath.join(BENCH_DIR, name)
            local = target.pull(remote, Path(tmp) / name)
            try:
                result = parse_result(local.read_text(errors="replace"))
            except BenchmarkError as e:
                say(f"skipped {remote}: {e.message}")
                continue
            if result.target.get("kind") != "app":
                say(f"skipped {remote}: not written by the app (target kind {result.target.get('kind')!r})")
                continue
            result.target.setdefault("serial", target.name.removeprefix("adb:"))
            variant = str((result.extra.get("app") or {}).get("model_name") or Path(result.model.path).stem)
            rid = store.add(result, status="ok", target=f"app:{target.name.removeprefix('adb:')}", variant=variant,
                            model_format="ms", host_config={"pulled_from": remote})
            target.sh(f"mkdir -p {shlex.quote(BENCH_DIR)}/imported && mv {shlex.quote(remote)} "
                      f"{shlex.quote(BENCH_DIR)}/imported/", what="archiving the pulled result")
            say(f"stored {name} as result #{rid}")
            ids.append(rid)
    return ids
