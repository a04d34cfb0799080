"""scripts/bench*.py: statistics on known inputs, and the section/exit-status plumbing."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest


def test_median_odd_and_even(bench_stats: ModuleType) -> None:
    assert bench_stats.median([3, 1, 2]) == 2
    assert bench_stats.median([4, 1, 3, 2]) == 2.5
    assert bench_stats.median([7]) == 7


def test_percentile_is_nearest_rank(bench_stats: ModuleType) -> None:
    values = list(range(1, 101))  # 1..100
    assert bench_stats.percentile(values, 99) == 99
    assert bench_stats.percentile(values, 50) == 50
    assert bench_stats.percentile(values, 100) == 100
    # 300 samples: p99 is the 297th smallest, so the 3 slowest are outliers.
    assert bench_stats.percentile(list(range(300, 0, -1)), 99) == 297
    assert bench_stats.percentile([5.0], 99) == 5.0
    # Always a measured value, never an interpolation.
    assert bench_stats.percentile([1.0, 10.0], 99) == 10.0


def test_stats_reject_bad_input(bench_stats: ModuleType) -> None:
    with pytest.raises(ValueError, match="empty"):
        bench_stats.median([])
    with pytest.raises(ValueError, match="empty"):
        bench_stats.percentile([], 99)
    with pytest.raises(ValueError, match="percentile must be"):
        bench_stats.percentile([1.0], 0)
    with pytest.raises(ValueError, match="base must be positive"):
        bench_stats.added_ratio(0, 1)


def test_summarize_and_added_ratio(bench_stats: ModuleType) -> None:
    assert bench_stats.summarize([1.0, 2.0, 3.0, 4.0]) == {"n": 4, "median": 2.5, "p99": 4.0, "min": 1.0, "max": 4.0}
    assert bench_stats.added_ratio(100.0, 150.0) == pytest.approx(0.5)
    assert bench_stats.added_ratio(100.0, 90.0) == pytest.approx(-0.1)


def _opts(bench: ModuleType, tmp_path: Path, zip_path: Path) -> object:
    return bench.Options(
        zip_path=zip_path,
        app_dir=tmp_path,
        stage="dev",
        import_runs=1,
        warmup=0,
        requests=1,
        zip_budget_mib=5.0,
        import_budget_percent=50.0,
        cache_dir=tmp_path / "cache",
    )


def test_zip_section_budget(bench: ModuleType, tmp_path: Path) -> None:
    small = tmp_path / "small.zip"
    small.write_bytes(b"x" * 1024)
    result = bench.zip_section(_opts(bench, tmp_path, small))
    assert result.data["bytes"] == 1024
    assert result.ok is True
    big = tmp_path / "big.zip"
    with big.open("wb") as fh:
        fh.truncate(5 * 1024 * 1024 + 1)  # sparse: one byte over budget
    assert bench.zip_section(_opts(bench, tmp_path, big)).ok is False


def test_missing_zip_says_run_make_build(bench: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(bench.SectionError, match="make build"):
        bench.zip_section(_opts(bench, tmp_path, tmp_path / "absent.zip"))


def test_sections_table_and_exit_status(bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def good(_opts: object) -> object:
        return bench.SectionResult({"v": 1}, [bench.Row("good metric", "1 ms", "<= 2 ms", True)])

    def over(_opts: object) -> object:
        return bench.SectionResult({"v": 3}, [bench.Row("over metric", "3 ms", "<= 2 ms", False)])

    def broken(_opts: object) -> object:
        raise bench.SectionError("app.py not found")

    monkeypatch.setattr(bench, "SECTIONS", {"good": good, "over": over, "broken": broken})
    opts = _opts(bench, tmp_path, tmp_path / "z.zip")
    assert bench.exit_status(bench.run_sections(["good"], opts)) == 0
    assert bench.exit_status(bench.run_sections(["good", "over"], opts)) == 1
    results = bench.run_sections(["good", "over", "broken"], opts)
    assert bench.exit_status(results) == 2
    doc = bench.results_document(results)
    assert list(doc) == ["meta", "good", "over", "broken"]
    assert doc["broken"] == {"error": "app.py not found"}
    table = bench.render_table(results)
    assert "over metric" in table
    assert "NO" in table
    assert "broken: ERROR" in table
