"""The events table: one DynamoDB table serving every access pattern.

Key design (``pk`` / ``sk``, every item also carries ``entity``):

==================  ===========================  ===================================================
item                pk / sk                      holds
==================  ===========================  ===================================================
subject head        SUBJECT#<s> / HEAD           ``accepted`` counter, ``last_sequence``, stats
event               SUBJECT#<s> / EVENT#<pos>    the event; ``pos`` is zero-padded, so sk order is
                                                 acceptance order and one Query lists a subject
pointer             EVENT#<id> / POINTER         subject and position, for reads by id
idempotency key     IDEMPOTENCY#<key> / KEY      body fingerprint and the event it created (TTL)
notification        EVENT#<id> / NOTIFICATION    written once by the notifier
==================  ===========================  ===================================================

Why per-subject acceptance order survives to the FIFO consumer:

1. Acceptance is serialised per subject. Each accept reads the head's ``accepted``
   counter N and writes, in ONE transaction, the event at position N+1, the head
   with the condition ``accepted = N``, the pointer and the idempotency key. Two
   concurrent writers cannot both get N+1: the loser's condition fails and it
   retries with N+2. Positions are therefore gap-free and strictly ordered.
2. The event item's partition key is the subject, so all of a subject's events
   are in one item collection and therefore one stream shard, where DynamoDB
   Streams keeps modifications in write order.
3. The publisher handles a shard's records in order and stops at the first
   failure (the mapping retries from there), publishing to the FIFO topic with
   message group = subject, so the FIFO queue sees the subject's events in
   position order.
4. The sequencer only assigns ``sequence = position`` when the head's
   ``last_sequence`` is ``position - 1`` (a conditional transaction), so even a
   reordering upstream could not produce an out-of-order sequence: it would be
   refused and retried.

``pending_bucket`` exists only while an event is ``accepted``; it keys the sparse
``pending`` index (spread over a few buckets to avoid one hot partition) that the
reconciler queries for events stuck in ``accepted``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.errors import PoisonMessageError, TooManyRequestsError
from chalicelib.events import STATUS_ACCEPTED, STATUS_PROCESSED, EventMessage, StoredEvent, canonical_json, loads_strict

PENDING_INDEX = "pending"
PENDING_BUCKETS = 4
_POSITION_WIDTH = 12
_ACCEPT_ATTEMPTS = 8
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class IdempotencyKeyTakenError(Exception):
    """Another request stored this idempotency key first."""


class OutOfOrderError(Exception):
    """A message arrived before its predecessor was sequenced; it must be retried."""


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    event_id: str


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


def _subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def _event_sk(position: int) -> str:
    return f"EVENT#{position:0{_POSITION_WIDTH}d}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _head_key(subject: str) -> dict[str, Any]:
    return _key(_subject_pk(subject), "HEAD")


def _event_key(subject: str, position: int) -> dict[str, Any]:
    return _key(_subject_pk(subject), _event_sk(position))


def _pointer_key(event_id: str) -> dict[str, Any]:
    return _key(f"EVENT#{event_id}", "POINTER")


def _idempotency_key(key: str) -> dict[str, Any]:
    return _key(f"IDEMPOTENCY#{key}", "KEY")


def pending_bucket(event_id: str) -> str:
    return f"PENDING#{int(event_id[:8], 16) % PENDING_BUCKETS}"


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items() if value is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def event_from_item(item: dict[str, Any]) -> StoredEvent:
    """A plain (deserialized) event item, from the table or a stream image, as a StoredEvent."""
    return StoredEvent(
        id=item["id"],
        type=item["type"],
        subject=item["subject"],
        source=item["source"],
        data=loads_strict(item["data_json"]),
        occurred_at=item["occurred_at"],
        received_at=item["received_at"],
        status=item["status"],
        sequence=_optional_int(item.get("sequence")),
        position=int(item["position"]),
    )


def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _is_code(error: ClientError, *codes: str) -> bool:
    return error.response.get("Error", {}).get("Code") in codes


class EventsRepository:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    # -- reads ------------------------------------------------------------------------------

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return deserialize(found) if found else None

    def get_event(self, event_id: str) -> StoredEvent | None:
        pointer = self._get(_pointer_key(event_id))
        if pointer is None:
            return None
        item = self._get(_event_key(pointer["subject"], int(pointer["position"])))
        return event_from_item(item) if item else None

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        item = self._get(_idempotency_key(key))
        if item is None or int(item.get("expires_at", 0)) < time.time():
            # DynamoDB deletes expired items lazily; an expired key is a free key.
            return None
        return IdempotencyRecord(key=key, fingerprint=item["fingerprint"], event_id=item["event_id"])

    def list_subject_events(self, subject: str, after_position: int, limit: int) -> tuple[list[StoredEvent], bool]:
        """Up to ``limit`` events after ``after_position`` in acceptance order, and whether more follow."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": _subject_pk(subject)},
                ":lo": {"S": _event_sk(after_position + 1)},
                ":hi": {"S": _event_sk(10**_POSITION_WIDTH - 1)},
            },
            ConsistentRead=True,
            Limit=limit + 1,
        )
        events = [event_from_item(deserialize(item)) for item in response.get("Items", [])]
        return events[:limit], len(events) > limit

    def get_subject_head(self, subject: str) -> dict[str, Any] | None:
        return self._get(_head_key(subject))

    # -- accept -----------------------------------------------------------------------------

    def accept(self, new: NewEventItem, idempotency: IdempotencyRecord | None, ttl_seconds: int) -> StoredEvent:
        """Store a new event with one transaction; see the module docstring for the ordering argument."""
        for attempt in range(_ACCEPT_ATTEMPTS):
            head = self._get(_head_key(new.subject)) or {}
            previous = int(head.get("accepted", 0))
            position = previous + 1
            try:
                self._db.transact_write_items(
                    TransactItems=self._accept_items(new, position, previous, idempotency, ttl_seconds)
                )
            except ClientError as error:
                if not _is_code(error, "TransactionCanceledException"):
                    raise
                codes = _cancellation_codes(error)
                if idempotency is not None and codes[-1:] == ["ConditionalCheckFailed"]:
                    raise IdempotencyKeyTakenError(idempotency.key) from None
                # Another writer took this position (head condition) or the items were
                # locked by a concurrent transaction: back off with jitter and re-read.
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
                continue
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
        raise TooManyRequestsError(f"too many concurrent writes to subject {new.subject!r}; retry shortly")

    def _accept_items(
        self,
        new: NewEventItem,
        position: int,
        previous: int,
        idempotency: IdempotencyRecord | None,
        ttl_seconds: int,
    ) -> list[dict[str, Any]]:
        event_item = {
            **_event_key(new.subject, position),
            **serialize(
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
                    "pending_bucket": pending_bucket(new.id),
                }
            ),
        }
        if previous == 0:
            head_condition = "attribute_not_exists(accepted)"
            head_values: dict[str, Any] = {":position": {"N": str(position)}, ":subject": {"S": new.subject}}
        else:
            head_condition = "accepted = :previous"
            head_values = {
                ":position": {"N": str(position)},
                ":previous": {"N": str(previous)},
                ":subject": {"S": new.subject},
            }
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": event_item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _head_key(new.subject),
                    "UpdateExpression": "SET accepted = :position, entity = :entity, subject = :subject",
                    "ConditionExpression": head_condition,
                    "ExpressionAttributeValues": {**head_values, ":entity": {"S": "subject"}},
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_pointer_key(new.id),
                        **serialize({"entity": "pointer", "subject": new.subject, "position": position}),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if idempotency is not None:
            # Kept last: accept() reads its cancellation reason by position.
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_idempotency_key(idempotency.key),
                            **serialize(
                                {
                                    "entity": "idempotency",
                                    "fingerprint": idempotency.fingerprint,
                                    "event_id": new.id,
                                    "expires_at": int(time.time()) + ttl_seconds,
                                }
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
                    }
                }
            )
        return items

    # -- consumers --------------------------------------------------------------------------

    def mark_processed(self, message: EventMessage, processed_at: str) -> bool:
        """Set status ``processed``; False when it already was (redelivery changes nothing)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_event_key(message.subject, message.position),
                UpdateExpression="SET #status = :processed, processed_at = :at REMOVE pending_bucket",
                ConditionExpression="#status = :accepted AND id = :id",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":processed": {"S": STATUS_PROCESSED},
                    ":accepted": {"S": STATUS_ACCEPTED},
                    ":at": {"S": processed_at},
                    ":id": {"S": message.id},
                },
            )
        except ClientError as error:
            if not _is_code(error, "ConditionalCheckFailedException"):
                raise
            self._require_event(message)
            return False
        return True

    def assign_sequence(self, message: EventMessage) -> bool:
        """Give the event its per-subject sequence, strictly after its predecessor.

        True when assigned now, False for a redelivery of an already sequenced event;
        OutOfOrderError when the predecessor is not sequenced yet.
        """
        position = message.position
        if position == 1:
            head_condition = "attribute_not_exists(last_sequence)"
            values: dict[str, Any] = {":position": {"N": "1"}}
        else:
            head_condition = "last_sequence = :previous"
            values = {":position": {"N": str(position)}, ":previous": {"N": str(position - 1)}}
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _head_key(message.subject),
                            "UpdateExpression": "SET last_sequence = :position",
                            "ConditionExpression": f"attribute_exists(pk) AND {head_condition}",
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _event_key(message.subject, position),
                            "UpdateExpression": "SET #sequence = :position",
                            "ConditionExpression": "id = :id",
                            "ExpressionAttributeNames": {"#sequence": "sequence"},
                            "ExpressionAttributeValues": {":position": {"N": str(position)}, ":id": {"S": message.id}},
                        }
                    },
                ]
            )
        except ClientError as error:
            if not _is_code(error, "TransactionCanceledException"):
                raise
            self._require_event(message)
            head = self.get_subject_head(message.subject) or {}
            last = int(head.get("last_sequence", 0))
            if last >= position:
                return False
            raise OutOfOrderError(
                f"event {message.id} is position {position} of {message.subject!r} but the last sequenced is {last}"
            ) from None
        return True

    def record_stats(self, message: EventMessage) -> bool:
        """Count the event in its subject's stats once; False for a redelivery.

        Kinesis delivers a subject's records in order (partition key = subject), so a
        high-water mark (``counted_through``) is enough to recognise redeliveries.
        """
        for _ in range(_ACCEPT_ATTEMPTS):
            head = self.get_subject_head(message.subject)
            if head is None:
                raise PoisonMessageError(f"subject {message.subject!r} is unknown")
            counted = int(head.get("counted_through", 0))
            if message.position <= counted:
                return False
            by_type = {name: int(count) for name, count in head.get("by_type", {}).items()}
            by_type[message.type] = by_type.get(message.type, 0) + 1
            first = head.get("first_occurred_at")
            last = head.get("last_occurred_at")
            # Canonical RFC 3339 strings (fixed-width UTC) sort as the times they name.
            first = message.occurred_at if first is None or message.occurred_at < first else first
            last = message.occurred_at if last is None or message.occurred_at > last else last
            condition = "attribute_not_exists(counted_through)" if counted == 0 else "counted_through = :counted"
            values = serialize(
                {
                    ":position": message.position,
                    ":total": int(head.get("total", 0)) + 1,
                    ":by_type": by_type,
                    ":first": first,
                    ":last": last,
                }
            )
            if counted:
                values[":counted"] = {"N": str(counted)}
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=_head_key(message.subject),
                    UpdateExpression=(
                        "SET counted_through = :position, #total = :total, by_type = :by_type, "
                        "first_occurred_at = :first, last_occurred_at = :last"
                    ),
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#total": "total"},
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if _is_code(error, "ConditionalCheckFailedException"):
                    continue
                raise
            return True
        raise OutOfOrderError(f"stats of {message.subject!r} kept changing underneath; retry")

    def record_notification(self, message: EventMessage, notified_at: str) -> bool:
        """Record that an alert was notified, once; False for a redelivery."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **_key(f"EVENT#{message.id}", "NOTIFICATION"),
                    **serialize(
                        {
                            "entity": "notification",
                            "type": message.type,
                            "subject": message.subject,
                            "notified_at": notified_at,
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_code(error, "ConditionalCheckFailedException"):
                return False
            raise
        return True

    def get_notification(self, event_id: str) -> dict[str, Any] | None:
        return self._get(_key(f"EVENT#{event_id}", "NOTIFICATION"))

    def stale_accepted(self, received_before: str) -> Iterator[StoredEvent]:
        """Events still ``accepted`` that were received before the given time."""
        for bucket in range(PENDING_BUCKETS):
            paginator = self._db.get_paginator("query")
            pages = paginator.paginate(
                TableName=self._table,
                IndexName=PENDING_INDEX,
                KeyConditionExpression="pending_bucket = :bucket AND received_at < :before",
                ExpressionAttributeValues={":bucket": {"S": f"PENDING#{bucket}"}, ":before": {"S": received_before}},
            )
            for page in pages:
                for item in page.get("Items", []):
                    yield event_from_item(deserialize(item))

    def _require_event(self, message: EventMessage) -> None:
        item = self._get(_event_key(message.subject, message.position))
        if item is None or item.get("id") != message.id:
            raise PoisonMessageError(f"no event {message.id} at position {message.position} of {message.subject!r}")
