"""The events table: one DynamoDB table serving every access pattern, and the API's side of it.

Key design (``pk`` / ``sk``, every item also carries ``entity``; keys are spelled in ``items``):

===================  ==============================  ===========================================
item                 pk / sk                         holds
===================  ==============================  ===========================================
subject head         SUBJECT#<s> / HEAD              ``accepted``: how many events the subject has
event                SUBJECT#<s> / EVENT#<pos>       the event, ``status``, ``sequence``,
                                                     ``notified_at``; ``pos`` is zero-padded, so sk
                                                     order is acceptance order
sequencer lane       SUBJECT#<s> / LANE#sequencer    ``last_sequence``
analytics lane       SUBJECT#<s> / LANE#analytics    ``counted_through`` and the statistics
pointer              EVENT#<id> / POINTER            subject and position, for reads by id
idempotency key      IDEMPOTENCY#<key> / CALLER#<c>  body fingerprint and the event it made (TTL);
                                                     ``c`` is the caller's scope (a hash of who
                                                     called), so keys are per caller. Keys stored
                                                     before that have sk ``KEY`` (read only)
reconciler           RECONCILER / CHECKPOINT         where the next reconcile run starts
secret key           KEY#<purpose> / <version>       ``secret``: 32 random bytes (``keys`` says why
                                                     here and how they stay out of every lane)
===================  ==============================  ===========================================

The table is the source of truth; everything downstream is a lane that can be rebuilt from it.

1. **Acceptance is serialised per subject.** Each accept reads the head's ``accepted`` counter
   N and writes, in ONE transaction, the event at position N+1, the head with the condition
   ``accepted = N``, the pointer and the idempotency key. Two writers cannot both get N+1: the
   loser's condition fails and it retries with N+2. Positions are gap-free and strictly
   ordered, so "events 1..n of S" is one Query.
2. **A lost reply never stores twice.** The transaction carries a ``ClientRequestToken``
   derived from the event id and position, so the SDK's own retry after a dropped connection
   is answered by DynamoDB's idempotency instead of being run again. If every retry failed
   with an unknown outcome, accept() reads the event's pointer before deciding: stored means
   success, absent means the write never happened.
3. **Each lane's progress lives beside the data it consumes.** The processor sets the event's
   ``status``; the notifier its ``notified_at``; the sequencer and analytics keep a per-subject
   cursor in their own lane item (not on the head, so they never contend with the API's
   accepts). Every effect is one conditional write keyed by event id or position, so a
   redelivery changes nothing and an out-of-order delivery is caught up from the table
   (``lanes`` says how for each lane).
4. **What is unfinished is indexed.** The sparse ``pending`` index (``pending_bucket``,
   ``received_at``) holds every event whose processor or notifier lane has not run, and
   every subject head whose ordered lanes (sequencer, analytics) are behind ``accepted``;
   for a head, ``received_at`` is when it first fell behind. The reconciler walks the index
   for entries older than its cut-off and repairs each lane from the table, in position
   order. Buckets spread the index over a few partitions.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import items
from chalicelib.aws import WORST_BACKOFF_SECONDS
from chalicelib.errors import ServiceUnavailableError, TooManyRequestsError
from chalicelib.events import STATUS_ACCEPTED, StoredEvent, canonical_json
from chalicelib.retry import Backoff, Deadline, cancellation_codes, error_code, is_transient

# Contention on one subject's head: retried with jittered backoff for about two seconds.
CONTENTION_BACKOFF = Backoff(attempts=10, base=0.01, cap=0.4)
# A dependency in trouble: a few retries on top of the SDK's, then 503.
TRANSIENT_BACKOFF = Backoff(attempts=3, base=0.05, cap=0.5)
# Time one more accept attempt needs under throttling: the SDK's backoff between its own attempts
# and the calls themselves. With less left, the API answers (503 or 429) before its timeout would.
ACCEPT_STEP_SECONDS = WORST_BACKOFF_SECONDS + 1.0


def epoch_seconds() -> int:
    """Now in whole seconds: the one clock an idempotency key's expiry is judged by.

    The write's condition compares ``expires_at`` with a whole-second ``:now``; the read must
    compare with the very same number, or within the second a key expires the read finds it
    free while the transaction finds it taken.
    """
    return int(time.time())


def key_expired(expires_at: int, now: int) -> bool:
    """Whether a key stored until ``expires_at`` is free at ``now``: the read's half of ``expires_at < :now``."""
    return expires_at < now


