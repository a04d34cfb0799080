"""The run's figures: status codes, accept and settle latencies, throughput; as JSON and as a short table.

Definitions (the JSON says them too):

- **accept latency**: the client's time from sending an attempt to its 201 or 200 (every such
  attempt, retries and replays included);
- **settle latency**: from the event's ``received_at`` (the API's clock at acceptance) to the
  latest of ``processed_at``, ``notified_at`` for an alert, and the first monitor sample at which
  the subject's sequencer and analytics cursors had reached the event's position (``settle``
  explains the sampling); the table's clocks and the monitor's are the same machine's here, and
  on AWS differ by the clock skew between a Lambda and the machine running the monitor;
- **settled per second**: events settled divided by the time from the first acceptance to the
  last settling, so the slowest lane and every fault's recovery count.

Percentiles are nearest-rank (``bench_stats.percentile``): a value that was really measured.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tooling.bench.stats import percentile
from tooling.chaos.cpu import render_cpu
from tooling.chaos.invariants import Answer, SubjectRecord, Violation, is_alert
from tooling.chaos.monitor import LaneSamples

SETTLE_METHOD = (
    "received_at to the latest of processed_at, notified_at (alerts) and the first monitor sample with the "
    "subject's sequencer and analytics cursors at or past the event's position"
)


LANES = ("processor", "sequencer", "analytics", "notifier")


@dataclass(frozen=True)
class SettlePoint:
    event_id: str
    accepted_at: float  # epoch seconds
    settled_at: float | None  # None: some lane never reached it
    lanes: tuple[tuple[str, float | None], ...] = ()  # (lane, epoch seconds it was done), notifier for alerts


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def status_counts(answers: Sequence[Answer]) -> dict[str, int]:
    """Answers by status code, plus ``abandoned`` (deliberately lost replies) and ``transport-error``."""
    counted: Counter[str] = Counter()
    for answer in answers:
        if answer.status is not None:
            counted[str(answer.status)] += 1
        elif answer.abandoned:
            counted["abandoned"] += 1
        else:
            counted["transport-error"] += 1
    return dict(sorted(counted.items()))


def accept_latencies(answers: Sequence[Answer]) -> list[float]:
    return [answer.latency_ms for answer in answers if answer.status in (200, 201)]


def settle_points(
    records: Mapping[str, SubjectRecord], samples_by_subject: Mapping[str, LaneSamples]
) -> list[SettlePoint]:
    points = []
    for subject, record in records.items():
        samples = samples_by_subject.get(subject, LaneSamples())
        for event in record.events:
            if event.n is None:
                continue
            lanes: list[tuple[str, float | None]] = [
                ("processor", epoch(event.processed_at) if event.processed_at else None),
                ("sequencer", samples.reached("sequencer", event.position)),
                ("analytics", samples.reached("analytics", event.position)),
            ]
            if is_alert(event.type):
                lanes.append(("notifier", epoch(event.notified_at) if event.notified_at else None))
            times = [t for _, t in lanes]
            settled = None if any(t is None for t in times) else max(t for t in times if t is not None)
            points.append(SettlePoint(event.id, epoch(event.received_at), settled, tuple(lanes)))
    return sorted(points, key=lambda p: p.accepted_at)


def quantiles(values: Sequence[float], digits: int = 1) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), digits),
        "p99": round(percentile(values, 99), digits),
        "max": round(max(values), digits),
    }


def lane_latencies(points: Sequence[SettlePoint]) -> dict[str, dict[str, float | int | None]]:
    """Each lane's own latency from acceptance, to see which one the settle latency waits for."""
    by_lane: dict[str, list[float]] = {lane: [] for lane in LANES}
    for point in points:
        for lane, at in point.lanes:
            if at is not None:
                by_lane[lane].append((at - point.accepted_at) * 1000)
    return {lane: quantiles(values, 0) for lane, values in by_lane.items()}


def throughput_window(points: Sequence[SettlePoint]) -> tuple[float, float] | None:
    """From the first accept to the last settle (epoch seconds); None when nothing settled."""
    settled = [p.settled_at for p in points if p.settled_at is not None]
    if not settled:
        return None
    return min(p.accepted_at for p in points), max(settled)


def throughput(points: Sequence[SettlePoint]) -> dict[str, Any]:
    window = throughput_window(points)
    if window is None:
        return {"settled": 0, "unsettled": len(points), "seconds": None, "settled_per_second": None}
    settled = [p for p in points if p.settled_at is not None]
    seconds = max(window[1] - window[0], 1e-9)
    return {
        "settled": len(settled),
        "unsettled": len(points) - len(settled),
        "seconds": round(seconds, 2),
        "settled_per_second": round(len(settled) / seconds, 1),
    }


