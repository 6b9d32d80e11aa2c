"""Image-folder datasets: ``DIR/<class>/*.jpg|jpeg|png|bmp|webp`` or ``DIR/{train,val,test}/<class>/...``.

Class names are the folder names (``display_path`` text), sorted by name; labels are their indices. Without
split folders every class is split by ``split.seeded_order`` with the given ratios (stratified: each class
on its own); with them the folders are used as given, and a missing ``val/`` is carved out of ``train/`` the
same way. Every image is decoded once while scanning (``scan``), so broken files are found before training.
``ImageFolder.record()`` goes into the checkpoint manifest; ``from_record`` finds the same images again and
refuses a folder that changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools.data.decode import display_path, read_rgb
from host_tools.data.scan import Seen, Skipped, image_files, probe_all, subfolders
from host_tools.data.split import SPLITS, check_ratios, seeded_order, split_counts
from host_tools.errors import DataError

__all__ = ["ImageFolder", "ImageItem", "Skipped", "display_path", "from_record", "load_image_folder", "read_rgb",
           "resolve_data"]

CATS_DOGS = "cats-dogs"
SOURCE_FILE = "SOURCE.json"
Say = Callable[[str], object]


@dataclass(frozen=True)
class ImageItem:
    path: Path
    label: int


@dataclass
class ImageFolder:
    """The images of a folder, split into train/val/test, with what was skipped and how it was split."""

    root: Path
    classes: list[str]
    splits: dict[str, list[ImageItem]]
    skipped: list[Skipped]
    split: dict[str, Any]
    name: str

    def counts(self) -> dict[str, int]:
        return {s: len(self.splits[s]) for s in SPLITS}

    def class_counts(self) -> dict[str, list[int]]:
        """Per split, the number of images of each class (in class order)."""
        out = {}
        for s in SPLITS:
            c = Counter(item.label for item in self.splits[s])
            out[s] = [c[i] for i in range(len(self.classes))]
        return out

    def listing_sha256(self) -> str:
        """sha256 of every (split, label, path relative to the root): any added, removed, moved or relabelled
        image changes it."""
        digest = hashlib.sha256()
        for s in SPLITS:
            for item in self.splits[s]:
                rel = os.fsencode(item.path.relative_to(self.root))
                digest.update(s.encode() + b"\0" + str(item.label).encode() + b"\0" + rel + b"\n")
        return digest.hexdigest()

    def record(self) -> dict[str, Any]:
        """The manifest's ``extra["dataset"]`` (JSON-safe whatever bytes the file names hold)."""
        rec: dict[str, Any] = {"name": self.name, "path": display_path(self.root), "kind": "image-folder",
                               "classes": list(self.classes), "split": dict(self.split), "counts": self.counts(),
                               "skipped": len(self.skipped), "listing_sha256": self.listing_sha256()}
        raw = os.fsencode(self.root)
        if raw.decode("utf-8", "replace").encode() != raw:
            rec["path_hex"] = raw.hex()  # the exact bytes, for from_record
        return rec


def report(folder: ImageFolder) -> str:
    """What ``mindedge data check`` prints: the classes, images per class and split, every skip with its reason."""
    from host_tools.table import render_table

    per = folder.class_counts()
    how = ("seeded split, seed {seed}, ratios {ratios}".format(**folder.split) if folder.split["source"] == "seeded"
           else "split folders" + (", val carved from train (seed {seed}, ratios {ratios})".format(
               **folder.split["val_from_train"]) if "val_from_train" in folder.split else ""))
    rows = [[name, *(per[s][i] for s in SPLITS), sum(per[s][i] for s in SPLITS)]
            for i, name in enumerate(folder.classes)]
    rows.append(["total", *(sum(per[s]) for s in SPLITS), sum(sum(per[s]) for s in SPLITS)])
    lines = [f"dataset {folder.name} at {display_path(folder.root)} ({how})",
             f"{len(folder.classes)} classes: {', '.join(folder.classes)}",
             render_table(rows, ["class", *SPLITS, "all"], right=(1, 2, 3, 4)),
             f"skipped {len(folder.skipped)} file{'s' if len(folder.skipped) != 1 else ''}"
             + (":" if folder.skipped else "")]
    lines += [f"  {display_path(s.path)}: {s.reason}" for s in folder.skipped]
    return "\n".join(lines)


def _fail(problem: str, hint: str) -> DataError:
    return DataError(problem, hint=hint)


