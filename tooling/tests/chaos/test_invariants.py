"""The invariant checker on crafted data: a healthy run passes, and each kind of violation is flagged with its ids."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest

from tooling.chaos.invariants import (
    Answer,
    Posted,
    QueueMessage,
    Snapshot,
    StoredEvent,
    SubjectRecord,
    Violation,
    check,
    left_to_reconciler,
)

DOCUMENTED = {200, 201, 400, 403, 409, 413, 415, 429, 500, 502, 503, 504}
TYPES = ["order.created", "alert.fraud", "order.paid"]


def _at(second: float) -> str:
    return f"2026-11-30T08:00:{second:09.6f}Z"


class Run:
    """A small healthy run: two subjects, three events each, one keyed and replayed, one after a 503."""

    def __init__(self) -> None:
        self.posted: dict[int, Posted] = {}
        self.answers: list[Answer] = []
        events: dict[str, list[StoredEvent]] = {"a": [], "b": []}
        for n in range(6):
            subject = "a" if n < 3 else "b"
            event_type = TYPES[n % 3]
            key = "key-0" if n == 0 else None
            self.posted[n] = Posted(n, subject, event_type, key)
            event_id = f"id-{n}"
            sent = 10.0 * n
            if n == 4:  # a 503, retried after its Retry-After
                self.answers.append(Answer(n, 1, "first", "edge", sent, sent + 0.1, 503, retry_after="2"))
                sent += 2.2
            self.answers.append(Answer(n, 1 + (n == 4), "first", "edge", sent, sent + 0.1, 201, event_id=event_id))
            if n == 0:
                self.answers.append(Answer(n, 2, "replay", "regional", 1.0, 1.1, 200, event_id=event_id))
            position = len(events[subject]) + 1
            events[subject].append(
                StoredEvent(
                    id=event_id,
                    subject=subject,
                    position=position,
                    type=event_type,
                    status="processed",
                    received_at=_at(n),
                    occurred_at=_at(n),
                    n=n,
                    sequence=position,
                    processed_at=_at(n + 0.5),
                    notified_at=_at(n + 0.6) if event_type.startswith("alert.") else None,
                )
            )
        self.snapshot = Snapshot(
            subjects={s: SubjectRecord(s, tuple(e), 3, last_sequence=3, counted_through=3) for s, e in events.items()},
            pointers={e.id: (e.subject, e.position) for es in events.values() for e in es},
            idempotency={"key-0": "id-0"},
            stats={s: _stats(e) for s, e in events.items()},
            listings={
                s: [{"id": x.id, "sequence": x.position, "status": "processed"} for x in e] for s, e in events.items()
            },
            new_messages=[QueueMessage("standard_dlq", "m-1", "chaos-poison-run: not an event")],
            poison_marker="chaos-poison-run",
        )

    def check(self) -> list[Violation]:
        return check(self.posted, self.answers, self.snapshot, DOCUMENTED)

    def event(self, subject: str, position: int) -> StoredEvent:
        return self.snapshot.subjects[subject].events[position - 1]

    def replace_event(self, subject: str, at: int, **changes: Any) -> None:
        record = self.snapshot.subjects[subject]
        events = list(record.events)
        events[at - 1] = dataclasses.replace(events[at - 1], **changes)
        self.snapshot.subjects[subject] = dataclasses.replace(record, events=tuple(events))


def _stats(events: list[StoredEvent]) -> dict[str, Any]:
    return {
        "total": len(events),
        "by_type": dict(sorted(Counter(e.type for e in events).items())),
        "first_occurred_at": events[0].occurred_at,
        "last_occurred_at": events[-1].occurred_at,
        "last_sequence": len(events),
    }


def kinds(violations: list[Violation]) -> Counter[str]:
    return Counter(v.kind for v in violations)


@pytest.fixture
def run() -> Run:
    return Run()


def test_a_healthy_run_has_no_violation(run: Run) -> None:
    assert run.check() == []


@pytest.mark.parametrize(
    ("status", "retry_after", "kind"),
    [
        (None, None, "answer"),  # a transport error
        (500, None, "answer"),
        (502, None, "answer"),
        (418, None, "answer"),  # not documented
        (503, None, "answer"),  # no Retry-After
        (429, "soon", "answer"),
        (409, None, "unexpected-status"),  # documented, but the requests are valid
    ],
)
def test_bad_answers(run: Run, status: int | None, retry_after: str | None, kind: str) -> None:
    run.answers.append(Answer(5, 9, "retry", "edge", 99.0, 99.1, status, retry_after=retry_after, error="boom"))
    assert kind in kinds(run.check())


def test_an_abandoned_reply_is_not_a_transport_error(run: Run) -> None:
    run.answers.append(Answer(1, 0, "abandon", "edge", 9.0, 9.01, None, error="ReadTimeout: gone"))
    assert run.check() == []


def test_a_lost_reply_stored_twice(run: Run) -> None:
    record = run.snapshot.subjects["a"]
    twin = dataclasses.replace(record.events[2], id="id-twin", position=4, sequence=4)
    run.snapshot.subjects["a"] = dataclasses.replace(record, events=(*record.events, twin), accepted=4)
    found = [v for v in run.check() if v.kind == "stored-twice"]
    assert len(found) == 1
    assert set(found[0].event_ids) == {"id-2", "id-twin"}


def test_a_key_answered_with_two_ids(run: Run) -> None:
    run.answers.append(Answer(0, 3, "retry", "edge", 2.0, 2.1, 200, event_id="id-other"))
    found = run.check()
    assert "idempotency" in kinds(found)
    assert "not-stored" in kinds(found)  # id-other was never stored


def test_a_replay_that_created_a_new_event(run: Run) -> None:
    run.answers[1] = dataclasses.replace(run.answers[1], status=201, event_id="id-new")
    assert {"replay", "idempotency", "not-stored"} <= set(kinds(run.check()))


def test_the_idempotency_record_names_another_event(run: Run) -> None:
    run.snapshot.idempotency["key-0"] = "id-5"
    found = [v for v in run.check() if v.kind == "idempotency"]
    assert found
    assert set(found[0].event_ids) == {"id-5", "id-0"}


def test_an_accepted_event_missing_from_the_table_or_its_pointer(run: Run) -> None:
    del run.snapshot.pointers["id-1"]
    found = [v for v in run.check() if v.kind == "not-stored"]
    assert [v.event_ids for v in found] == [("id-1",)]


def test_an_event_stored_after_every_attempt_was_refused(run: Run) -> None:
    run.answers = [a for a in run.answers if a.n != 4 or a.status == 503]
    found = [v for v in run.check() if v.kind == "stored-after-refusal"]
    assert [v.event_ids for v in found] == [("id-4",)]


def test_an_unknown_outcome_may_be_stored(run: Run) -> None:
    run.answers = [a for a in run.answers if a.n != 4]
    run.answers.append(Answer(4, 1, "first", "edge", 40.0, 40.1, 504))
    assert "stored-after-refusal" not in kinds(run.check())


def test_a_stray_event(run: Run) -> None:
    run.replace_event("b", 3, n=None)
    found = [v for v in run.check() if v.kind == "stray-event"]
    assert [v.event_ids for v in found] == [("id-5",)]


def test_a_gap_in_positions(run: Run) -> None:
    run.replace_event("b", 3, position=4, sequence=4)
    assert "positions" in kinds(run.check())


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"status": "accepted"}, "not-processed"),
        ({"sequence": None}, "sequence"),
        ({"sequence": 7}, "sequence"),
        ({"notified_at": None}, "notification"),  # position 2 of subject a is an alert
    ],
)
def test_lane_effects_per_event(run: Run, changes: dict[str, Any], kind: str) -> None:
    run.replace_event("a", 2, **changes)
    found = [v for v in run.check() if v.kind == kind]
    assert [(v.subject, v.event_ids) for v in found] == [("a", ("id-1",))]


def test_a_notification_on_a_non_alert(run: Run) -> None:
    run.replace_event("a", 1, notified_at=_at(1))
    assert "notification" in kinds(run.check())


def test_lane_cursors_behind(run: Run) -> None:
    run.snapshot.subjects["b"] = dataclasses.replace(run.snapshot.subjects["b"], counted_through=2)
    assert [v.subject for v in run.check() if v.kind == "lanes"] == ["b"]


def test_an_event_answered_before_another_was_sent_has_the_higher_position(run: Run) -> None:
    # id-3 (position 1 of b) was sent at 30 s, id-4 answered at 42.3 s: swap their positions.
    run.replace_event("b", 1, id="id-4", n=4)
    run.replace_event("b", 2, id="id-3", n=3)
    found = [v for v in run.check() if v.kind == "order"]
    assert len(found) == 1
    assert set(found[0].event_ids) == {"id-3", "id-4"}


def test_stats_counted_wrong(run: Run) -> None:
    stats = run.snapshot.stats["a"]
    assert stats is not None
    run.snapshot.stats["a"] = {**stats, "total": 4, "by_type": {"order.created": 3}}
    found = [v for v in run.check() if v.kind == "stats"]
    assert len(found) == 1
    assert "total 4, expected 3" in found[0].message


def test_stats_missing(run: Run) -> None:
    run.snapshot.stats["b"] = None
    assert [v.subject for v in run.check() if v.kind == "stats"] == ["b"]


def test_the_listing_differs_from_the_table(run: Run) -> None:
    run.snapshot.listings["a"] = run.snapshot.listings["a"][:2]
    assert [v.subject for v in run.check() if v.kind == "listing"] == ["a"]


def test_a_dead_letter_other_than_the_poison(run: Run) -> None:
    body = '{"Type": "Notification", "Message": "{\\"id\\": \\"id-2\\"}"}'
    run.snapshot.new_messages.append(QueueMessage("function_dlq", "m-2", body))
    found = [v for v in run.check() if v.kind == "queues"]
    assert [v.event_ids for v in found] == [("id-2",)]


@pytest.mark.parametrize("queue", [None, "fifo_dlq"])
def test_the_poison_must_be_in_the_processor_dlq_only(run: Run, queue: str | None) -> None:
    run.snapshot.new_messages = [] if queue is None else [QueueMessage(queue, "m-1", "chaos-poison-run")]
    assert "queues" in kinds(run.check())


def test_pending_entries_count_only_once_the_reconciler_was_due(run: Run) -> None:
    run.replace_event("a", 2, pending=True)
    record = run.snapshot.subjects["b"]
    run.snapshot.subjects["b"] = dataclasses.replace(record, head_pending=True, head_received_at=_at(3))
    assert "pending" not in kinds(run.check())
    assert left_to_reconciler(run.snapshot) == 2
    run.snapshot.reconciled_before = _at(2)  # covers the event (received at 1 s), not the head (3 s)
    found = [v for v in run.check() if v.kind == "pending"]
    assert [(v.subject, v.event_ids) for v in found] == [("a", ("id-1",))]
    assert left_to_reconciler(run.snapshot) == 1
    run.snapshot.reconciled_before = _at(4)
    assert sorted(v.subject or "" for v in run.check() if v.kind == "pending") == ["a", "b"]
    assert left_to_reconciler(run.snapshot) == 0
