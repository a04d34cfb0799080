"""Event source mapping FilterCriteria, as Lambda applies them before invoking.

A record is delivered when any filter's pattern matches it (no filters: all
are). Patterns use EventBridge syntax, matched with moto's EventPattern.
What a pattern sees: for SQS the record with a JSON ``body`` decoded; for
Kinesis the record's ``kinesis`` object with ``data`` decoded from base64
JSON; for DynamoDB streams the record as it is. A body or data that is not
JSON stays a string, so patterns on its fields do not match it, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from typing import Any, cast

from localcloud.moto_patches.internals import EventPattern


class RecordFilter:
    def __init__(self, filter_criteria: dict[str, Any] | None) -> None:
        filters = (filter_criteria or {}).get("Filters") or []
        self._patterns = [EventPattern.load(f["Pattern"]) for f in filters if f.get("Pattern")]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        view = _view(record)
        return any(pattern.matches_event(cast(Any, view)) for pattern in self._patterns)


def _decode_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _view(record: dict[str, Any]) -> dict[str, Any]:
    if "kinesis" in record:
        kinesis = dict(record["kinesis"])
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            kinesis["data"] = _decode_json(base64.b64decode(kinesis["data"]).decode())
        return kinesis
    if record.get("eventSource") == "aws:sqs":
        return {**record, "body": _decode_json(record["body"])}
    return record
