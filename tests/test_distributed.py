"""Data-parallel training on msrun: two workers with the global batch B end where one worker with batch B ends;
a killed rank ends the job with its rank and leaves no process; batch rules; mixed precision per level."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from host_tools.cli import main
from host_tools.train.distributed import World

pytestmark = pytest.mark.integration


def _train(out: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "host_tools", "train", "lenet", "--out", str(out), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def _params(ckpt: Path) -> dict[str, np.ndarray]:
    import mindspore as ms

    return {k: v.asnumpy() for k, v in ms.load_checkpoint(str(ckpt)).items() if not k.startswith(("adam", "global"))}


def test_the_shards_of_an_epoch_are_disjoint_and_cover_it():
    order = np.random.default_rng(0).permutation(96)
    for step in range(3):
        batch = order[step * 32:(step + 1) * 32]
        parts = [World(r, 4).shard(batch) for r in range(4)]
        assert all(len(p) == 8 for p in parts) and sorted(np.concatenate(parts)) == sorted(batch)


def test_two_workers_with_the_global_batch_end_where_one_worker_does(tmp_path):
    """10 steps of the global batch 64: rank 0 and 1 take 32 each, their mean gradients are averaged."""
    common = ("--epochs", 1, "--subset", 640, "--batch-size", 64, "--no-augment")
    two = _train(tmp_path / "two", "--workers", 2, *common)
    assert two.returncode == 0, two.stdout + two.stderr
    one = _train(tmp_path / "one", *common)
    assert one.returncode == 0, one.stderr
    a, b = _params(tmp_path / "two" / "lenet.ckpt"), _params(tmp_path / "one" / "lenet.ckpt")
    assert a.keys() == b.keys() and len(a) == 10
    worst = max(float(np.abs(a[k] - b[k]).max()) for k in a)
    assert worst <= 1e-5, worst  # float32 sums in another order: equal within 1e-5
    meta = json.loads((tmp_path / "two" / "lenet.ckpt.manifest.json").read_text())
    assert (meta["extra"]["world_size"], meta["extra"]["global_batch"], meta["extra"]["rank_batch"]) == (2, 64, 32)
    written = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert written == ["eval.json", "lenet.ckpt", "lenet.ckpt.manifest.json", "msrun_logs", "train_config.json"]
    assert sorted(p.name for p in (tmp_path / "two" / "msrun_logs").glob("worker_*.log")) == ["worker_0.log",
                                                                                           "worker_1.log"]
    assert two.stdout.count("epoch 1/1") == 1 and "test accuracy" in two.stdout  # rank 0's progress, once


def _job_processes(marker: str) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker in (d / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(d.name))
            except OSError:
                continue
    return found


def _start(out: Path, timeout: int) -> tuple[subprocess.Popen[str], list[str], threading.Event]:
    proc = subprocess.Popen([sys.executable, "-m", "host_tools", "train", "lenet", "--out", str(out), "--workers",
                             "2", "--epochs", "50", "--subset", "4000", "--rank-timeout", str(timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("epoch 1/50"):
                started.set()

    threading.Thread(target=read, daemon=True).start()
    assert started.wait(300), "".join(lines)
    return proc, lines, started


def _rank1(out: Path) -> int:
    found = [pid for pid in _job_processes(str(out)) if b"RANK_ID=1\0" in Path(f"/proc/{pid}/environ").read_bytes()
             and b"MS_ROLE=MS_WORKER" in Path(f"/proc/{pid}/environ").read_bytes()]
    assert len(found) == 1, found
    return found[0]


def test_a_killed_rank_ends_the_job_with_its_rank_and_leaves_no_process(tmp_path):
    out = tmp_path / "killed"
    proc, lines, _ = _start(out, 120)
    os.kill(_rank1(out), 9)
    assert proc.wait(300) == 1, "".join(lines)
    text = "".join(lines)
    assert "data-parallel training: rank 1 was killed by signal 9; msrun stopped the others" in text, text
    assert "Traceback" not in text
    assert _job_processes(str(out)) == []


def test_a_batch_that_does_not_split_over_the_workers_is_refused_before_msrun(tmp_path):
    r = CliRunner().invoke(main, ["train", "lenet", "--out", str(tmp_path / "x"), "--workers", "2",
                                  "--batch-size", "127"])
    assert r.exit_code == 2 and "--batch-size 127 does not split over 2 workers" in r.output, r.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("level", ["O1", "O2", "O3"])
def test_mixed_precision_levels_train_on_the_cpu_and_are_recorded(tmp_path, level):
    r = CliRunner().invoke(main, ["train", "lenet", "--out", str(tmp_path / level), "--amp", level, "--epochs", "1",
                                  "--subset", "3000", "--no-augment"])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / level / "lenet.ckpt.manifest.json").read_text())
    assert meta["extra"]["amp"] == level and meta["extra"]["test_accuracy"] > 0.7
    cfg = json.loads((tmp_path / level / "train_config.json").read_text())
    assert cfg["amp"] == level


def test_a_level_the_backend_refuses_is_one_line_before_training(tmp_path, monkeypatch):
    """As MindSpore reports a kernel the CPU lacks (its kernel-select message), before any step of the real net."""
    import mindspore as ms

    def refuse(*_a, **_k):
        raise RuntimeError("\n----------------------------------------------------\n- Kernel select failed:\n"
                           "----------------------------------------------------\nUnsupported op [Conv2D] on CPU "
                           "with float16 inputs, Please confirm whether the device target setting is correct")

    monkeypatch.setattr(ms.amp, "build_train_network", refuse)
    r = CliRunner().invoke(main, ["train", "lenet", "--out", str(tmp_path / "o3"), "--amp", "O3", "--subset", "500"])
    assert r.exit_code == 2, r.output
    assert "--amp O3: MindSpore's CPU backend cannot train this model at O3 (Unsupported op [Conv2D] on CPU" in r.output
    assert not (tmp_path / "o3" / "lenet.ckpt").exists() and "epoch" not in r.output


def test_a_rank_that_stops_answering_is_stopped_after_the_timeout(tmp_path):
    """SIGSTOP on rank 1: rank 0 waits in the all-reduce, no log moves; the launcher stops the job itself."""
    import signal

    out = tmp_path / "stopped"
    proc, lines, _ = _start(out, 20)
    os.kill(_rank1(out), signal.SIGSTOP)
    assert proc.wait(300) == 1, "".join(lines)
    assert "no rank logged anything for 20 s: the job was stopped" in "".join(lines)
    assert _job_processes(str(out)) == []


def test_mobilenet_v2_on_two_workers_shares_the_features_and_ends_as_one_worker(tmp_path):
    """A fresh feature cache: each rank computes its half into it, then both read all of it; the heads trained
    on the global batch end as one worker's does."""
    import shutil

    from host_tools.models.weights import checkpoint_path, fetch_weights, source_path
    from tests.photo_folders import small_photo_folder

    fetch_weights("mobilenet_v2", progress=lambda _: None)
    data = small_photo_folder(tmp_path / "photos", train=12, val=4, test=4)
    runs = {}
    for workers in (2, 1):
        home = tmp_path / f"home{workers}"
        (home / "weights").mkdir(parents=True)
        for src in (checkpoint_path("mobilenet_v2"), source_path("mobilenet_v2")):
            shutil.copy(src, home / "weights" / src.name)
        out = tmp_path / f"w{workers}"
        proc = subprocess.run([sys.executable, "-m", "host_tools", "train", "mobilenet_v2", "--data", str(data),
                               "--image-size", "64", "--epochs", "12", "--workers", str(workers), "--out", str(out)],
                              capture_output=True, text=True, timeout=900,
                              env={**os.environ, "MINDEDGE_HOME": str(home)})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        runs[workers] = json.loads((out / "eval.json").read_text())
    shared = runs[2]["cache"]["shared"]
    assert shared["world_size"] == 2 and shared["computed"] == 20  # rank 0's half of the 40 photos
    assert runs[2]["cache"]["misses"] == 0 and runs[1]["cache"]["misses"] == 40  # all read back from the cache
    a, b = _params(tmp_path / "w2" / "mobilenet_v2.ckpt"), _params(tmp_path / "w1" / "mobilenet_v2.ckpt")
    worst = max(float(np.abs(a[k] - b[k]).max()) for k in a if k.startswith("head."))
    assert worst <= 1e-5 and runs[2]["head"]["best_epoch"] == runs[1]["head"]["best_epoch"], worst
    meta = json.loads((tmp_path / "w2" / "mobilenet_v2.ckpt.manifest.json").read_text())
    assert meta["extra"]["world_size"] == 2


def test_mobilenet_v2_workers_refuse_what_data_parallel_cannot_do(tmp_path):
    from tests.photo_folders import small_photo_folder

    data = small_photo_folder(tmp_path / "photos", train=2, val=1, test=1)
    for extra, message in ((["--no-cache"], "--workers shares the feature extraction through the feature cache"),
                           (["--unfreeze", "1"], "--unfreeze with --workers: each rank would keep its own BatchNorm")):
        proc = subprocess.run([sys.executable, "-m", "host_tools", "train", "mobilenet_v2", "--data", str(data),
                               "--image-size", "64", "--workers", "2", "--out", str(tmp_path / "o"), *extra],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 2 and message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
