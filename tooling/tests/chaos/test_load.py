"""The load plan is a function of the seed; the client retries as the contract allows, and records every attempt."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chaos.conftest import StubServer
from tooling.chaos.load import GATEWAYS, SUBJECTS, LoadRunner, PlannedEvent, build_plan, subject_names


def test_the_same_seed_gives_the_same_plan() -> None:
    assert build_plan(5, "run", 500) == build_plan(5, "run", 500)
    assert build_plan(5, "run", 500) != build_plan(6, "run", 500)


def test_the_plan_has_a_hot_subject_keys_follow_ups_alerts_and_a_closing_round() -> None:
    plan = build_plan(11, "r1", 4000)
    main, closing = plan[:-SUBJECTS], plan[-SUBJECTS:]
    assert [e.n for e in plan] == list(range(4000))
    hot = subject_names("r1")[0]
    subjects = Counter(e.subject for e in main)
    assert len(subjects) == SUBJECTS
    assert 0.17 < subjects[hot] / len(main) < 0.23
    keyed = [e for e in main if e.key]
    assert 0.22 < len(keyed) / len(main) < 0.28
    assert len({e.key for e in keyed}) == len(keyed)
    follow_ups = Counter(e.follow_up for e in keyed)
    assert follow_ups["replay"] > 100
    assert follow_ups["lost-reply"] > 80
    assert all(e.follow_up is None for e in main if e.key is None)
    assert 0.06 < sum(e.type.startswith("alert.") for e in main) / len(main) < 0.14
    assert Counter(e.gateway for e in plan) == dict.fromkeys(GATEWAYS, 2000)
    # The closing round: one keyless event per subject, after the faults.
    assert sorted(e.subject for e in closing) == sorted(subject_names("r1"))
    assert all(e.closing and e.key is None and e.follow_up is None for e in closing)
    assert not any(e.closing for e in main)


def test_a_plan_needs_more_events_than_two_per_subject() -> None:
    with pytest.raises(ValueError, match="at least 100"):
        build_plan(1, "r", 99)


def _event(key: str | None = "k-1", follow_up: str | None = None) -> PlannedEvent:
    return PlannedEvent(n=1, subject="s", type="order.created", gateway="edge", key=key, follow_up=follow_up)


def _runner(stub: StubServer, waits: list[float]) -> LoadRunner:
    return LoadRunner(
        {"edge": f"{stub.url}/edge", "regional": f"{stub.url}/regional"}, "api-key", "run", 2, sleep=waits.append
    )


def test_a_503_is_retried_after_retry_after_with_the_same_key(stub_server: StubServer) -> None:
    answers: Iterator[tuple[int, dict[str, str], Any]] = iter(
        [(503, {"Retry-After": "2"}, {"error": {}}), (201, {}, {"id": "e-1"})]
    )
    stub_server.respond = lambda *_: next(answers)
    waits: list[float] = []
    runner = _runner(stub_server, waits)
    runner.send(_event())
    assert [(a.status, a.retry_after, a.event_id, a.purpose) for a in runner.answers] == [
        (503, "2", None, "first"),
        (201, None, "e-1", "retry"),
    ]
    assert waits == [2.0]
    sent = [(path, headers.get("idempotency-key"), body["data"]) for _, path, headers, body in stub_server.requests]
    assert sent == [("/edge/v1/events", "k-1", {"run": "run", "n": 1})] * 2
    assert all(h["x-api-key"] == "api-key" for _, _, h, _ in stub_server.requests)


def test_a_replay_goes_through_the_other_gateway(stub_server: StubServer) -> None:
    answers: Iterator[tuple[int, dict[str, str], Any]] = iter([(201, {}, {"id": "e-1"}), (200, {}, {"id": "e-1"})])
    stub_server.respond = lambda *_: next(answers)
    runner = _runner(stub_server, [])
    runner.send(_event(follow_up="replay"))
    assert [(a.gateway, a.status, a.purpose) for a in runner.answers] == [
        ("edge", 201, "first"),
        ("regional", 200, "replay"),
    ]


def test_a_lost_reply_is_abandoned_then_sent_again_with_its_key(stub_server: StubServer) -> None:
    release = threading.Event()

    def respond(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        if len(stub_server.requests) == 1:
            release.wait(5)  # the first answer comes far too late: the client has given up
        return 201, {}, {"id": "e-1"}

    stub_server.respond = respond
    runner = _runner(stub_server, [])
    try:
        runner.send(_event(follow_up="lost-reply"))
    finally:
        release.set()
    first, second = runner.answers
    assert (first.purpose, first.status, first.abandoned) == ("abandon", None, True)
    assert (second.purpose, second.status, second.event_id) == ("retry", 201, "e-1")
    assert [h.get("idempotency-key") for _, _, h, _ in stub_server.requests] == ["k-1", "k-1"]


def test_without_a_key_a_transport_error_is_not_retried(stub_server: StubServer) -> None:
    runner = LoadRunner({"edge": "http://127.0.0.1:9"}, "api-key", "run", 1, sleep=lambda _: None)
    runner.send(_event(key=None))
    (answer,) = runner.answers
    assert answer.status is None
    assert answer.error is not None
    assert not answer.abandoned


def test_run_sends_every_event_once_and_reports_progress(stub_server: StubServer) -> None:
    counter = iter(range(1000))
    stub_server.respond = lambda *_: (201, {}, {"id": f"e-{next(counter)}"})
    runner = _runner(stub_server, [])
    plan = [PlannedEvent(n, f"s{n % 3}", "order.created", GATEWAYS[n % 2]) for n in range(20)]
    assert runner.progress() == 0.0
    runner.run(plan)
    runner.close()
    assert runner.progress() == 1.0
    assert sorted(a.n for a in runner.answers) == list(range(20))
    bodies = [json.dumps(body, sort_keys=True) for _, _, _, body in stub_server.requests]
    assert len(set(bodies)) == 20


def test_no_event_is_started_after_the_deadline(stub_server: StubServer) -> None:
    runner = _runner(stub_server, [])
    runner.run([PlannedEvent(n, "s", "order.created", "edge") for n in range(5)], deadline=time.monotonic() - 1)
    assert runner.answers == []
    assert stub_server.requests == []
