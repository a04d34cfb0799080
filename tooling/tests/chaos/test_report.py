"""The report's counting, percentiles, settle times and throughput; the figure and the profile summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling.chaos.invariants import Answer, StoredEvent, SubjectRecord, Violation
from tooling.chaos.monitor import LaneSamples
from tooling.chaos.profile import summarise
from tooling.chaos.report import (
    SettlePoint,
    build_report,
    epoch,
    lane_latencies,
    quantiles,
    render,
    settle_points,
    status_counts,
    throughput,
    write_answers,
)

T0 = epoch("2026-11-30T08:00:00.000000Z")


def _answer(status: int | None, purpose: str = "first", error: str | None = None, latency: float = 0.02) -> Answer:
    return Answer(1, 1, purpose, "edge", T0, T0 + latency, status, error=error)


def test_status_counts_tell_abandoned_replies_from_transport_errors() -> None:
    answers = [
        _answer(201),
        _answer(201),
        _answer(200),
        _answer(503),
        _answer(None, "abandon", "ReadTimeout: read timed out"),
        _answer(None, "first", "ConnectionError: refused"),
    ]
    assert status_counts(answers) == {"200": 1, "201": 2, "503": 1, "abandoned": 1, "transport-error": 1}


def test_quantiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 201)]  # 1..200
    assert quantiles(values) == {"n": 200, "p50": 100.0, "p99": 198.0, "max": 200.0}
    assert quantiles([]) == {"n": 0, "p50": None, "p99": None, "max": None}


def _event(position: int, event_type: str, processed: str | None, notified: str | None = None) -> StoredEvent:
    return StoredEvent(
        id=f"id-{position}",
        subject="s",
        position=position,
        type=event_type,
        status="processed",
        received_at=f"2026-11-30T08:00:0{position}.000000Z",
        occurred_at="2026-11-30T08:00:00.000000Z",
        n=position,
        sequence=position,
        processed_at=processed,
        notified_at=notified,
    )


def test_an_event_settles_when_its_last_lane_is_done() -> None:
    lanes = LaneSamples()
    for at, sequenced, counted in ((T0 + 1.5, 1, 0), (T0 + 2.5, 2, 1), (T0 + 4.0, 3, 3)):
        lanes.record("sequencer", at, sequenced)
        lanes.record("analytics", at, counted)
    lanes.record("sequencer", T0 + 1.0, 1)  # an older read arriving late changes nothing
    record = SubjectRecord(
        "s",
        (
            _event(1, "order.created", "2026-11-30T08:00:01.200000Z"),
            _event(2, "alert.fraud", "2026-11-30T08:00:02.100000Z", notified="2026-11-30T08:00:05.000000Z"),
            _event(3, "order.paid", None),
        ),
        3,
    )
    first, second, third = settle_points({"s": record}, {"s": lanes})
    # 1: processed at 1.2 s, sequenced at 1.5 s, counted at 2.5 s (its first sample at >= 1).
    assert (first.accepted_at - T0, first.settled_at) == (1.0, T0 + 2.5)
    # 2: the notification at 5 s is its last lane.
    assert second.settled_at == T0 + 5.0
    # 3: never processed: not settled.
    assert third.settled_at is None
    latencies = lane_latencies([first, second, third])
    assert latencies["notifier"]["n"] == 1
    assert latencies["processor"] == {"n": 2, "p50": 100.0, "p99": 200.0, "max": 200.0}
    assert throughput([first, second, third]) == {
        "settled": 2,
        "unsettled": 1,
        "seconds": 4.0,
        "settled_per_second": 0.5,
    }


def test_the_report_and_its_table(tmp_path: Path) -> None:
    answers = [_answer(201, latency=0.01 * (i + 1)) for i in range(10)] + [_answer(503)]
    answers[0] = Answer(1, 1, "first", "edge", T0, T0 + 0.01, 201, event_id="id-1")
    points = [SettlePoint("id-1", T0, T0 + 2.0, (("processor", T0 + 1.0),))]
    violation = Violation("order", "swapped", ("id-1", "id-2"), "s")
    report = build_report(
        parameters={"seed": 3, "events": 10, "concurrency": 2, "faults": "off"},
        answers=answers,
        points=points,
        windows=[{"name": "table-throttled", "opened_s": 1.0, "closed_s": 7.0}],
        phases={},
        violations=[violation],
    )
    assert report["answers"]["status_counts"] == {"201": 10, "503": 1}
    assert report["accept_latency_ms"]["n"] == 10
    assert report["settle_latency_ms"]["p50"] == 2000
    assert report["violations"] == {"count": 1, "by_kind": {"order": 1}}
    assert report["violation_list"] == [violation.to_json()]
    table = render(report)
    assert "table-throttled 1.0-7.0s" in table
    assert "violations         1 (order: 1)" in table
    out = tmp_path / "answers.jsonl"
    write_answers(out, answers)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 11
    assert lines[0]["event_id"] == "id-1"


def test_the_figure_is_written(tmp_path: Path) -> None:
    from tooling.chaos.plot import draw

    answers = [_answer(201), _answer(503), _answer(None, "abandon", "ReadTimeout: x")]
    points = [SettlePoint("id-1", T0 + 0.1, T0 + 1.0), SettlePoint("id-2", T0 + 0.2, None)]
    windows: list[dict[str, Any]] = [
        {"name": "table-throttled", "opened_s": 0.1, "closed_s": 0.5, "poison": False},
        {"name": "poison-message", "opened_s": 0.3, "closed_s": 0.3, "poison": True},
        {"name": "never", "opened_s": None, "closed_s": None, "poison": False},
    ]
    out = tmp_path / "chaos.png"
    draw(out, T0, answers, points, windows, "test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_summary_by_own_and_inclusive_time_and_process() -> None:
    folded = [
        'process 10:"python -m localcloud run";serve (werkzeug/serving.py:300);query (moto/dynamodb/table.py:900) 30',
        'process 10:"python -m localcloud run";serve (werkzeug/serving.py:300);dispatch (moto/core/responses.py:10) 10',
        'process 11:"python -I -m localcloud.awslambda.worker";handler (app.py:5);loads (json/decoder.py:20) 10',
        "not a stack line",
    ]
    summary = summarise(folded, top=2)
    assert summary["samples"] == 50
    assert summary["by_process"] == [
        {"function": "local cloud server", "samples": 40, "share": 0.8},
        {"function": "lambda worker", "samples": 10, "share": 0.2},
    ]
    assert summary["top_own"][0] == {"function": "query (dynamodb/table.py)", "samples": 30, "share": 0.6}
    assert summary["top_inclusive"][0] == {"function": "serve (werkzeug/serving.py)", "samples": 40, "share": 0.8}
