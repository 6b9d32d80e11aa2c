"""The feature cache: keys, each invalidation, second-run hits, views, --no-cache, interrupted and damaged stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from host_tools.data import features as features_mod
from host_tools.data.features import (
    CacheStats,
    ExtractProgress,
    FeatureKey,
    FeatureStore,
    StderrExtractProgress,
    extract_features,
)
from host_tools.data.preprocess import Preprocess

DIM = 6
SIZE = 8
WEIGHTS = "a" * 64


class FakeBackbone:
    """Per-channel mean and left-minus-right mean of NCHW input (mirroring flips the second half)."""

    def __init__(self) -> None:
        self.calls = 0
        self.images = 0
        self.training = True

    def set_train(self, mode: bool) -> None:
        self.training = mode

    def __call__(self, t):
        x = t.asnumpy()
        self.calls += 1
        self.images += len(x)
        half = x.shape[-1] // 2
        out = np.concatenate([x.mean(axis=(2, 3)), x[..., :half].mean(axis=(2, 3)) - x[..., half:].mean(axis=(2, 3))],
                             axis=1)
        return _Out(out.astype(np.float32))


class _Out:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def asnumpy(self) -> np.ndarray:
        return self.a


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def write_images(folder: Path, n: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"img{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(p)
        out.append(p)
    return out


def run(images, store, backbone=None, preprocess=None, weights=WEIGHTS, views=("orig",), batch=4, progress=None):
    return extract_features(backbone or FakeBackbone(), images, preprocess or Preprocess.for_size(SIZE),
                            weights=weights, feature_dim=DIM, views=views, store=store, batch_size=batch, read=_read,
                            progress=progress)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    return write_images(tmp_path / "imgs", 10)


def test_key_context_depends_on_all_but_the_image():
    base = FeatureKey(WEIGHTS, Preprocess().key(), 224, "orig", "b" * 64)
    others = [FeatureKey("c" * 64, base.preprocess, 224, "orig", base.image),
              FeatureKey(WEIGHTS, Preprocess(resize=257).key(), 224, "orig", base.image),
              FeatureKey(WEIGHTS, base.preprocess, 160, "orig", base.image),
              FeatureKey(WEIGHTS, base.preprocess, 224, "hflip", base.image)]
    contexts = {base.context()} | {k.context() for k in others}
    assert len(contexts) == 5
    assert FeatureKey(WEIGHTS, base.preprocess, 224, "orig", "d" * 64).context() == base.context()
    assert base.context() == FeatureKey(WEIGHTS, Preprocess().key(), 224, "orig", "e" * 64).context()  # stable
    with pytest.raises(ValueError, match="unknown view"):
        FeatureKey(WEIGHTS, base.preprocess, 224, "vflip", base.image)


def test_second_run_hits_and_returns_the_same_vectors(images, tmp_path):
    store = FeatureStore(DIM, tmp_path / "features")
    bb = FakeBackbone()
    first, s1 = run(images, store, bb)
    assert (s1.hits, s1.misses, s1.stored) == (0, 10, 10) and bb.calls == 3 and not bb.training
    again = FeatureStore(DIM, tmp_path / "features")  # a new process: read from disk
    bb2 = FakeBackbone()
    second, s2 = run(images, again, bb2)
    assert (s2.hits, s2.misses, s2.stored) == (10, 0, 0) and bb2.calls == 0
    np.testing.assert_array_equal(first["orig"], second["orig"])
    expected = FakeBackbone()(_Tensor(Preprocess.for_size(SIZE).batch([_read(p) for p in images]))).asnumpy()
    np.testing.assert_allclose(first["orig"], expected, rtol=1e-6)
    assert len(list((tmp_path / "features").glob("*/*.npz"))) == 3
    assert not list((tmp_path / "features").rglob("*.part"))


class _Tensor:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def asnumpy(self) -> np.ndarray:
        return self.a


@pytest.mark.parametrize("change", ["weights", "preprocess", "size"])
def test_changed_context_misses_everything(images, tmp_path, change):
    store = FeatureStore(DIM, tmp_path / "features")
    run(images, store)
    kwargs = {"weights": {"weights": "f" * 64},
              "preprocess": {"preprocess": Preprocess(crop=SIZE, resize=SIZE + 3)},
              "size": {"preprocess": Preprocess.for_size(SIZE // 2)}}[change]
    _, stats = run(images, FeatureStore(DIM, tmp_path / "features"), **kwargs)
    assert (stats.hits, stats.misses) == (0, 10)


def test_changed_image_bytes_miss_only_that_image(images, tmp_path):
    store = FeatureStore(DIM, tmp_path / "features")
    before, _ = run(images, store)
    Image.fromarray(np.full((SIZE, SIZE, 3), 7, np.uint8)).save(images[3])
    bb = FakeBackbone()
    after, stats = run(images, FeatureStore(DIM, tmp_path / "features"), bb)
    assert (stats.hits, stats.misses) == (9, 1) and bb.calls == 1
    assert not np.allclose(after["orig"][3], before["orig"][3])  # the new bytes' vector, not the stale one
    np.testing.assert_array_equal(np.delete(after["orig"], 3, 0), np.delete(before["orig"], 3, 0))


def test_mirrored_view_is_cached_apart(images, tmp_path):
    store = FeatureStore(DIM, tmp_path / "features")
    got, stats = run(images, store, views=("orig", "hflip"))
    assert (stats.hits, stats.misses) == (0, 20)
    np.testing.assert_allclose(got["hflip"][:, :3], got["orig"][:, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["hflip"][:, 3:], -got["orig"][:, 3:], rtol=1e-5, atol=1e-6)
    orig, orig_only = run(images, FeatureStore(DIM, tmp_path / "features"))
    flip, flip_only = run(images, FeatureStore(DIM, tmp_path / "features"), views=("hflip",))
    assert (orig_only.hits, flip_only.hits) == (10, 10)
    np.testing.assert_array_equal(orig["orig"], got["orig"])
    np.testing.assert_array_equal(flip["hflip"], got["hflip"])


def test_no_cache_reads_and_writes_nothing(images, tmp_path, monkeypatch):
    monkeypatch.setenv("MINDEDGE_HOME", str(tmp_path / "home"))
    run(images, FeatureStore(DIM))  # a filled default cache that --no-cache must not read
    bb = FakeBackbone()
    _, stats = run(images, None, bb)
    assert (stats.hits, stats.misses, stats.stored) == (0, 10, 0) and bb.images >= 10
    assert features_mod.features_dir() == tmp_path / "home" / "features"


def test_interrupted_run_keeps_finished_batches(images, tmp_path):
    root = tmp_path / "features"

    def stop_after_two(p: ExtractProgress) -> None:
        if p.done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(images, FeatureStore(DIM, root), progress=stop_after_two)
    assert not list(root.rglob("*.part"))
    bb = FakeBackbone()
    resumed, stats = run(images, FeatureStore(DIM, root), bb)
    assert (stats.hits, stats.misses) == (8, 2) and bb.calls == 1
    whole, _ = run(images, None)
    np.testing.assert_array_equal(resumed["orig"], whole["orig"])


def test_a_failed_shard_write_leaves_no_shard(images, tmp_path, monkeypatch):
    root = tmp_path / "features"

    def broken(f, **arrays):
        f.write(b"PK\x03\x04 half a shard")
        raise OSError("disk full")

    monkeypatch.setattr(features_mod.np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        run(images, FeatureStore(DIM, root))
    monkeypatch.undo()
    assert not list(root.rglob("*.npz")) and not list(root.rglob("*.part"))
    _, stats = run(images, FeatureStore(DIM, root))
    assert (stats.hits, stats.misses) == (0, 10)


@pytest.mark.parametrize("damage", ["truncate", "wrong_dim", "nan"])
def test_damaged_shards_are_ignored_and_recomputed(images, tmp_path, damage):
    root = tmp_path / "features"
    good, _ = run(images, FeatureStore(DIM, root))
    shard = sorted(root.glob("*/*.npz"))[0]
    with np.load(shard) as z:
        names, feats = z["images"], z["features"]
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:100])
    else:
        bad = feats[:, :-1] if damage == "wrong_dim" else np.full_like(feats, np.nan)
        with open(shard, "wb") as f:
            np.savez(f, images=names, features=bad)
    warnings: list[str] = []
    got, stats = run(images, FeatureStore(DIM, root, warn=warnings.append))
    assert stats.misses == len(names) and stats.hits == 10 - len(names)
    assert stats.ignored_shards == [str(shard)] and len(warnings) == 1 and str(shard) in warnings[0]
    np.testing.assert_array_equal(got["orig"], good["orig"])
    _, healed = run(images, FeatureStore(DIM, root))  # the recomputed batch replaced the damaged shard
    assert (healed.hits, healed.misses) == (10, 0)


def test_put_rejects_mismatched_features(tmp_path):
    store = FeatureStore(DIM, tmp_path)
    keys = [FeatureKey(WEIGHTS, "p", 8, "orig", "1"), FeatureKey(WEIGHTS, "p", 8, "orig", "2")]
    with pytest.raises(ValueError, match=r"2 keys for features of shape \[2, 5\]"):
        store.put(keys, np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="one context"):
        store.put([keys[0], FeatureKey(WEIGHTS, "p", 8, "hflip", "2")], np.zeros((2, DIM), np.float32))
    store.put(keys, np.ones((2, DIM), np.float32))
    assert store.get(keys[1]) is not None and store.get(FeatureKey(WEIGHTS, "p", 8, "orig", "3")) is None


def test_progress_line_and_stats_record():
    import io

    out = io.StringIO()
    bar = StderrExtractProgress(out, label="features 8px")
    bar(ExtractProgress(4, 10, 40.0, 0.1))
    bar(ExtractProgress(10, 10, 50.0, 0.2))
    assert out.getvalue() == "features 8px [########################] 10/10  50.0 img/s  0.2 s\n"
    rec = CacheStats(hits=3, misses=10, stored=10, seconds=2.0).record()
    assert rec["images_per_s"] == 5.0 and rec["hits"] == 3