def build_report(
    parameters: dict[str, Any],
    answers: Sequence[Answer],
    points: Sequence[SettlePoint],
    windows: list[dict[str, Any]],
    phases: dict[str, Any],
    violations: Sequence[Violation],
    extra: dict[str, Any] | None = None,
    planned: int | None = None,
) -> dict[str, Any]:
    settle_ms = [(p.settled_at - p.accepted_at) * 1000 for p in points if p.settled_at is not None]
    accepted = [a for a in answers if a.status in (200, 201)]
    by_kind = Counter(v.kind for v in violations)
    return {
        "parameters": parameters,
        "phases": phases,
        "fault_windows": windows,
        "answers": {
            "attempts": len(answers),
            "events_sent": len({a.n for a in answers}),
            "events_not_sent": None if planned is None else planned - len({a.n for a in answers}),
            "events_answered": len({a.n for a in accepted}),
            "status_counts": status_counts(answers),
            "by_gateway": dict(sorted(Counter(a.gateway for a in answers).items())),
            "retry_after_on_429_503": sum(1 for a in answers if a.status in (429, 503) and a.retry_after),
            "replays": sum(1 for a in answers if a.purpose == "replay"),
        },
        "accept_latency_ms": quantiles(accept_latencies(answers)),
        "settle_latency_ms": {**quantiles(settle_ms, 0), "method": SETTLE_METHOD},
        "lane_latency_ms": lane_latencies(points),
        "throughput": {
            **throughput(points),
            "accepted_per_second": _accepted_rate(accepted),
        },
        "violations": {"count": len(violations), "by_kind": dict(sorted(by_kind.items()))},
        "violation_list": [v.to_json() for v in violations],
        **(extra or {}),
    }


def _accepted_rate(accepted: Sequence[Answer]) -> float | None:
    if len(accepted) < 2:
        return None
    seconds = max(a.finished for a in accepted) - min(a.started for a in accepted)
    return round(len({a.n for a in accepted}) / seconds, 1) if seconds > 0 else None


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def write_answers(path: Path, answers: Sequence[Answer]) -> None:
    """Every attempt, one JSON object a line, in the order sent: what a violation's ids are looked up in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for answer in sorted(answers, key=lambda a: a.started):
            out.write(json.dumps(asdict(answer)) + "\n")


def render(report: dict[str, Any]) -> str:
    """The short table printed at the end of a run."""
    parameters, answers = report["parameters"], report["answers"]
    accept, settle, rate = report["accept_latency_ms"], report["settle_latency_ms"], report["throughput"]
    codes = "  ".join(f"{code}: {count}" for code, count in answers["status_counts"].items())
    windows = ", ".join(
        f"{w['name']} {w['opened_s']:.1f}-{w['closed_s']:.1f}s"
        if w.get("opened_s") is not None
        else f"{w['name']} (not opened)"
        for w in report["fault_windows"]
    )
    violations = report["violations"]
    rows = [
        (
            "run",
            f"seed {parameters['seed']}, {parameters['events']} events, concurrency {parameters['concurrency']}, "
            f"faults {parameters['faults']}",
        ),
        ("answers", f"{answers['attempts']} attempts: {codes}"),
        ("accept latency", f"p50 {accept['p50']} ms, p99 {accept['p99']} ms ({accept['n']} answers 200/201)"),
        ("settle latency", f"p50 {settle['p50']} ms, p99 {settle['p99']} ms, max {settle['max']} ms"),
        (
            "by lane (p50/p99)",
            ", ".join(f"{lane} {q['p50']}/{q['p99']} ms" for lane, q in report["lane_latency_ms"].items() if q["n"]),
        ),
        (
            "throughput",
            f"{rate['settled']} settled in {rate['seconds']} s: {rate['settled_per_second']}/s "
            f"(accepted {rate['accepted_per_second']}/s); {rate['unsettled']} unsettled",
        ),
        ("fault windows", windows or "none"),
        (
            "violations",
            f"{violations['count']}"
            + (f" ({', '.join(f'{k}: {n}' for k, n in violations['by_kind'].items())})" if violations["count"] else ""),
        ),
    ]
    if "cpu" in report:
        rows.append(("cpu", render_cpu(report["cpu"])))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)
