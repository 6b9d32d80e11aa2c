"""Image folders: layouts, seeded stratified splits, every kind of bad input, decoding to RGB, records."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from host_tools.cli import main
from host_tools.data.decode import display_path, read_rgb, to_rgb
from host_tools.data.images import from_record, load_image_folder, resolve_data
from host_tools.errors import ConfigError, DataError


def png(path: Path, value: int = 100, size: tuple[int, int] = (12, 10)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (value, 255 - value, value // 2)).save(path, format="PNG")
    return path


def folder(root: Path, counts: dict[str, int], ext: str = ".png") -> Path:
    for name, n in counts.items():
        for i in range(n):
            png(root / name / f"{i:03d}{ext}", value=(i * 7) % 256)
    return root


def names(f, split: str) -> set[tuple[str, str]]:
    return {(f.classes[it.label], it.path.name) for it in f.splits[split]}


# ---- layouts and splits ---------------------------------------------------------------------------------

def test_seeded_split_is_stratified_disjoint_and_complete(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"dog": 20, "cat": 10, "bird": 30})
    f = load_image_folder(root)
    assert f.classes == ["bird", "cat", "dog"] and f.name == "d"
    per = f.class_counts()
    assert per == {"train": [21, 7, 14], "val": [3, 1, 2], "test": [6, 2, 4]}
    everything = [(f.classes[it.label], it.path.name) for s in f.splits.values() for it in s]
    assert len(everything) == len(set(everything)) == 60
    assert all(it.path.parent.name == f.classes[it.label] for s in f.splits.values() for it in s)
    assert f.split == {"source": "seeded", "seed": 0, "ratios": [0.7, 0.1, 0.2]} and f.skipped == []


def test_split_depends_on_the_seed_only_and_classes_split_independently(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"a": 30, "b": 30})
    first, again, other = load_image_folder(root), load_image_folder(root), load_image_folder(root, seed=1)
    assert all(names(first, s) == names(again, s) for s in ("train", "val", "test"))
    assert names(first, "test") != names(other, "test")
    png(root / "a" / "extra.png")  # one more image in class a: class b's split does not move
    grown = load_image_folder(root)
    assert {n for c, n in names(grown, "test") if c == "b"} == {n for c, n in names(first, "test") if c == "b"}


def test_ratios_are_honoured_and_checked(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"a": 10, "b": 10})
    assert load_image_folder(root, ratios=(0.5, 0.2, 0.3)).counts() == {"train": 10, "val": 4, "test": 6}
    for bad in ((0.7, 0.3), (0.7, 0.2, 0.2), (1.0, 0.0, 0.0)):
        with pytest.raises(ConfigError, match="ratios"):
            load_image_folder(root, ratios=bad)


def test_extensions_are_case_insensitive_nested_folders_count_other_files_are_ignored(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "a").mkdir(parents=True)
    for i, ext in enumerate([".JPG", ".jpeg", ".Png", ".bmp", ".WEBP"]):
        Image.new("RGB", (9, 9), (i * 40, 0, 0)).save(root / "a" / f"x{i}{ext}")
    folder(root, {"b": 3})
    png(root / "a" / "deeper" / "inside.png")
    (root / "a" / "notes.txt").write_text("not an image")
    (root / "a" / ".DS_Store").write_bytes(b"\0\1junk")
    png(root / "a" / ".hidden.png")
    png(root / ".hidden_class" / "x.png")
    f = load_image_folder(root)
    assert f.classes == ["a", "b"] and f.skipped == []
    assert sum(f.class_counts()[s][0] for s in ("train", "val", "test")) == 6


def test_class_names_sort_stably_by_name(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"b": 3, "a": 3, "C": 3, "a2": 3})
    assert load_image_folder(root).classes == ["C", "a", "a2", "b"]


def test_split_folders_are_used_as_given(tmp_path: Path) -> None:
    root = tmp_path / "d"
    folder(root / "train", {"cat": 5, "dog": 4})
    folder(root / "val", {"cat": 1, "dog": 2})
    folder(root / "test", {"cat": 3, "dog": 3})
    f = load_image_folder(root)
    assert f.class_counts() == {"train": [5, 4], "val": [1, 2], "test": [3, 3]}
    assert all(it.path.parent.parent.name == s for s, items in f.splits.items() for it in items)
    assert f.split == {"source": "folders"}


def test_a_missing_val_folder_is_carved_out_of_train(tmp_path: Path) -> None:
    root = tmp_path / "d"
    folder(root / "train", {"cat": 16, "dog": 8})
    folder(root / "test", {"cat": 2, "dog": 2})
    f = load_image_folder(root)
    assert f.class_counts() == {"train": [14, 7], "val": [2, 1], "test": [2, 2]}
    assert all(it.path.parent.parent.name == "train" for it in f.splits["val"])
    assert f.split == {"source": "folders", "val_from_train": {"seed": 0, "ratios": [0.7, 0.1, 0.2]}}
    folder(root / "train", {"bird": 1})
    folder(root / "test", {"bird": 1})
    with pytest.raises(DataError, match="class 'bird' has 1 image in train/"):
        load_image_folder(root)


def test_split_folders_must_hold_the_same_classes(tmp_path: Path) -> None:
    root = tmp_path / "d"
    folder(root / "train", {"cat": 3, "dog": 3, "bird": 3})
    folder(root / "test", {"cat": 2, "dog": 2})
    with pytest.raises(DataError, match="class 'bird' is in train/ but not in test/"):
        load_image_folder(root)
    folder(root / "val", {"cat": 1, "dog": 1, "bird": 1, "fish": 1})
    folder(root / "test", {"bird": 1})
    with pytest.raises(DataError, match="class 'fish' is in val/ but not in train/"):
        load_image_folder(root)


def test_split_folders_need_train_and_test_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "d"
    folder(root / "train", {"cat": 3, "dog": 3})
    with pytest.raises(DataError, match="no test/ folder"):
        load_image_folder(root)
    folder(root / "test", {"cat": 3, "dog": 3})
    folder(root / "extra", {"cat": 3})
    with pytest.raises(DataError, match=r"mixes split folders .* \(extra\)"):
        load_image_folder(root)


# ---- bad folders: one clear error -----------------------------------------------------------------------

def test_a_folder_without_images_names_the_empty_class(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "readme.txt").write_text("x")
    folder(root, {"dog": 3})
    with pytest.raises(DataError, match=r"class 'cat' \(.*d/cat\) has no readable images"):
        load_image_folder(root)


def test_a_class_whose_images_are_all_broken_is_empty(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"dog": 3})
    (root / "cat").mkdir()
    (root / "cat" / "a.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match=r"class 'cat' .* no readable images \(1 skipped"):
        load_image_folder(root)


def test_no_class_folders_and_missing_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no class folders"):
        load_image_folder(tmp_path / "empty")
    png(tmp_path / "flat" / "a.png")
    with pytest.raises(DataError, match="holds 1 files directly"):
        load_image_folder(tmp_path / "flat")
    with pytest.raises(DataError, match="no such folder"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(DataError, match="not a folder"):
        load_image_folder(tmp_path / "flat" / "a.png")


def test_a_single_class_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"only one class folder \('cat'\)"):
        load_image_folder(folder(tmp_path / "d", {"cat": 5}))


def test_a_class_with_one_image_cannot_be_split(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 5, "x": 1})
    with pytest.raises(DataError, match="class 'x' has 1 image; a train/val/test split needs at least 3 per class"):
        load_image_folder(root)


# ---- bad files: listed skips ------------------------------------------------------------------------------

def _jpeg(size: tuple[int, int] = (256, 256)) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def test_corrupt_truncated_and_tiny_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 4, "dog": 4})
    data = _jpeg()
    (root / "cat" / "good.jpg").write_bytes(data)
    (root / "cat" / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (root / "dog" / "garbage.jpg").write_bytes(os.urandom(500))
    png(root / "dog" / "one.png", size=(1, 1))
    png(root / "dog" / "thin.png", size=(40, 7))
    said: list[str] = []
    f = load_image_folder(root, say=said.append)
    reasons = {s.path.name: s.reason for s in f.skipped}
    assert set(reasons) == {"truncated.jpg", "garbage.jpg", "one.png", "thin.png"}
    assert reasons["truncated.jpg"].startswith("truncated")
    assert reasons["garbage.jpg"] == "not an image Pillow can read"
    assert reasons["one.png"].startswith("too small (1x1 px")
    assert reasons["thin.png"].startswith("too small (40x7 px")
    assert f.counts() == {"train": 5, "val": 2, "test": 2}
    assert len(said) == 1 and "skipped 4 of 13" in said[0] and "2 too small" in said[0]


def test_strict_makes_the_first_skip_an_error_naming_it(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 4, "dog": 4})
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    assert len(load_image_folder(root).skipped) == 1
    with pytest.raises(DataError, match=r"dog/broken\.png: "):
        load_image_folder(root, strict=True)


def test_symlink_loops_and_dangling_links_are_skipped_not_followed_forever(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 4, "dog": 4})
    (root / "cat" / "loop").symlink_to("..")  # d/cat/loop -> d
    (root / "cat" / "self").symlink_to(".")
    (root / "dog" / "a.png").symlink_to("b.png")
    (root / "dog" / "b.png").symlink_to("a.png")
    (root / "dog" / "gone.jpg").symlink_to("nowhere.jpg")
    (root / "bird").symlink_to("cat")  # the same folder under another class name
    (root / "dog" / "ok.png").symlink_to(root / "cat" / "000.png")  # a file reached twice
    f = load_image_folder(root)
    reasons = {s.path.name: s.reason for s in f.skipped}
    assert reasons["loop"].startswith("symlink loop") and reasons["self"].startswith("symlink loop")
    assert reasons["a.png"].startswith("symlink loop") and reasons["b.png"].startswith("symlink loop")
    assert reasons["gone.jpg"].startswith("dangling symlink")
    assert reasons["bird"].startswith("same folder as") and reasons["ok.png"].startswith("same file as")
    assert f.classes == ["cat", "dog"] and sum(f.counts().values()) == 8


def test_a_non_regular_file_named_like_an_image_is_skipped_not_opened(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 3, "dog": 3})
    os.mkfifo(root / "cat" / "pipe.png")  # opening it would block forever
    (root / "dog" / "dir.jpg").mkdir()  # a folder named like an image is walked, not decoded
    png(root / "dog" / "dir.jpg" / "inside.png")
    f = load_image_folder(root)
    assert [(s.path.name, s.reason) for s in f.skipped] == [("pipe.png", "not a regular file")]
    assert f.class_counts()["train"] == [1, 2] and sum(f.counts().values()) == 7


def test_class_folders_that_display_alike_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "d"
    folder(root, {"a\\xff": 3})  # a literal backslash: shown as a\xff
    for i in range(3):
        png(Path(os.fsdecode(os.fsencode(root) + b"/a\xff")) / f"{i}.png")  # the byte 0xff: shown the same
    with pytest.raises(DataError, match="two class folders are both shown as"):
        load_image_folder(root)


def test_non_utf8_names_load_display_and_serialize(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    root = Path(os.fsdecode(base + b"/d\xff"))
    odd = Path(os.fsdecode(base + b"/d\xff/ch\xe2t"))
    for i in range(3):
        png(odd / f"{i}.png")
    folder(root, {"dog": 3})
    png(Path(os.fsdecode(base + b"/d\xff/dog/caf\xe9.png")))
    f = load_image_folder(root)
    assert f.classes == ["ch\\xe2t", "dog"] and sum(f.counts().values()) == 7
    rec = f.record()
    text = json.dumps(rec, ensure_ascii=False)
    text.encode("utf-8")  # printable and storable as UTF-8
    assert rec["path"].endswith("/d\\xff")
    assert all(display_path(it.path).encode("utf-8") for s in f.splits.values() for it in s)
    again = from_record(json.loads(text))
    assert again.root == root and again.listing_sha256() == f.listing_sha256()


def test_display_path_never_raises() -> None:
    assert display_path(Path(os.fsdecode(b"/a/caf\xe9.png"))) == "/a/caf\\xe9.png"
    assert display_path("/plain/ü.png") == "/plain/ü.png"
    assert display_path("lone \ud800 surrogate").encode("utf-8")


# ---- decoding to RGB --------------------------------------------------------------------------------------

def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257 * 128, 65535, 1000, 32767, 200, 255, 65535]] * 8, dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode == "I;16"
    rgb = read_rgb(tmp_path / "g16.png")
    want = np.rint(values.astype(np.float64) * 255 / 65535).astype(np.uint8)
    assert rgb.shape == (8, 8, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[..., 0], want)
    np.testing.assert_array_equal(rgb[..., 1], want)
    as_int32 = Image.fromarray(values.astype(np.int32))  # mode "I" (TIFF, some PNG readers)
    assert as_int32.mode == "I"
    np.testing.assert_array_equal(np.asarray(to_rgb(as_int32))[..., 2], want)


def test_cmyk_palette_rgba_grey_decode_to_the_right_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (16, 16), (255, 0, 0, 0)).save(tmp_path / "cyan.jpg", quality=100)
    assert np.abs(read_rgb(tmp_path / "cyan.jpg")[8, 8].astype(int) - [0, 255, 255]).max() <= 3
    pal = Image.new("P", (8, 8), 1)
    pal.putpalette([0, 0, 0, 200, 10, 30] + [0] * 762)
    pal.putpixel((0, 0), 0)
    pal.save(tmp_path / "pal.png", transparency=0)
    rgb = read_rgb(tmp_path / "pal.png")
    assert rgb[0, 0].tolist() == [255, 255, 255] and rgb[4, 4].tolist() == [200, 10, 30]
    Image.new("RGBA", (8, 8), (200, 100, 0, 128)).save(tmp_path / "rgba.png")
    want = [round(c * 128 / 255 + 255 * 127 / 255) for c in (200, 100, 0)]
    assert np.abs(read_rgb(tmp_path / "rgba.png")[0, 0].astype(int) - want).max() <= 1
    Image.new("LA", (8, 8), (50, 255)).save(tmp_path / "la.png")
    assert read_rgb(tmp_path / "la.png")[0, 0].tolist() == [50, 50, 50]
    Image.new("L", (8, 8), 77).save(tmp_path / "l.bmp")
    assert read_rgb(tmp_path / "l.bmp")[3, 3].tolist() == [77, 77, 77]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    a = np.zeros((16, 32, 3), np.uint8)
    a[:, :16] = (255, 0, 0)  # left half red
    a[:, 16:] = (0, 0, 255)  # right half blue
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    img.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    rgb = read_rgb(tmp_path / "rot.jpg")
    assert rgb.shape == (32, 16, 3)  # upright: the left (red) half is now on top
    assert rgb[4, 8, 0] > 200 and rgb[4, 8, 2] < 60 and rgb[28, 8, 2] > 200 and rgb[28, 8, 0] < 60


def test_read_rgb_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"x\.jpg: not an image"):
        read_rgb(tmp_path / "x.jpg")
    png(tmp_path / "tiny.png", size=(2, 2))
    with pytest.raises(DataError, match=r"tiny\.png: too small"):
        read_rgb(tmp_path / "tiny.png")
    with pytest.raises(DataError, match=r"missing\.png: cannot read"):
        read_rgb(tmp_path / "missing.png")


# ---- record / from_record ---------------------------------------------------------------------------------

def test_from_record_recreates_the_split(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 9, "dog": 12})
    f = load_image_folder(root, seed=3, ratios=(0.6, 0.2, 0.2))
    rec = json.loads(json.dumps(f.record()))
    assert rec["kind"] == "image-folder" and rec["classes"] == ["cat", "dog"] and rec["path"] == str(root)
    assert rec["counts"] == f.counts() and rec["split"]["seed"] == 3
    again = from_record(rec)
    assert again.splits == f.splits and again.classes == f.classes


def test_from_record_refuses_a_changed_or_missing_folder(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 9, "dog": 9})
    rec = load_image_folder(root).record()
    (root / "cat" / "000.png").rename(root / "cat" / "renamed.png")  # same counts, other images
    with pytest.raises(DataError, match="changed since training: its images differ"):
        from_record(rec)
    (root / "cat" / "renamed.png").unlink()
    with pytest.raises(DataError, match="changed since training: counts were"):
        from_record(rec)
    folder(root, {"fish": 3})
    with pytest.raises(DataError, match="changed since training: classes were"):
        from_record(rec)
    with pytest.raises(DataError, match="is gone"):
        from_record({**rec, "path": str(tmp_path / "moved")})
    with pytest.raises(DataError, match="does not describe an image folder"):
        from_record({"name": "mnist", "path": str(root)})


def test_resolve_data_gives_a_folder_back_or_a_clear_error(tmp_path: Path) -> None:
    assert resolve_data(tmp_path) == tmp_path
    with pytest.raises(DataError, match="no such folder"):
        resolve_data(tmp_path / "missing")


# ---- mindedge data check ----------------------------------------------------------------------------------

def test_data_check_prints_classes_counts_and_skips(tmp_path: Path) -> None:
    root = folder(tmp_path / "d", {"cat": 10, "dog": 20})
    (root / "dog" / "bad.jpg").write_bytes(b"junk")
    result = CliRunner().invoke(main, ["data", "check", str(root), "--seed", "1", "--ratios", "0.6,0.2,0.2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 classes: cat, dog" in out and "seeded split, seed 1" in out
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.split() and ln.split()[0] in
            ("cat", "dog", "total")}
    assert rows == {"cat": ["6", "2", "2", "10"], "dog": ["12", "4", "4", "20"], "total": ["18", "6", "6", "30"]}
    assert "skipped 1 file:" in out and f"{root / 'dog' / 'bad.jpg'}: not an image Pillow can read" in out


@pytest.mark.parametrize("args, message", [
    (["--strict"], "bad.jpg: not an image"), (["--ratios", "0.5,0.5"], "ratios"), ([], None)])
def test_data_check_exits_2_on_bad_folders(tmp_path: Path, args: list[str], message: str | None) -> None:
    root = folder(tmp_path / "d", {"cat": 3, "dog": 3})
    (root / "dog" / "bad.jpg").write_bytes(b"junk")
    if message is None:  # a class left with one image
        for p in list((root / "cat").iterdir())[1:]:
            p.unlink()
        message = "class 'cat' has 1 image"
    result = CliRunner().invoke(main, ["data", "check", str(root), *args])
    assert result.exit_code == 2
    errors = [ln for ln in result.output.splitlines() if ln.startswith("mindedge: error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in result.output


def test_data_check_on_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["data", "check", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such folder" in result.output