def _classes(folder: Path, seen: Seen, strict: bool, where: str) -> tuple[dict[str, list[Path]], list[Skipped]]:
    """Class name -> its usable images, for the class folders in ``folder``; the skips."""
    skipped: list[Skipped] = []
    dirs = subfolders(folder, seen, skipped)
    if not dirs:
        loose = sum(1 for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else 0
        extra = f" (it holds {loose} files directly: put each class's images in {where}<class>/)" if loose else ""
        raise _fail(f"no class folders in {display_path(folder)}{extra}",
                    "an image folder holds one folder per class, e.g. DIR/cat/*.jpg and DIR/dog/*.jpg")
    names = [display_path(d.name) for d in dirs]
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)
    if dupes:
        raise _fail(f"{display_path(folder)}: two class folders are both shown as {dupes[0]!r}", "rename one of them")
    where_is = dict(zip(names, dirs, strict=True))
    files = {name: image_files(where_is[name], seen, skipped) for name in sorted(names)}
    order = [p for paths in files.values() for p in paths]
    bad = dict(zip(order, probe_all(order), strict=True))
    skipped += [Skipped(p, reason) for p, reason in bad.items() if reason]
    if strict and skipped:
        raise _fail(f"{display_path(skipped[0].path)}: {skipped[0].reason}",
                    "remove or fix the file, or drop --strict to skip such files")
    good = {name: [p for p in paths if not bad[p]] for name, paths in files.items()}
    for name, paths in good.items():
        if not paths:
            lost = sum(1 for s in skipped if where_is[name] in s.path.parents)
            why = f" ({lost} skipped: run `mindedge data check` to see why)" if lost else ""
            raise _fail(f"class {name!r} ({display_path(where_is[name])}) has no readable images{why}",
                        "add .jpg/.jpeg/.png/.bmp/.webp images to it, or remove the folder")
    return good, skipped


def _check_two(classes: Sequence[str], folder: Path) -> None:
    if len(classes) < 2:
        raise _fail(f"{display_path(folder)} has only one class folder ({classes[0]!r}); a classifier needs at least 2",
                    "add a folder of images for each other class")


def _cut(root: Path, paths: list[Path], seed: int, ratios: Sequence[float]) -> list[list[Path]]:
    """``paths`` in seeded order, cut into ``len(ratios)`` parts by ``split_counts``."""
    ordered = [paths[i] for i in seeded_order([str(p.relative_to(root)) for p in paths], seed)]
    parts, start = [], 0
    for n in split_counts(len(paths), ratios):
        parts.append(ordered[start:start + n])
        start += n
    return parts


def _seeded(root: Path, good: dict[str, list[Path]], seed: int, ratios: Sequence[float]) -> dict[str, list[Path]]:
    out: dict[str, dict[str, list[Path]]] = {s: {} for s in SPLITS}
    for name, paths in good.items():
        if len(paths) < 3:
            raise _fail(f"class {name!r} has {len(paths)} image{'s' if len(paths) != 1 else ''}; a train/val/test "
                        "split needs at least 3 per class", f"add images to {name}/, or remove the folder")
        for s, part in zip(SPLITS, _cut(root, paths, seed, ratios), strict=True):
            out[s][name] = part
    return out  # type: ignore[return-value]


def _split_dirs(root: Path) -> dict[str, Path] | None:
    """The split folders of ``root`` when it has any (train/ and test/ required, val/ optional), else None."""
    names = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    found = names & set(SPLITS)
    if not found:
        return None
    missing = [s for s in ("train", "test") if s not in found]
    if missing:
        raise _fail(f"{display_path(root)} has {', '.join(sorted(found))}/ but no {missing[0]}/ folder",
                    "give train/ and test/ (val/ optional) each with the same class folders, or no split folders")
    others = sorted(display_path(n) for n in names - set(SPLITS))
    if others:
        raise _fail(f"{display_path(root)} mixes split folders ({', '.join(sorted(found))}) with other folders "
                    f"({', '.join(others)})", "put the class folders inside train/, val/ and test/ only")
    return {s: root / s for s in SPLITS if s in found}


def _from_folders(root: Path, dirs: dict[str, Path], seen: Seen, strict: bool, seed: int,
                  ratios: Sequence[float]) -> tuple[dict[str, dict[str, list[Path]]], list[Skipped], dict[str, Any]]:
    per: dict[str, dict[str, list[Path]]] = {}
    skipped: list[Skipped] = []
    for s, d in dirs.items():
        seen.dirs.setdefault((os.stat(d).st_dev, os.stat(d).st_ino), d)
        per[s], sk = _classes(d, seen, strict, f"{s}/")
        skipped += sk
    _check_two(list(per["train"]), dirs["train"])
    for s in per:
        for name in sorted(set(per["train"]) ^ set(per[s])):
            has, lacks = ("train", s) if name in per["train"] else (s, "train")
            raise _fail(f"class {name!r} is in {has}/ but not in {lacks}/ (in {display_path(root)})",
                        "every split folder needs the same class folders")
    record: dict[str, Any] = {"source": "folders"}
    if "val" not in per:
        frac = (ratios[0], ratios[1])
        per["val"] = {}
        for name, paths in per["train"].items():
            if len(paths) < 2:
                raise _fail(f"class {name!r} has {len(paths)} image in train/; carving a val split out of it needs "
                            "at least 2", f"add images to train/{name}/, or give a val/ folder")
            per["train"][name], per["val"][name] = _cut(root, paths, seed, frac)
        record["val_from_train"] = {"seed": seed, "ratios": list(ratios)}
    return per, skipped, record


