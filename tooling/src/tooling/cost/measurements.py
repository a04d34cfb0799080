"""The handlers' measured figures, read from the bench's results file.

``make bench`` writes ``build/bench/results.json``; its ``handlers`` section (tooling.bench.handlers)
holds, per Lambda function, the CPU time of a fresh import (``init``), of the first call (``first_invocation``,
lazy imports) and of warm invocations by records per invocation (``batches``), with the mean log bytes,
AWS calls and DynamoDB request units of an invocation. Times are ``bench_stats.summarize`` summaries; the
model uses their medians (a typical invocation, not a tail).

Between two measured batch sizes every figure is interpolated linearly: an invocation is a fixed part plus a
per-record part, and two points (1 and 10 records) fix both. Beyond the measured range the same line is
extended (capacity needs full batches of up to ``stream_batch_size`` records); below it, down to zero records,
which gives the fixed part alone. Values never go below zero.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FUNCTIONS = ("api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler")
HOW_TO_MEASURE = (
    "run `make bench` (its handlers section, tooling.bench.handlers, writes it), "
    "or only that section: .venv/bin/python -m tooling.bench --sections handlers"
)


class BenchError(Exception):
    """The results file cannot give the handler figures; the message says what to run."""


@dataclass(frozen=True)
class BatchPoint:
    """One warm invocation of a function handling ``records`` records (means and medians)."""

    records: float
    cpu_ms: float
    log_bytes: float
    calls: Mapping[str, float] = field(default_factory=dict)
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass(frozen=True)
class FunctionBench:
    name: str
    handler: str
    init_cpu_ms: float
    first_cpu_ms: float
    batches: tuple[BatchPoint, ...]

    @property
    def max_records(self) -> float:
        return self.batches[-1].records

    def at(self, records: float) -> BatchPoint:
        return interpolate(self.batches, records)


@dataclass(frozen=True)
class HandlersBench:
    python: str
    functions: Mapping[str, FunctionBench]
    source: str

    def __getitem__(self, name: str) -> FunctionBench:
        return self.functions[name]


def _lerp(low: float, high: float, t: float) -> float:
    return max(0.0, low + (high - low) * t)


def interpolate(points: Sequence[BatchPoint], records: float) -> BatchPoint:
    """The invocation at ``records`` on the line through the two nearest measured points."""
    if not points:
        raise ValueError("no batch points to interpolate")
    ordered = sorted(points, key=lambda p: p.records)
    if len(ordered) == 1:
        only = ordered[0]
        return BatchPoint(records, only.cpu_ms, only.log_bytes, dict(only.calls), only.read_units, only.write_units)
    low, high = ordered[0], ordered[1]
    for left, right in itertools.pairwise(ordered):
        low, high = left, right
        if records <= right.records:
            break
    t = (records - low.records) / (high.records - low.records)
    calls = {op: _lerp(low.calls.get(op, 0.0), high.calls.get(op, 0.0), t) for op in {*low.calls, *high.calls}}
    return BatchPoint(
        records=records,
        cpu_ms=_lerp(low.cpu_ms, high.cpu_ms, t),
        log_bytes=_lerp(low.log_bytes, high.log_bytes, t),
        calls={op: n for op, n in sorted(calls.items()) if n > 0},
        read_units=_lerp(low.read_units, high.read_units, t),
        write_units=_lerp(low.write_units, high.write_units, t),
    )


def _median(summary: Any, where: str) -> float:
    if not isinstance(summary, Mapping) or not isinstance(summary.get("median"), int | float):
        raise BenchError(f"{where} is not a bench_stats summary with a median")
    return float(summary["median"])


def _number(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise BenchError(f"{where} must be a non-negative number, got {value!r}")
    return float(value)


def _batch(raw: Any, where: str) -> BatchPoint:
    if not isinstance(raw, Mapping):
        raise BenchError(f"{where} must be an object")
    calls = raw.get("calls", {})
    units = raw.get("dynamodb_units", {})
    if not isinstance(calls, Mapping) or not isinstance(units, Mapping):
        raise BenchError(f"{where}: calls and dynamodb_units must be objects")
    records = _number(raw.get("records"), f"{where}.records")
    if records < 1:
        raise BenchError(f"{where}.records must be at least 1")
    return BatchPoint(
        records=records,
        cpu_ms=_median(raw.get("cpu_ms"), f"{where}.cpu_ms"),
        log_bytes=_number(raw.get("log_bytes", 0), f"{where}.log_bytes"),
        calls={str(op): _number(n, f"{where}.calls.{op}") for op, n in sorted(calls.items())},
        read_units=_number(units.get("read", 0), f"{where}.dynamodb_units.read"),
        write_units=_number(units.get("write", 0), f"{where}.dynamodb_units.write"),
    )


def _function(name: str, raw: Any) -> FunctionBench:
    where = f"handlers.functions.{name}"
    if not isinstance(raw, Mapping):
        raise BenchError(f"{where} must be an object")
    batches = raw.get("batches")
    if not isinstance(batches, list) or not batches:
        raise BenchError(f"{where}.batches must be a non-empty list")
    points = tuple(sorted((_batch(b, f"{where}.batches[{i}]") for i, b in enumerate(batches)), key=lambda p: p.records))
    if len({p.records for p in points}) != len(points):
        raise BenchError(f"{where}.batches repeats a records value")
    init, first = raw.get("init"), raw.get("first_invocation")
    if not isinstance(init, Mapping) or not isinstance(first, Mapping):
        raise BenchError(f"{where} needs init and first_invocation")
    return FunctionBench(
        name=name,
        handler=str(raw.get("handler", "")),
        init_cpu_ms=_median(init.get("cpu_ms"), f"{where}.init.cpu_ms"),
        first_cpu_ms=_median(first.get("cpu_ms"), f"{where}.first_invocation.cpu_ms"),
        batches=points,
    )


def parse_handlers(doc: Mapping[str, Any], source: str = "results") -> HandlersBench:
    """The ``handlers`` section of a results document; BenchError says what is missing."""
    section = doc.get("handlers")
    if section is None:
        raise BenchError(f"{source} has no 'handlers' section: {HOW_TO_MEASURE}")
    if not isinstance(section, Mapping):
        raise BenchError(f"{source}: 'handlers' must be an object")
    if "error" in section:
        raise BenchError(f"the handlers section of {source} failed ({section['error']}): {HOW_TO_MEASURE}")
    functions = section.get("functions")
    if not isinstance(functions, Mapping):
        raise BenchError(f"{source}: handlers.functions must be an object")
    missing = [name for name in FUNCTIONS if name not in functions]
    if missing:
        raise BenchError(f"{source}: handlers.functions lacks {', '.join(missing)}: {HOW_TO_MEASURE}")
    return HandlersBench(
        python=str(section.get("python", "")),
        functions={name: _function(name, functions[name]) for name in FUNCTIONS},
        source=source,
    )


def load_results(path: Path) -> HandlersBench:
    if not path.is_file():
        raise BenchError(f"{path} does not exist: {HOW_TO_MEASURE}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BenchError(f"{path} is not JSON ({exc}): {HOW_TO_MEASURE}") from exc
    if not isinstance(doc, dict):
        raise BenchError(f"{path} is not a JSON object: {HOW_TO_MEASURE}")
    return parse_handlers(doc, source=str(path))
