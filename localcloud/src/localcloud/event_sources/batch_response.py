"""Reading a handler's partial batch response (ReportBatchItemFailures).

The rules are AWS's: a null or empty response, or an empty or null
``batchItemFailures``, means the whole batch succeeded; a response that is not
an object, or an item whose ``itemIdentifier`` is missing, empty or not in the
batch, means the whole batch failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


class _WholeBatchFailed(Exception):
    pass


def _reported(payload: str) -> list[Any]:
    """The batchItemFailures list of a response (empty for a success)."""
    try:
        response = json.loads(payload) if payload else None
    except ValueError as exc:
        raise _WholeBatchFailed() from exc
    if response is None:
        return []
    if not isinstance(response, dict):
        raise _WholeBatchFailed()
    failures = response.get("batchItemFailures") or []
    if not isinstance(failures, list):
        raise _WholeBatchFailed()
    return failures


def failed_items(payload: str, identifiers: Sequence[str]) -> set[str] | None:
    """The identifiers reported as failed; None means "treat all as failed"."""
    known = set(identifiers)
    failed: set[str] = set()
    try:
        for item in _reported(payload):
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not identifier or identifier not in known:
                raise _WholeBatchFailed()
            failed.add(identifier)
    except _WholeBatchFailed:
        return None
    return failed


def first_failed_index(payload: str, identifiers: Sequence[str]) -> int | None:
    """For ordered sources: index of the first failed record, len() if none
    failed, None if the response means the whole batch failed."""
    failed = failed_items(payload, identifiers)
    if failed is None:
        return None
    for index, identifier in enumerate(identifiers):
        if identifier in failed:
            return index
    return len(identifiers)