def _dataset_name(root: Path) -> str:
    try:
        name = json.loads((root / SOURCE_FILE).read_text()).get("dataset")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) and name else display_path(root.name)


def load_image_folder(root: Path, *, ratios: Sequence[float] = (0.7, 0.1, 0.2), seed: int = 0, strict: bool = False,
                      say: Say | None = None) -> ImageFolder:
    """Scan ``root`` (decoding every image), split it, and report skipped files through ``say`` (one line)."""
    root = Path(os.path.abspath(root))
    if not root.is_dir():
        raise _fail(f"{display_path(root)}: no such folder" if not root.exists() else
                    f"{display_path(root)} is not a folder", "give a folder with one sub-folder of images per class")
    ratios = check_ratios(ratios)
    seen = Seen()
    seen.dirs[(os.stat(root).st_dev, os.stat(root).st_ino)] = root
    dirs = _split_dirs(root)
    if dirs is not None:
        per, skipped, split_rec = _from_folders(root, dirs, seen, strict, seed, ratios)
    else:
        good, skipped = _classes(root, seen, strict, "DIR/")
        _check_two(list(good), root)
        per = _seeded(root, good, seed, ratios)
        split_rec = {"source": "seeded", "seed": seed, "ratios": list(ratios)}
    classes = sorted(per["train"])
    splits = {s: [ImageItem(p, classes.index(name)) for name in classes for p in sorted(per[s][name])] for s in SPLITS}
    if say is not None and skipped:
        kinds = Counter(s.reason.split(" (")[0] for s in skipped)
        total = sum(len(v) for v in splits.values()) + len(skipped)
        say(f"{display_path(root)}: skipped {len(skipped)} of {total} entries ("
            + ", ".join(f"{n} {k}" for k, n in kinds.most_common()) + f"); `mindedge data check {display_path(root)}` "
            "lists them")
    return ImageFolder(root=root, classes=classes, splits=splits, skipped=skipped, split=split_rec,
                       name=_dataset_name(root))


def _recorded_root(record: dict[str, Any]) -> Path:
    raw = record.get("path_hex")
    if isinstance(raw, str):
        try:
            return Path(os.fsdecode(bytes.fromhex(raw)))
        except ValueError:
            pass
    return Path(str(record.get("path")))


def from_record(record: dict[str, Any]) -> ImageFolder:
    """The folder and split a manifest's dataset record describes; DataError when it is gone or changed."""
    if not isinstance(record, dict) or record.get("kind") != "image-folder":
        raise _fail("the model's dataset record does not describe an image folder",
                    "train the model again with this mindedge version")
    root, name = _recorded_root(record), record.get("name")
    if not root.is_dir():
        if name != CATS_DOGS:
            raise _fail(f"dataset folder {record.get('path')} (the model was trained on it) is gone",
                        "restore the folder where it was, or train the model again")
        root = resolve_data(CATS_DOGS)
    split = record.get("split") if isinstance(record.get("split"), dict) else {}
    opts = split.get("val_from_train", split) if split.get("source") == "folders" else split
    kwargs = {"seed": opts.get("seed", 0), "ratios": opts.get("ratios", (0.7, 0.1, 0.2))}
    folder = load_image_folder(root, **kwargs)
    now = folder.record()
    for key in ("classes", "split", "counts", "listing_sha256"):
        if key in record and now[key] != record[key]:
            what = "its images" if key == "listing_sha256" else key
            raise _fail(f"dataset {name!r} at {display_path(root)} changed since training: {what} "
                        f"{'differ' if key == 'listing_sha256' else f'were {record[key]}, now {now[key]}'}",
                        "restore the folder as it was at training, or train the model again on it")
    return folder


def resolve_data(spec: str | Path, progress: Say = print) -> Path:
    """``"cats-dogs"`` -> the fetched folder (fetching it when missing); any other spec -> that folder."""
    if str(spec) == CATS_DOGS:
        from host_tools.data import cats_dogs

        return cats_dogs.cache_dir() if cats_dogs.ready() else cats_dogs.fetch_cats_dogs(progress=progress)
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise _fail(f"{display_path(path)}: no such folder", f"give an image folder, or {CATS_DOGS!r} for the "
                    "cat and dog photos (`mindedge data fetch cats-dogs`)")
    return path
