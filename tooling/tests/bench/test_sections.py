"""tooling.bench: section plumbing, the zip section's budget, the table, the results document, the exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.bench import sections
from tooling.bench.results import exit_status, render_table, results_document
from tooling.bench.sections import Options, Row, SectionError, SectionResult, run_sections, zip_section


def _opts(tmp_path: Path, zip_path: Path) -> Options:
    return Options(
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


def test_zip_section_budget(tmp_path: Path) -> None:
    small = tmp_path / "small.zip"
    small.write_bytes(b"x" * 1024)
    result = zip_section(_opts(tmp_path, small))
    assert result.data["bytes"] == 1024
    assert result.ok is True
    big = tmp_path / "big.zip"
    with big.open("wb") as fh:
        fh.truncate(5 * 1024 * 1024 + 1)  # sparse: one byte over budget
    assert zip_section(_opts(tmp_path, big)).ok is False


def test_missing_zip_says_run_make_build(tmp_path: Path) -> None:
    with pytest.raises(SectionError, match="make build"):
        zip_section(_opts(tmp_path, tmp_path / "absent.zip"))


def test_sections_table_and_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def good(_opts: Options) -> SectionResult:
        return SectionResult({"v": 1}, [Row("good metric", "1 ms", "<= 2 ms", True)])

    def over(_opts: Options) -> SectionResult:
        return SectionResult({"v": 3}, [Row("over metric", "3 ms", "<= 2 ms", False)])

    def broken(_opts: Options) -> SectionResult:
        raise SectionError("app.py not found")

    monkeypatch.setattr(sections, "SECTIONS", {"good": good, "over": over, "broken": broken})
    opts = _opts(tmp_path, tmp_path / "z.zip")
    assert exit_status(run_sections(["good"], opts)) == 0
    assert exit_status(run_sections(["good", "over"], opts)) == 1
    results = run_sections(["good", "over", "broken"], opts)
    assert exit_status(results) == 2
    doc = results_document(results)
    assert list(doc) == ["meta", "good", "over", "broken"]
    assert doc["broken"] == {"error": "app.py not found"}
    table = render_table(results)
    assert "over metric" in table
    assert "NO" in table
    assert "broken: ERROR" in table
