"""tooling.cost.measurements: reading the bench's handlers section, and refusing what it cannot use."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tooling.cost import measurements


def test_the_fixture_reads_as_medians(results_doc: dict[str, Any]) -> None:
    bench = measurements.parse_handlers(results_doc)
    assert set(bench.functions) == set(measurements.FUNCTIONS)
    publisher = bench["publisher"]
    assert [p.records for p in publisher.batches] == [1, 10]
    assert publisher.init_cpu_ms == 300.0
    assert publisher.batches[1].calls["sns:Publish"] == 20.0
    assert bench["sequencer"].batches[0].write_units == 4.0


def test_no_handlers_section_says_run_make_bench(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"meta": {}, "zip": {"size_bytes": 1}}), encoding="utf-8")
    with pytest.raises(measurements.BenchError, match=r"no 'handlers' section: run `make bench`"):
        measurements.load_results(path)


def test_a_missing_results_file_says_run_make_bench(tmp_path: Path) -> None:
    with pytest.raises(measurements.BenchError, match="make bench"):
        measurements.load_results(tmp_path / "missing.json")


def test_a_failed_handlers_section_is_reported() -> None:
    with pytest.raises(measurements.BenchError, match="boom"):
        measurements.parse_handlers({"handlers": {"error": "RuntimeError: boom"}})


def test_every_function_must_be_measured(results_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(results_doc)
    del doc["handlers"]["functions"]["notifier"]
    with pytest.raises(measurements.BenchError, match="notifier"):
        measurements.parse_handlers(doc)


def test_a_summary_without_a_median_is_refused(results_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(results_doc)
    doc["handlers"]["functions"]["api"]["batches"][0]["cpu_ms"] = {"n": 3}
    with pytest.raises(measurements.BenchError, match="median"):
        measurements.parse_handlers(doc)


def test_interpolation_never_goes_negative() -> None:
    points = [
        measurements.BatchPoint(1, cpu_ms=1.0, log_bytes=10, calls={"sns:Publish": 1.0}),
        measurements.BatchPoint(10, cpu_ms=19.0, log_bytes=100, calls={"sns:Publish": 10.0}),
    ]
    zero = measurements.interpolate(points, 0)
    assert zero.cpu_ms == 0.0  # the line would give -1
    assert zero.calls == {}
