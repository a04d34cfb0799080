"""Reading back what the run left, for ``invariants.check``.


**Collect.** Then ``collect`` reads the run's subjects from the table (each partition: events,
head, lanes), the pointers and idempotency records of every id and key involved, every
subject's stats and listing through the API, and what the DLQs and the failure queue gained,
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from tooling.chaos.invariants import Answer, Posted, QueueMessage, Snapshot, StoredEvent, SubjectRecord, Violation
from tooling.chaos.queues import dead_letter_contents
from tooling.events_table import (
    ANALYTICS_SK,
    HEAD_SK,
    SEQUENCER_SK,
    batch_get,
    idempotency_item_key,
    plain,
    pointer_key,
    subject_pk,
)

READ_ATTEMPTS = 6


def _stored_event(item: dict[str, Any], run_id: str) -> StoredEvent:
    n = None
    try:
        data = json.loads(item.get("data_json", "{}"))
        if isinstance(data, dict) and data.get("run") == run_id and isinstance(data.get("n"), int):
            n = data["n"]
    except ValueError:
        pass
    sequence = item.get("sequence")
    return StoredEvent(
        id=str(item["id"]),
        subject=str(item["subject"]),
        position=int(item["position"]),
        type=str(item["type"]),
        status=str(item["status"]),
        received_at=str(item["received_at"]),
        occurred_at=str(item["occurred_at"]),
        n=n,
        sequence=None if sequence is None else int(sequence),
        processed_at=item.get("processed_at"),
        notified_at=item.get("notified_at"),
        pending="pending_bucket" in item,
    )


def read_subject(dynamodb: Any, table: str, subject: str, run_id: str) -> SubjectRecord:
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": subject_pk(subject)}},
        ConsistentRead=True,
    )
    items = [plain(item) for page in pages for item in page.get("Items", [])]
    by_sk = {item["sk"]: item for item in items}
    events = tuple(_stored_event(item, run_id) for item in items if item.get("entity") == "event")
    head, sequencer, analytics = by_sk.get(HEAD_SK, {}), by_sk.get(SEQUENCER_SK, {}), by_sk.get(ANALYTICS_SK, {})
    return SubjectRecord(
        subject=subject,
        events=tuple(sorted(events, key=lambda e: e.position)),
        accepted=int(head.get("accepted", 0)),
        head_pending="pending_bucket" in head,
        head_received_at=head.get("received_at"),
        last_sequence=None if "last_sequence" not in sequencer else int(sequencer["last_sequence"]),
        counted_through=None if "counted_through" not in analytics else int(analytics["counted_through"]),
    )


class ApiReader:
    """GETs through the gateways, retried on 429/503 after Retry-After; every status is checked."""

    def __init__(self, gateways: Sequence[str], api_key: str) -> None:
        self._gateways = [g.rstrip("/") for g in gateways]
        self._headers = {"x-api-key": api_key}
        self._session = requests.Session()
        self.problems: list[Violation] = []

    def get(self, index: int, path: str, documented: Iterable[int]) -> tuple[int, Any]:
        url = f"{self._gateways[index % len(self._gateways)]}{path}"
        allowed = set(documented)
        status, body = 0, None
        for _ in range(READ_ATTEMPTS):
            try:
                response = self._session.get(url, headers=self._headers, timeout=30)
            except requests.RequestException as error:
                self.problems.append(Violation("answer", f"GET {path}: transport error: {error}"))
                return 0, None
            status = response.status_code
            if status not in allowed:
                self.problems.append(Violation("answer", f"GET {path}: {status} is not documented"))
            if status in (429, 503):
                retry_after = response.headers.get("Retry-After", "")
                if not retry_after.isdigit():
                    self.problems.append(Violation("answer", f"GET {path}: {status} without Retry-After"))
                time.sleep(min(float(retry_after or 1), 10))
                continue
            if status >= 500:
                self.problems.append(Violation("answer", f"GET {path}: {status}"))
            body = response.json() if status == 200 else None
            return status, body
        return status, body

    def close(self) -> None:
        self._session.close()


def collect(
    target: Any,
    run_id: str,
    posted: Mapping[int, Posted],
    answers: Sequence[Answer],
    gateways: Sequence[str],
    documented: Mapping[str, Iterable[int]],
    baseline: Mapping[str, Mapping[str, str]],
    poison_marker: str | None,
    reconciled_before: str | None,
) -> tuple[Snapshot, list[Violation]]:
    """Read back everything ``invariants.check`` needs; the second value lists failed API reads."""
    outputs = target.outputs
    dynamodb, table = target.client("dynamodb"), outputs["events_table_name"]
    subjects = sorted({p.subject for p in posted.values()})
    records = {subject: read_subject(dynamodb, table, subject, run_id) for subject in subjects}
    ids = {e.id for r in records.values() for e in r.events} | {a.event_id for a in answers if a.event_id}
    pointers = {
        str(item["pk"]).removeprefix("EVENT#"): (str(item["subject"]), int(item["position"]))
        for item in batch_get(dynamodb, table, [pointer_key(i) for i in sorted(ids)])
    }
    keys = sorted({p.key for p in posted.values() if p.key})
    idempotency = {
        str(item["pk"]).removeprefix("IDEMPOTENCY#"): str(item["event_id"])
        for item in batch_get(dynamodb, table, [idempotency_item_key(k, outputs) for k in keys])
    }
    reader = ApiReader(gateways, outputs["api_key"])
    stats: dict[str, dict[str, Any] | None] = {}
    listings: dict[str, list[dict[str, Any]]] = {}
    try:
        for index, subject in enumerate(subjects):
            status, body = reader.get(index, f"/v1/subjects/{subject}/stats", documented["getSubjectStats"])
            stats[subject] = body if status == 200 else None
            listing = _listing(reader, index, subject, documented["listEvents"])
            if listing is not None:
                listings[subject] = listing
    finally:
        reader.close()
    after = dead_letter_contents(target.client("sqs"), outputs)
    new_messages = [
        QueueMessage(queue, message_id, body)
        for queue, messages in after.items()
        for message_id, body in messages.items()
        if message_id not in baseline.get(queue, {})
    ]
    snapshot = Snapshot(
        subjects=records,
        pointers=pointers,
        idempotency=idempotency,
        stats=stats,
        listings=listings,
        new_messages=new_messages,
        poison_marker=poison_marker,
        reconciled_before=reconciled_before,
    )
    return snapshot, reader.problems


def _listing(reader: ApiReader, index: int, subject: str, documented: Iterable[int]) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        path = f"/v1/events?subject={subject}&limit=100" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, body = reader.get(index, path, documented)
        if status != 200 or not isinstance(body, dict):
            return None
        items += body.get("items", [])
        cursor = body.get("next_cursor")
        if not cursor:
            return items
    return items
