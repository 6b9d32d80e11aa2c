"""Seeded, stratified train/val/test splits that any language can reproduce.

The order is not drawn from a random generator (whose streams change between numpy versions): each item is
ranked by ``sha256(f"{seed}:{key}")`` where ``key`` is a stable name (a relative path, ``cat/17``). The first
``n_train`` items of that order train, the next ``n_val`` validate, the rest test. Adding an item to a class
leaves the relative order of the others unchanged.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from host_tools.errors import ConfigError

SPLITS = ("train", "val", "test")


def check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    """Three positive fractions (train, val, test) summing to 1; ConfigError otherwise."""
    try:
        values = tuple(float(r) for r in ratios)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"split ratios must be three numbers, got {ratios!r}",
                          hint="give train,val,test fractions such as 0.7,0.1,0.2") from e
    if len(values) != 3 or not all(math.isfinite(v) and v > 0 for v in values):
        raise ConfigError(f"split ratios must be three positive numbers (train, val, test), got {list(values)}",
                          hint="give train,val,test fractions such as 0.7,0.1,0.2")
    if abs(sum(values) - 1.0) > 1e-6:
        raise ConfigError(f"split ratios {list(values)} sum to {sum(values):g}, not 1",
                          hint="give train,val,test fractions that add up to 1, such as 0.7,0.1,0.2")
    return values  # type: ignore[return-value]


def seeded_order(keys: Sequence[str], seed: int) -> list[int]:
    """Indices of ``keys`` ranked by ``sha256(f"{seed}:{key}")`` (ties, impossible in practice, by index)."""
    ranks = [hashlib.sha256(f"{seed}:{k}".encode("utf-8", "surrogateescape")).digest() for k in keys]
    return sorted(range(len(keys)), key=lambda i: (ranks[i], i))


def split_counts(n: int, ratios: Sequence[float]) -> list[int]:
    """``n`` items shared out by ``ratios`` (largest remainder), every part getting at least one when
    ``n >= len(ratios)``: a part left empty takes one from the largest part."""
    ideal = [n * r / sum(ratios) for r in ratios]
    counts = [math.floor(x + 1e-9) for x in ideal]
    for i in sorted(range(len(ideal)), key=lambda i: (counts[i] - ideal[i], i))[: max(0, n - sum(counts))]:
        counts[i] += 1
    for i in range(len(counts)):
        if counts[i] == 0 and n >= len(counts):
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] += 1
    return counts
