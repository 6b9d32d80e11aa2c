import pytest

from host_tools.bench.render import histogram
from host_tools.bench.stats import percentile, summarize


def test_percentile_interpolates_between_ranks():
    s = [1.0, 2.0, 3.0, 4.0]
    assert percentile(s, 0) == 1.0
    assert percentile(s, 100) == 4.0
    assert percentile(s, 50) == pytest.approx(2.5)
    assert percentile(s, 90) == pytest.approx(3.7)
    assert percentile([5.0], 99) == 5.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize():
    out = summarize([3.0, 1.0, 2.0])
    assert out["min"] == 1.0 and out["max"] == 3.0 and out["p50"] == 2.0
    assert out["mean"] == pytest.approx(2.0)
    assert out["std"] == pytest.approx((2 / 3) ** 0.5)
    assert out["runs"] == [3.0, 1.0, 2.0]


def test_histogram_counts_every_run():
    runs = [0.05] * 8 + [0.2, 1.5]
    lines = histogram(runs, bins=5)
    assert len(lines) == 5
    assert sum(int(line.split()[-1]) for line in lines) == 10
    assert histogram([]) == []
    assert histogram([1.0, 1.0])[0].endswith(" 2")
