"""The API's use cases: accept, read, list and report, on top of the repository.

Idempotency keys belong to their caller (``identity.Caller``): two callers sending the same
``Idempotency-Key`` get two independent events, and neither can replay, block or probe the
other's. Keys stored before they were scoped by caller, when one shared API key was every caller's
identity, are still honoured on a miss until their TTL removes them (24 hours), so a retry that
spans the upgrade is answered with its first event rather than stored twice; nothing writes them
any more, and ``repository`` keeps them apart from the scoped ones. That look-up costs one more
read for a key not seen before: once every environment has run with scoped keys for a day, the
fallback in ``create`` can go.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import contract
from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.errors import BadRequestError, ConflictError, NotFoundError, ValidationError
from chalicelib.events import NewEvent, StoredEvent
from chalicelib.identity import ANONYMOUS_CALLER, Caller
from chalicelib.keys import CURSOR_KEY, KeyStore
from chalicelib.repository import (
    EventsRepository,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    NewEventItem,
    PositionRangeError,
    epoch_seconds,
)
from chalicelib.retry import Deadline
from chalicelib.timefmt import format_rfc3339, utc_now


def _new_event_id() -> str:
    return str(uuid.uuid4())


class EventService:
    def __init__(
        self,
        repository: EventsRepository,
        keys: KeyStore,
        idempotency_ttl_seconds: int,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = _new_event_id,
    ) -> None:
        self._repo = repository
        self._keys = keys
        self._ttl = idempotency_ttl_seconds
        self._clock = clock
        self._new_id = new_id

    def create(
        self,
        new: NewEvent,
        idempotency_key: str | None,
        deadline: Deadline = Deadline(None),
        caller: Caller = ANONYMOUS_CALLER,
    ) -> tuple[StoredEvent, bool]:
        """Accept an event; returns it and whether it was created now (False: idempotent replay).

        ``idempotency_key`` is the caller's own: the same key from another caller is another key.
        """
        # One instant for every look-up of the key and its claim: they must agree whether it expired.
        now = epoch_seconds()
        if idempotency_key is not None:
            replay = self._replay(idempotency_key, caller.scope, new.fingerprint, now) or self._replay(
                idempotency_key, None, new.fingerprint, now
            )
            if replay is not None:
                return replay, False
        received_at = self._clock()
        item = NewEventItem(
            id=self._new_id(),
            type=new.type,
            subject=new.subject,
            source=new.source,
            data=new.data,
            occurred_at=format_rfc3339(new.occurred_at or received_at),
            received_at=format_rfc3339(received_at),
        )
        claim = None
        if idempotency_key is not None:
            claim = IdempotencyRecord(idempotency_key, new.fingerprint, item.id, caller.scope)
        try:
            return self._repo.accept(item, claim, self._ttl, deadline, now), True
        except IdempotencyKeyTakenError:
            # A concurrent request of this caller with the same key won the race: answer as its retry would be.
            assert idempotency_key is not None
            replay = self._replay(idempotency_key, caller.scope, new.fingerprint, now)
            if replay is None:
                raise
            return replay, False

    def _replay(self, key: str, caller_scope: str | None, fingerprint: str, now: int) -> StoredEvent | None:
        """The event a key already made (None: free at ``now``); ``caller_scope`` None reads an unscoped key."""
        record = self._repo.get_idempotency(key, caller_scope, now)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise ConflictError("Idempotency-Key was already used with a different body")
        event = self._repo.get_event(record.event_id)
        if event is None:
            raise NotFoundError("the event created with this Idempotency-Key no longer exists")
        return event

    def get(self, event_id: str) -> StoredEvent:
        event = self._repo.get_event(event_id.lower())
        if event is None:
            raise NotFoundError(f"no event with id {event_id}")
        return event

    def list_subject(self, subject: str, limit: int, cursor: str | None) -> dict[str, Any]:
        after = 0 if cursor is None else decode_cursor(self._keys.secret(CURSOR_KEY), subject, cursor)
        try:
            events, more = self._repo.list_subject_events(subject, after, limit)
        except PositionRangeError:
            raise BadRequestError("cursor lies beyond the last position a subject can have") from None
        next_cursor = None
        if more and events:
            next_cursor = encode_cursor(self._keys.secret(CURSOR_KEY), subject, events[-1].position)
        return {"items": [event.to_api() for event in events], "next_cursor": next_cursor}

    def subject_stats(self, subject: str) -> dict[str, Any]:
        state = self._repo.subject_state(subject)
        if state is None:
            raise NotFoundError(f"subject {subject!r} has no events")
        stats = state.stats
        return {
            "subject": subject,
            "total": int(stats.get("total", 0)),
            "by_type": {name: int(count) for name, count in sorted(stats.get("by_type", {}).items())},
            "first_occurred_at": stats.get("first_occurred_at"),
            "last_occurred_at": stats.get("last_occurred_at"),
            "last_sequence": state.last_sequence,
        }


def parse_limit(raw: str | None) -> int:
    """The page size from the query string: digits only, within the contract's bounds."""
    if raw is None:
        default: int = contract.parameter_schema("listEvents", "limit")["default"]
        return default
    if not raw.isdigit() or not raw.isascii():
        raise ValidationError(f"limit: must be a whole number, got {raw!r}")
    limit = int(raw)
    contract.validate_parameter("listEvents", "limit", limit)
    return limit
