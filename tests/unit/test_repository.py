"""Races the API must survive (a concurrent writer on the same subject, one with the same idempotency key), and the
position ranges it refuses to query."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import aws, components, items, repository
from chalicelib.errors import TooManyRequestsError
from chalicelib.events import NewEvent
from chalicelib.repository import EventsRepository, NewEventItem, PositionRangeError
from tests.unit.faults import Fault, Faults
from tooling.moto_stack import MotoStack


def new_item(event_id: str, subject: str = "order-1") -> NewEventItem:
    return NewEventItem(
        id=event_id,
        type="order.created",
        subject=subject,
        source="test",
        data={},
        occurred_at="2026-11-27T10:00:00.000000Z",
        received_at="2026-11-27T10:00:00.000000Z",
    )


def uuid_of(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def test_a_writer_with_a_stale_head_retries_and_takes_the_next_position(moto_stack: MotoStack) -> None:
    repo = components.repository()
    other = EventsRepository(boto3.client("dynamodb", region_name="us-east-1"), moto_stack.table)
    real_get = repo.get
    raced = threading.Event()

    def get_then_lose_the_race(key: dict[str, Any]) -> dict[str, Any] | None:
        head = real_get(key)
        if key["sk"]["S"] == "HEAD" and not raced.is_set():
            raced.set()
            other.accept(new_item(uuid_of(1)), None, 60)  # lands between our read and our write
        return head

    repo.get = get_then_lose_the_race  # type: ignore[method-assign]
    mine = repo.accept(new_item(uuid_of(2)), None, 60)
    assert raced.is_set()
    assert mine.position == 2
    events, more = repo.list_subject_events("order-1", 0, 10)
    assert [(e.id, e.position) for e in events] == [(uuid_of(1), 1), (uuid_of(2), 2)]
    assert not more


def test_endless_contention_is_a_429_not_a_duplicate_position(moto_stack: MotoStack) -> None:
    repo = components.repository()
    repo.accept(new_item(uuid_of(1)), None, 60)
    repo.get = lambda key: {"accepted": 0} if key["sk"]["S"] == "HEAD" else None  # type: ignore[method-assign]
    with pytest.raises(TooManyRequestsError):
        repo.accept(new_item(uuid_of(2)), None, 60)
    assert [e.position for e in components.repository().list_subject_events("order-1", 0, 10)[0]] == [1]


def test_same_idempotency_key_racing_returns_the_winner(moto_stack: MotoStack) -> None:
    service = components.event_service()
    body = {"type": "order.created", "subject": "order-1", "source": "test", "data": {}}
    new = NewEvent.from_body(body)
    winner, created = service.create(new, "race-key")
    assert created

    real_lookup = components.repository().get_idempotency
    calls = {"n": 0}

    def miss_first_time(key: str, caller_scope: str | None, now: int | None = None) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(key, caller_scope, now)

    components.repository().get_idempotency = miss_first_time  # type: ignore[method-assign]
    replay, created_again = service.create(new, "race-key")
    assert not created_again
    assert replay.id == winner.id
    # The caller's key (missed), the unscoped key of old (free), the caller's key again after losing the race.
    assert calls["n"] == 3
    assert [e.id for e in components.repository().list_subject_events("order-1", 0, 10)[0]] == [winner.id]


def test_an_event_whose_earlier_attempt_committed_is_answered_not_stored_again(moto_stack: MotoStack) -> None:
    """The retry after a lost reply, once DynamoDB no longer remembers its token (10 minutes), finds its pointer."""
    repo = components.repository()
    first = repo.accept(new_item(uuid_of(7)), None, 60)
    again = repo.accept(new_item(uuid_of(7)), None, 60)
    assert (again.id, again.position) == (first.id, first.position) == (uuid_of(7), 1)
    assert [e.id for e in repo.list_subject_events("order-1", 0, 10)[0]] == [uuid_of(7)]


class _FrozenTime:
    """The repository's ``time`` module, its clock stopped at one instant."""

    def __init__(self, at: float) -> None:
        self._at = at

    def time(self) -> float:
        return self._at

    @staticmethod
    def sleep(seconds: float) -> None:
        del seconds


@pytest.mark.parametrize(("past_expiry", "replayed"), [(0.0, True), (0.5, True), (1.0, False)])
def test_a_retry_as_its_key_expires_is_answered_by_one_clock_never_a_500(
    moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch, past_expiry: float, replayed: bool
) -> None:
    """Within the second a key expires, the read and the transaction's condition must agree on whether it is free."""
    service = components.event_service()
    new = NewEvent.from_body({"type": "order.created", "subject": "order-1", "source": "test", "data": {}})
    first, _ = service.create(new, "expiring-key")
    (stored,) = [
        items.deserialize(i)
        for i in boto3.client("dynamodb", region_name="us-east-1").scan(TableName=moto_stack.table)["Items"]
        if i["pk"]["S"] == "IDEMPOTENCY#expiring-key"
    ]
    monkeypatch.setattr(repository, "time", _FrozenTime(int(stored["expires_at"]) + past_expiry))
    again, created = service.create(new, "expiring-key")
    assert created is not replayed
    assert (again.id == first.id) is replayed
    positions = [e.position for e in components.repository().list_subject_events("order-1", 0, 10)[0]]
    assert positions == ([1] if replayed else [1, 2])


@pytest.fixture
def faults(moto_stack: MotoStack) -> Iterator[Faults]:
    injected = Faults()
    injected.attach(aws.client("dynamodb"))
    yield injected
    injected.clear()


def test_a_transaction_conflict_on_the_head_is_contention_a_429(client: Client, faults: Faults) -> None:
    """DynamoDB cancels an accept whose head another transaction is writing with ``TransactionConflict``."""
    conflict = {"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]}
    faults.add(Fault("dynamodb", "TransactWriteItems", code="TransactionCanceledException", extra=conflict))
    headers = {"Content-Type": "application/json", "x-api-key": "k"}
    body = {"type": "order.created", "subject": "order-hot", "source": "test", "data": {}}
    response = client.http.post("/v1/events", headers=headers, body=json.dumps(body))
    assert response.status_code == 429, response.body
    assert int(response.headers["Retry-After"]) >= 1
    assert json.loads(response.body)["error"]["code"] == "TooManyRequests"
    faults.clear()
    assert components.repository().list_subject_events("order-hot", 0, 10)[0] == []


def test_a_head_conflict_that_clears_stores_the_event_once(moto_stack: MotoStack, faults: Faults) -> None:
    conflict = {"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]}
    faults.add(Fault("dynamodb", "TransactWriteItems", code="TransactionCanceledException", times=4, extra=conflict))
    stored = components.repository().accept(new_item(uuid_of(3)), None, 60)
    assert stored.position == 1
    assert [e.id for e in components.repository().list_subject_events("order-1", 0, 10)[0]] == [uuid_of(3)]


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} was called")


@pytest.mark.parametrize(
    ("first", "last"),
    [(0, 5), (6, 5), (items.MAX_POSITION + 1, items.MAX_POSITION), (10**13 - 1, items.MAX_POSITION), (1, 10**13)],
)
def test_a_range_outside_the_positions_is_refused_without_a_query(first: int, last: int) -> None:
    repo = EventsRepository(_NoCalls(), "events")
    with pytest.raises(PositionRangeError):
        repo.events_between("order-1", first, last)


def test_no_page_can_follow_the_last_position() -> None:
    with pytest.raises(PositionRangeError):
        EventsRepository(_NoCalls(), "events").list_subject_events("order-1", items.MAX_POSITION, 10)
