"""deploy's file sync against an emulated phone and a real adb server: sha256 skips, temp + rename, a full
device, hostile names. Small files only (the real device_bench bundle is in test_bench_adb.py)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tools.errors import DeviceError
from host_tools.targets.adb import AdbTarget
from host_tools.targets.adb_private import wait_until
from host_tools.targets.push import PART_SUFFIX, Item, sync_files
from tests.phone_fixtures import Lab, lab

DIR = "/data/local/tmp/mindedge"


@pytest.fixture
def the_lab(tmp_path: Path) -> Iterator[Lab]:
    with lab(tmp_path) as lb:
        yield lb


def _files(root: Path, sizes: dict[str, int]) -> list[Item]:
    root.mkdir(parents=True, exist_ok=True)
    items = []
    for name, size in sizes.items():
        (root / name).write_bytes(os.urandom(size))
        items.append(Item(root / name, f"{DIR}/{name}"))
    return items


def test_unchanged_files_are_not_pushed_again(the_lab: Lab, tmp_path: Path) -> None:
    ph = the_lab.phone()
    t = AdbTarget(ph.address)
    items = _files(tmp_path / "src", {"device_bench": 300_000, "lib.so": 1_000_000, "model.ms": 50_000})
    seen: list[tuple[int, int]] = []
    first = sync_files(t, items, progress=lambda done, total: seen.append((done, total)))
    assert (first.bytes_pushed, first.bytes_skipped, first.files_pushed) == (1_350_000, 0, 3)
    assert seen[-1] == (1_350_000, 1_350_000)
    for item in items:
        assert (ph.device.tmp / "mindedge" / item.local.name).read_bytes() == item.local.read_bytes()
    again = sync_files(t, items)
    assert (again.bytes_pushed, again.bytes_skipped, again.files_pushed) == (0, 1_350_000, 0)
    assert "pushed 0 bytes in 0 file(s), skipped 1.4 MB in 3 unchanged file(s)" in again.summary()
    items[2].local.write_bytes(b"new weights")
    third = sync_files(t, items)
    assert (third.files_pushed, third.bytes_pushed) == (1, len(b"new weights"))
    assert (ph.device.tmp / "mindedge" / "model.ms").read_bytes() == b"new weights"
    assert not list((ph.device.tmp / "mindedge").glob(f".*{PART_SUFFIX}"))


def test_a_memo_saves_asking_the_device_again(the_lab: Lab, tmp_path: Path) -> None:
    ph = the_lab.phone()
    t = AdbTarget(ph.address)
    items = _files(tmp_path / "src", {"a.bin": 1000})
    memo: dict[str, str] = {}
    sync_files(t, items, memo=memo)
    assert memo == {f"{DIR}/a.bin": hashlib.sha256(items[0].local.read_bytes()).hexdigest()}
    (ph.device.tmp / "mindedge" / "a.bin").unlink()  # behind the command's back: the memo trusts itself
    assert sync_files(t, items, memo=memo).files_pushed == 0
    assert sync_files(t, items).files_pushed == 1  # without it the device is asked


def test_full_device_keeps_the_previous_files(the_lab: Lab, tmp_path: Path) -> None:
    ph = the_lab.phone(quota_bytes=1_500_000)
    t = AdbTarget(ph.address)
    old = _files(tmp_path / "v1", {"device_bench": 200_000, "model.ms": 100_000})
    sync_files(t, old)
    old_digest = hashlib.sha256(old[0].local.read_bytes()).hexdigest()
    new = _files(tmp_path / "v2", {"device_bench": 200_000, "model.ms": 100_000, "lib.so": 2_000_000})
    with pytest.raises(DeviceError, match="No space left on device") as e:
        sync_files(t, new)
    assert f"rm -r {DIR}" in str(e.value)
    on_device = sorted(p.name for p in (ph.device.tmp / "mindedge").iterdir())
    assert on_device == ["device_bench", "model.ms"]  # no lib.so, no .part file
    assert hashlib.sha256((ph.device.tmp / "mindedge" / "device_bench").read_bytes()).hexdigest() == old_digest
    (ph.device.tmp / "mindedge" / "model.ms").unlink()  # room again: the next deploy completes
    ph.fs.quota_bytes = 3_000_000
    assert sync_files(t, new).files_pushed == 3


def test_hostile_names_are_pushed_as_one_word(the_lab: Lab, tmp_path: Path) -> None:
    """Were a word of the name run as a command, it would remove the sentinel (names cannot hold '/')."""
    ph = the_lab.phone()
    t = AdbTarget(ph.address)
    (ph.device.tmp / "mindedge").mkdir()
    sentinel = ph.device.tmp / "mindedge" / "sentinel"
    sentinel.write_text("still here")
    items = _files(tmp_path / "src", {HOSTILE: 1234})
    assert sync_files(t, items).files_pushed == 1
    assert sync_files(t, items).files_pushed == 0  # its sha256 was found under the same odd name
    assert (ph.device.tmp / "mindedge" / HOSTILE).stat().st_size == 1234
    assert sentinel.read_text() == "still here"


HOSTILE = ('best "v2"; cd data; cd local; cd tmp; cd mindedge; rm -f sentinel; $(rm -f sentinel) '
           "`rm -f sentinel` 'q'.ms")


def test_cable_pulled_mid_push_leaves_no_partial_file(the_lab: Lab, tmp_path: Path) -> None:
    ph = the_lab.phone()
    t = AdbTarget(ph.address)
    items = _files(tmp_path / "src", {"small.bin": 1000, "big.so": 40_000_000})
    pulled = []

    def progress(done: int, _total: int) -> None:
        if done > 5_000_000 and not pulled:
            pulled.append(done)
            ph.disconnect(refuse=True)

    with pytest.raises(DeviceError) as e:
        sync_files(t, items, progress=progress)
    assert f"lost device {ph.address} while running push" in str(e.value) and pulled
    folder = ph.device.tmp / "mindedge"
    wait_until(lambda: not (folder / "big.so").exists(), 10, "the partial file to be removed")
    assert (folder / "small.bin").read_bytes() == items[0].local.read_bytes()  # complete: kept
    ph.allow_connections()
    the_lab.server.wait_state(ph.address, "device")
    report = sync_files(t, items)
    assert (report.files_pushed, report.bytes_skipped) == (1, 1000)  # resumes with the missing file
