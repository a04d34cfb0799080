"""The run reads idempotency records where the service writes them: its key spelling matches the app's."""

from __future__ import annotations

from tooling.events_table import idempotency_item_key
from tooling.repository import import_service_code


def test_a_key_sent_with_the_api_key_is_read_where_the_service_stores_it() -> None:
    import_service_code()
    from chalicelib import items  # the app's own spelling, importable from here on
    from chalicelib.identity import Caller

    stored = items.idempotency_key("k-1", Caller("api_key", "abc123").scope)
    assert idempotency_item_key("k-1", {"api_key_id": "abc123"}) == stored


def test_without_the_key_id_the_unscoped_record_is_read() -> None:
    """outputs.json of a deployment from before keys were scoped by caller."""
    import_service_code()
    from chalicelib import items

    assert idempotency_item_key("k-1", {}) == items.idempotency_key("k-1", None)
