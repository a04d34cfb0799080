"""The delivery invariants the property tests check, read from the (small, per-example) table:
each accepted event stored once in position order, processed, sequenced, counted and notified.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib import components, items
from tests.unit.property_examples import Accepted
from tooling.moto_stack import client


def table_items() -> dict[str, dict[str, dict[str, Any]]]:
    """Every item of the (small, per-example) table, by subject and sort key."""
    scanned = client("dynamodb").scan(TableName=components.settings().events_table_name)
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for raw in scanned["Items"]:
        item = items.deserialize(raw)
        if item["pk"].startswith("SUBJECT#"):
            grouped.setdefault(item["pk"].removeprefix("SUBJECT#"), {})[item["sk"]] = item
    return grouped


def events_of(stored: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [stored[sk] for sk in sorted(stored) if sk.startswith("EVENT#")]


def assert_stored_once(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [(e["id"], e["type"]) for e in events] == expected
        assert [int(e["position"]) for e in events] == list(range(1, len(expected) + 1))


def assert_processed(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject in accepted.subjects:
        assert {e["status"] for e in events_of(table[subject])} == {"processed"}


def assert_sequenced(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [int(e.get("sequence", 0)) for e in events] == list(range(1, len(expected) + 1))
        assert int(table[subject][items.SEQUENCER_SK]["last_sequence"]) == len(expected)


def assert_counted(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        stats = table[subject][items.ANALYTICS_SK]
        assert int(stats["counted_through"]) == int(stats["total"]) == len(expected)
        assert {name: int(n) for name, n in stats["by_type"].items()} == Counter(t for _, t in expected)


def assert_notified(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [("notified_at" in e) for e in events] == [t.startswith("alert.") for _, t in expected]


def assert_every_invariant(accepted: Accepted) -> None:
    table = table_items()
    for check in (assert_stored_once, assert_processed, assert_sequenced, assert_counted, assert_notified):
        check(accepted, table)
    for subject in accepted.subjects:
        assert not [sk for sk, item in table[subject].items() if "pending_bucket" in item], "left in the pending index"
