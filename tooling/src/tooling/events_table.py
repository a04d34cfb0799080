"""The events table as the tools read it (the chaos run, ``make trace``): its keys, and consistent
reads by key in batches.

The keys are spelled here again rather than imported from the service (``chalicelib.items``):
the tools read any deployed version of the table from outside, as an operator would.
Reads by key rather than through an index or a scan: BatchGetItem of the run's own items is cheap
everywhere, where an index Query makes moto list every item of the table. BatchGetItem is not an
operation any fault rule of the chaos run names, so these reads are never faulted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

HEAD_SK = "HEAD"
SEQUENCER_SK = "LANE#sequencer"
ANALYTICS_SK = "LANE#analytics"
BATCH_KEYS = 100
_DESERIALIZER = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def pointer_key(event_id: str) -> dict[str, Any]:
    return item_key(f"EVENT#{event_id}", "POINTER")


def event_key(subject: str, position: int) -> dict[str, Any]:
    return item_key(subject_pk(subject), f"EVENT#{position:012d}")


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def idempotency_item_key(key: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Where the service stores an Idempotency-Key the run sent with the stack's API key.

    Keys are per caller (chalicelib/identity.py): the caller of a request made with the API key
    alone is that key's id, hashed into the sort key. Outputs without ``api_key_id`` come from a
    deployment that stored keys unscoped.
    """
    key_id = outputs.get("api_key_id")
    if not key_id:
        return item_key(f"IDEMPOTENCY#{key}", "KEY")
    scope = hashlib.sha256(f"api_key:{key_id}".encode()).hexdigest()[:32]
    return item_key(f"IDEMPOTENCY#{key}", f"CALLER#{scope}")


def batch_get(
    dynamodb: Any,
    table: str,
    keys: Sequence[dict[str, Any]],
    projection: str | None = None,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every item of ``keys`` that exists (plain values), 100 keys per consistent BatchGetItem."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_KEYS):
        request: dict[str, Any] = {table: {"Keys": list(keys[start : start + BATCH_KEYS]), "ConsistentRead": True}}
        if projection:
            request[table]["ProjectionExpression"] = projection
        if names:
            request[table]["ExpressionAttributeNames"] = names
        for _ in range(10):
            response = dynamodb.batch_get_item(RequestItems=request)
            found += [plain(item) for item in response.get("Responses", {}).get(table, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05)
    return found
