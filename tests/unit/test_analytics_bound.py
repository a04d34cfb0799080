"""The analytics lane item stays far below DynamoDB's 400 KB item limit whatever types a subject gets.

Without a bound, a subject with a few thousand distinct types grows ``by_type`` past the limit;
every count of that subject then fails with ``ValidationException`` for good.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib import aws, components, items, lanes
from chalicelib.lanes import MAX_TYPES_PER_SUBJECT, OTHER_TYPES
from chalicelib.timefmt import format_rfc3339, utc_now
from tooling.moto_stack import MotoStack

SUBJECT = "order-many-types"
# DynamoDB's item size limit: "The maximum item size in DynamoDB is 400 KB, which includes both
# attribute name binary length (UTF-8 length) and attribute value lengths" (Developer Guide,
# "Constraints in Amazon DynamoDB").
ITEM_LIMIT_BYTES = 400 * 1024


def longest_type(index: int) -> str:
    """A distinct type of the contract's longest form (64 characters)."""
    return f"t{index:05d}".ljust(64, "x")


def store_events(types: list[str]) -> None:
    """The subject's events as accept stores them (positions 1..n), without the API's cost per event."""
    db = aws.client("dynamodb")
    table = components.repository().table_name
    at = format_rfc3339(utc_now())
    rows = [
        {
            **items.event_key(SUBJECT, position),
            **items.serialize(
                {
                    "entity": "event",
                    "id": str(uuid.uuid4()),
                    "type": event_type,
                    "subject": SUBJECT,
                    "source": "test",
                    "data_json": "{}",
                    "occurred_at": at,
                    "received_at": at,
                    "status": "accepted",
                    "position": position,
                }
            ),
        }
        for position, event_type in enumerate(types, start=1)
    ]
    for start in range(0, len(rows), 25):
        chunk = rows[start : start + 25]
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": row}} for row in chunk]})


def analytics_item() -> dict[str, Any]:
    found = components.repository().get(items.lane_key(SUBJECT, items.ANALYTICS_SK))
    assert found is not None
    return found


def test_a_subject_with_thousands_of_distinct_types_is_still_counted(
    moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fewer, larger writes: the same counts, in a quarter of moto's time.
    monkeypatch.setattr(lanes, "CATCH_UP_CHUNK", 100)
    types = [longest_type(i) for i in range(6_000)] + [longest_type(0)] * 3
    store_events(types)

    result = components.lanes().catch_up_analytics(SUBJECT, len(types))

    assert result.cursor == len(types)
    lane = analytics_item()
    assert int(lane["total"]) == len(types)
    by_type = {name: int(n) for name, n in lane["by_type"].items()}
    assert len(by_type) == MAX_TYPES_PER_SUBJECT + 1
    # The first types keep their own counts; the rest are counted together.
    assert by_type[longest_type(0)] == 4
    assert by_type[OTHER_TYPES] == len(types) - MAX_TYPES_PER_SUBJECT - 3
    assert sum(by_type.values()) == len(types)
    size = sum(len(name.encode()) + 21 for name in by_type)
    assert size < ITEM_LIMIT_BYTES // 2, size
