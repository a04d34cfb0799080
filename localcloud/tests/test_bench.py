"""The executor benchmark helper used by `make bench`."""

from __future__ import annotations

from localcloud.bench import executor_overhead


def test_executor_overhead_reports_warm_figures_within_budget() -> None:
    figures = executor_overhead(n=50)

    assert figures["invocations"] == 50
    assert 0 < figures["in_process_median_ms"] <= figures["executor_median_ms"]
    assert figures["overhead_median_ms"] <= 5.0  # the budget: 5 ms median (README, Tests and figures)