class IdempotencyKeyTakenError(Exception):
    """Another request stored this idempotency key first."""


class PositionRangeError(ValueError):
    """Positions outside 1..MAX_POSITION, or a reversed range: no Query is sent for them.

    Past MAX_POSITION a sort key is one digit longer and no longer sorts by number, and DynamoDB
    refuses a key condition whose lower bound sorts after its upper one (ValidationException).
    """


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    event_id: str
    caller_scope: str | None  # whose key (identity.Caller.scope); None: stored before keys were scoped


@dataclass(frozen=True)
class NewEventItem:
    """Everything accept() writes, decided by the caller (ids and clocks stay out of storage)."""

    id: str
    type: str
    subject: str
    source: str
    data: dict[str, Any]
    occurred_at: str
    received_at: str


@dataclass(frozen=True)
class SubjectState:
    """A subject's head and lane items, read together."""

    accepted: int
    last_sequence: int | None
    stats: dict[str, Any]


def request_token(event_id: str, position: int) -> str:
    """The ClientRequestToken of one accept attempt: the same for the SDK's retries of it, new per position."""
    return str(uuid.UUID(hashlib.sha256(f"{event_id}:{position}".encode()).hexdigest()[:32]))


class EventsRepository:
    def __init__(self, dynamodb: Any, table_name: str, sleep: Any = time.sleep) -> None:
        self._db = dynamodb
        self._table = table_name
        self._sleep = sleep

    @property
    def table_name(self) -> str:
        return self._table

    # -- reads ------------------------------------------------------------------------------

    def get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return items.deserialize(found) if found else None

    def get_event(self, event_id: str) -> StoredEvent | None:
        pointer = self.get(items.pointer_key(event_id))
        if pointer is None:
            return None
        item = self.get(items.event_key(pointer["subject"], int(pointer["position"])))
        return items.event_from_item(item) if item else None

    def get_idempotency(self, key: str, caller_scope: str | None, now: int | None = None) -> IdempotencyRecord | None:
        """The key's record, or None when it is free at ``now`` (epoch_seconds, the instant accept() claims it at)."""
        item = self.get(items.idempotency_key(key, caller_scope))
        now = epoch_seconds() if now is None else now
        if item is None or key_expired(int(item.get("expires_at", 0)), now):
            # DynamoDB deletes expired items lazily; an expired key is a free key.
            return None
        return IdempotencyRecord(key, item["fingerprint"], item["event_id"], caller_scope)

    def events_between(self, subject: str, first: int, last: int, limit: int | None = None) -> list[dict[str, Any]]:
        """The subject's event items at positions first..last, in position order (plain values)."""
        if not 1 <= first <= last <= items.MAX_POSITION:
            raise PositionRangeError(f"positions {first}..{last} are not a range within 1..{items.MAX_POSITION}")
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": items.values(
                pk=items.subject_pk(subject), lo=items.event_sk(first), hi=items.event_sk(last)
            ),
            "ConsistentRead": True,
        }
        while True:
            if limit is not None:
                request["Limit"] = limit - len(found)
            response = self._db.query(**request)
            found += [items.deserialize(item) for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start or (limit is not None and len(found) >= limit):
                return found
            request["ExclusiveStartKey"] = start

    def list_subject_events(self, subject: str, after_position: int, limit: int) -> tuple[list[StoredEvent], bool]:
        """Up to ``limit`` events after ``after_position`` in acceptance order, and whether more follow.

        PositionRangeError, before any Query, when no event can follow ``after_position``.
        """
        found = self.events_between(subject, after_position + 1, items.MAX_POSITION, limit=limit + 1)
        events = [items.event_from_item(item) for item in found]
        return events[:limit], len(events) > limit

    def subject_state(self, subject: str) -> SubjectState | None:
        """The head and both lane items in one Query (they sort together after the events)."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :head",
            ExpressionAttributeValues=items.values(pk=items.subject_pk(subject), head=items.HEAD_SK),
            ConsistentRead=True,
        )
        found = {row["sk"]: row for row in (items.deserialize(i) for i in response.get("Items", []))}
        head = found.get(items.HEAD_SK)
        if head is None:
            return None
        last_sequence = found.get(items.SEQUENCER_SK, {}).get("last_sequence")
        return SubjectState(
            accepted=int(head.get("accepted", 0)),
            last_sequence=items.optional_int(last_sequence),
            stats=found.get(items.ANALYTICS_SK, {}),
        )

    def pending(self, bucket: int, received_before: str) -> Iterator[dict[str, Any]]:
        """Entries of one pending-index bucket older than the cut-off, oldest first (plain values)."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=items.PENDING_INDEX,
            KeyConditionExpression="pending_bucket = :bucket AND received_at < :before",
            ExpressionAttributeValues=items.values(bucket=f"PENDING#{bucket}", before=received_before),
        )
        for page in pages:
            for item in page.get("Items", []):
                yield items.deserialize(item)

    def reconciler_checkpoint(self) -> int:
        """The pending-index bucket the next reconcile run starts from."""
        return int((self.get(items.RECONCILER_KEY) or {}).get("next_bucket", 0)) % items.PENDING_BUCKETS

    def save_reconciler_checkpoint(self, next_bucket: int, at: str) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                **items.RECONCILER_KEY,
                **items.serialize({"entity": "checkpoint", "next_bucket": next_bucket, "at": at}),
            },
        )

    # -- accept -----------------------------------------------------------------------------

    def accept(
        self,
        new: NewEventItem,
        idempotency: IdempotencyRecord | None,
        ttl_seconds: int,
        deadline: Deadline = Deadline(None),
        now: int | None = None,
    ) -> StoredEvent:
        """Store a new event with one transaction; see the module docstring for why it is exactly once.

        ``now`` (epoch_seconds) is the instant the idempotency key is claimed at: the one its
        look-up used, so the two agree on whether it had expired. It stays the same across the
        attempts, so a retry of one position sends the same request under the same token.

        Retries stop in time to answer within ``deadline``: TooManyRequestsError when other
        writers kept taking the subject's next position, ServiceUnavailableError when the table
        kept failing transiently.
        """
        now = epoch_seconds() if now is None else now
        for attempt in range(CONTENTION_BACKOFF.attempts):
            if attempt and not deadline.allows(ACCEPT_STEP_SECONDS):
                break
            head = self.get(items.head_key(new.subject)) or {}
            previous = int(head.get("accepted", 0))
            position = previous + 1
            request = {
                "TransactItems": self._accept_items(new, position, previous, idempotency, ttl_seconds, now),
                "ClientRequestToken": request_token(new.id, position),
            }
            stored = self._commit(request, new, position, idempotency, deadline)
            if stored is not None:
                return stored
            # Another writer took this position: back off with jitter and re-read the head.
            self._sleep(CONTENTION_BACKOFF.delay(attempt))
        raise TooManyRequestsError(f"too many concurrent writes to subject {new.subject!r}; retry shortly")

    def _commit(
        self,
        request: dict[str, Any],
        new: NewEventItem,
        position: int,
        idempotency: IdempotencyRecord | None,
        deadline: Deadline,
    ) -> StoredEvent | None:
        """Run one accept transaction to a definite outcome: the stored event, or None when the position was taken.

        A transient failure is retried with the very same request (token included), so a
        commit whose reply was lost is recognised rather than repeated.
        """
        for attempt in range(TRANSIENT_BACKOFF.attempts):
            try:
                self._db.transact_write_items(**request)
            except (ClientError, BotoCoreError) as error:
                codes = cancellation_codes(error)
                if idempotency is not None and codes[3:4] == ["ConditionalCheckFailed"]:
                    raise IdempotencyKeyTakenError(idempotency.key) from None
                if codes[2:3] == ["ConditionalCheckFailed"]:
                    # Our pointer exists: an earlier attempt committed and its reply was lost.
                    return self._require_stored(new.id)
                if "ConditionalCheckFailed" in codes:
                    return None
                if codes[1:2] == ["TransactionConflict"]:
                    # Another writer's transaction held the subject's head: the same contention as a
                    # taken position, so re-read the head, back off, and answer 429 if it lasts.
                    # DynamoDB API Reference, TransactionCanceledException: "There is an ongoing
                    # TransactWriteItems operation that conflicts with a concurrent
                    # TransactWriteItems request."
                    return None
                if not is_transient(error):
                    raise
                if not codes:  # not a cancellation: the write may have happened
                    stored = self.get_event(new.id)
                    if stored is not None:
                        return stored
                if attempt == TRANSIENT_BACKOFF.attempts - 1 or not deadline.allows(ACCEPT_STEP_SECONDS):
                    raise ServiceUnavailableError(
                        f"the events table is unavailable or throttled ({error_code(error) or type(error).__name__})"
                    ) from error
                self._sleep(TRANSIENT_BACKOFF.delay(attempt))
                continue
            return _accepted(new, position)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _require_stored(self, event_id: str) -> StoredEvent:
        stored = self.get_event(event_id)
        if stored is None:
            raise ServiceUnavailableError(f"event {event_id} was written but cannot be read back yet")
        return stored

    def _accept_items(
        self,
        new: NewEventItem,
        position: int,
        previous: int,
        idempotency: IdempotencyRecord | None,
        ttl_seconds: int,
        now: int,
    ) -> list[dict[str, Any]]:
        event_item = {
            **items.event_key(new.subject, position),
            **items.serialize(
                {
                    "entity": "event",
                    "id": new.id,
                    "type": new.type,
                    "subject": new.subject,
                    "source": new.source,
                    "data_json": canonical_json(new.data),
                    "occurred_at": new.occurred_at,
                    "received_at": new.received_at,
                    "status": STATUS_ACCEPTED,
                    "position": position,
                    "pending_bucket": items.event_bucket(new.id),
                }
            ),
        }
        head_values = items.values(
            position=position,
            entity="subject",
            subject=new.subject,
            bucket=items.subject_bucket(new.subject),
            now=new.received_at,
        )
        if previous == 0:
            head_condition = "attribute_not_exists(accepted)"
        else:
            head_condition = "accepted = :previous"
            head_values.update(items.values(previous=previous))
        transact: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": event_item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": self._table,
                    "Key": items.head_key(new.subject),
                    # The head joins the pending index until its ordered lanes catch up; received_at
                    # keeps the moment it first fell behind.
                    "UpdateExpression": (
                        "SET accepted = :position, entity = :entity, subject = :subject, "
                        "pending_bucket = :bucket, received_at = if_not_exists(received_at, :now)"
                    ),
                    "ConditionExpression": head_condition,
                    "ExpressionAttributeValues": head_values,
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **items.pointer_key(new.id),
                        **items.serialize({"entity": "pointer", "subject": new.subject, "position": position}),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if idempotency is not None:
            # Kept last: accept() reads its cancellation reason by position. ``:now`` is the
            # instant get_idempotency judged the key by (key_expired is this condition's read).
            transact.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **items.idempotency_key(idempotency.key, idempotency.caller_scope),
                            **items.serialize(
                                {
                                    "entity": "idempotency",
                                    "fingerprint": idempotency.fingerprint,
                                    "event_id": new.id,
                                    "expires_at": now + ttl_seconds,
                                }
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                        "ExpressionAttributeValues": items.values(now=now),
                    }
                }
            )
        return transact


def _accepted(new: NewEventItem, position: int) -> StoredEvent:
    return StoredEvent(
        id=new.id,
        type=new.type,
        subject=new.subject,
        source=new.source,
        data=new.data,
        occurred_at=new.occurred_at,
        received_at=new.received_at,
        status=STATUS_ACCEPTED,
        sequence=None,
        position=position,
    )
