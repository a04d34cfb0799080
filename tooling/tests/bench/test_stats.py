"""tooling.bench.stats: statistics on known inputs."""

from __future__ import annotations

import pytest

from tooling.bench import stats


def test_median_odd_and_even() -> None:
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5
    assert stats.median([7]) == 7


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))  # 1..100
    assert stats.percentile(values, 99) == 99
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 100) == 100
    # 300 samples: p99 is the 297th smallest, so the 3 slowest are outliers.
    assert stats.percentile(list(range(300, 0, -1)), 99) == 297
    assert stats.percentile([5.0], 99) == 5.0
    # Always a measured value, never an interpolation.
    assert stats.percentile([1.0, 10.0], 99) == 10.0


def test_stats_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        stats.median([])
    with pytest.raises(ValueError, match="empty"):
        stats.percentile([], 99)
    with pytest.raises(ValueError, match="percentile must be"):
        stats.percentile([1.0], 0)
    with pytest.raises(ValueError, match="base must be positive"):
        stats.added_ratio(0, 1)


def test_summarize_and_added_ratio() -> None:
    assert stats.summarize([1.0, 2.0, 3.0, 4.0]) == {"n": 4, "median": 2.5, "p99": 4.0, "min": 1.0, "max": 4.0}
    assert stats.added_ratio(100.0, 150.0) == pytest.approx(0.5)
    assert stats.added_ratio(100.0, 90.0) == pytest.approx(-0.1)
