"""Keys and item shapes of the events table, shared by the API side and the lanes.

The design and the reasons for it are in ``repository``'s docstring; this module only spells
the keys and converts between DynamoDB's typed attributes and Python values.
"""

from __future__ import annotations

import hashlib
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.events import StoredEvent, loads_strict

PENDING_INDEX = "pending"
PENDING_BUCKETS = 4
POSITION_WIDTH = 12
MAX_POSITION = 10**POSITION_WIDTH - 1
HEAD_SK = "HEAD"
SEQUENCER_SK = "LANE#sequencer"
ANALYTICS_SK = "LANE#analytics"

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def event_sk(position: int) -> str:
    return f"EVENT#{position:0{POSITION_WIDTH}d}"


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


RECONCILER_KEY = {"pk": {"S": "RECONCILER"}, "sk": {"S": "CHECKPOINT"}}


def secret_key(purpose: str, version: str) -> dict[str, Any]:
    """A secret key's item (see ``keys``): outside every subject, event and index."""
    return key(f"KEY#{purpose}", version)


def head_key(subject: str) -> dict[str, Any]:
    return key(subject_pk(subject), HEAD_SK)


def lane_key(subject: str, lane_sk: str) -> dict[str, Any]:
    return key(subject_pk(subject), lane_sk)


def event_key(subject: str, position: int) -> dict[str, Any]:
    return key(subject_pk(subject), event_sk(position))


def pointer_key(event_id: str) -> dict[str, Any]:
    return key(f"EVENT#{event_id}", "POINTER")


def idempotency_key(idempotency: str, caller_scope: str | None) -> dict[str, Any]:
    """A caller's key (``caller_scope``: ``identity.Caller.scope``), or one stored before keys were scoped (None).

    The caller is in the sort key, so no ``Idempotency-Key`` a client sends can spell another
    caller's item, nor an unscoped one a scoped item.
    """
    return key(f"IDEMPOTENCY#{idempotency}", "KEY" if caller_scope is None else f"CALLER#{caller_scope}")


def _bucket(text: str) -> str:
    return f"PENDING#{int(hashlib.sha256(text.encode('utf-8')).hexdigest()[:8], 16) % PENDING_BUCKETS}"


def event_bucket(event_id: str) -> str:
    """The pending-index bucket of an event (spread by id so that no bucket is a hot partition)."""
    return _bucket(event_id)


def subject_bucket(subject: str) -> str:
    return _bucket(subject)


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items() if value is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: ``values(at=...)`` gives ``{":at": ...}``."""
    return serialize({f":{name}": value for name, value in named.items()})


def optional_int(value: Any) -> int | None:
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
        sequence=optional_int(item.get("sequence")),
        position=int(item["position"]),
    )
