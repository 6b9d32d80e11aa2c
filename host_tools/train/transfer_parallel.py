"""Transfer learning on several workers: the frozen-backbone feature extraction shared out through the feature
cache. Each rank computes the misses of its own slice of the images (every ``size``-th, from ``rank``) into the
cache, the ranks wait for each other (a collective barrier), then every rank reads all of them back as hits:
one cache, each feature computed once. Ranks on other machines whose cache is not shared compute what they
cannot find (the result is the same, only the work is not split). The head then trains data parallel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_tools.errors import ConfigError
from host_tools.train.distributed import World, barrier


def check(world: World, cfg: Any) -> None:
    """What data parallel cannot do here, said before any work."""
    if world.size == 1:
        return
    if not cfg.cache:
        raise ConfigError("--workers shares the feature extraction through the feature cache: drop --no-cache")
    if cfg.fine_tunes:
        raise ConfigError("--unfreeze with --workers: each rank would keep its own BatchNorm statistics",
                          hint="fine-tune on one worker")


def share_extraction(world: World, backbone: Any, every: list[Path], train: list[Path], preprocess: Any,
                     weights: str, feature_dim: int, cfg: Any, store: Any) -> tuple[Any, dict[str, int]]:
    """Compute this rank's slice into ``store``, wait for the others; a fresh store that sees all of it, and
    this rank's share (for the record)."""
    from host_tools.data.features import FeatureStore, extract_features

    _, mine = extract_features(backbone, every[world.rank::world.size], preprocess, weights=weights,
                               feature_dim=feature_dim, store=store, batch_size=cfg.extract_batch)
    flipped = 0
    if cfg.cache_views:
        _, f = extract_features(backbone, train[world.rank::world.size], preprocess, weights=weights,
                                feature_dim=feature_dim, views=("hflip",), store=store, batch_size=cfg.extract_batch)
        flipped = f.misses
    barrier(world)
    return FeatureStore(feature_dim), {"rank": world.rank, "world_size": world.size, "computed": mine.misses + flipped}
