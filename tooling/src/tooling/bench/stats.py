"""Small, dependency-free statistics for the benchmarks.

These are kept apart from bench.py so that tests can check them on known
inputs without importing moto or the app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The middle value, or the mean of the two middle values for even n."""
    if not values:
        raise ValueError("median of an empty sample")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of values <= it.

    We use nearest-rank rather than interpolation because it always returns a
    value that was really measured. With 300 samples, p99 is the 297th
    smallest, so the three slowest requests are tolerated as outliers.
    """
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(values)
    rank = math.ceil(pct / 100.0 * len(ordered))
    return float(ordered[rank - 1])


def summarize(values: Sequence[float], digits: int = 3) -> dict[str, float | int]:
    """Median, p99, min and max, rounded for the results file."""
    return {
        "n": len(values),
        "median": round(median(values), digits),
        "p99": round(percentile(values, 99), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def added_ratio(base: float, measured: float) -> float:
    """How much ``measured`` adds on top of ``base``: (measured - base) / base."""
    if base <= 0:
        raise ValueError(f"base must be positive, got {base}")
    return (measured - base) / base
