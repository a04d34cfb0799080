"""Races the API must survive (a concurrent writer on the same subject, one with the same idempotency key), and the
position ranges it refuses to query."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from chalicelib import components, items
from chalicelib.errors import TooManyRequestsError
from chalicelib.events import NewEvent
from chalicelib.repository import EventsRepository, NewEventItem, PositionRangeError
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

    def miss_first_time(key: str, caller_scope: str | None) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(key, caller_scope)

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
