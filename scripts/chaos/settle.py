"""Watching the pipeline: the lane monitor, waiting until it is idle, and reading back what it stored.

**Monitor.** The table records when an event was accepted (``received_at``), processed
(``processed_at``) and notified (``notified_at``), but not when it was sequenced or counted: the
ordered lanes keep only a per-subject cursor (``last_sequence``, ``counted_through``). From the
start of the load, a monitor thread reads every subject's head and both lane items with one
consistent BatchGetItem per 100 keys every ``period`` seconds (one: the reads share the local
cloud's one interpreter with the run they measure, and sampling four times a second cost it a
tenth of its time) and keeps each change of a cursor with the time it was first seen; "position
p sequenced at" is then the first sample whose cursor reached p. The settle latency of an event
is the latest of its four lanes, so it is exact for the processor and notifier and overstated by
at most one period for the other two. BatchGetItem is not an operation any fault rule names, so
the monitor is never faulted.

**Settled**, in two stages, with every fault cleared and the schedules fired every few seconds
(``POST /_localcloud/tick``, where the endpoint exists):

1. *the work is done*: every subject's ordered lanes are at its head, no event of the run in
   the ``pending`` index still lacks its processing or notification (the run's items are read
   by key: an item is in the sparse index while it has a ``pending_bucket``), the standard and
   FIFO queues hold nothing (not even in flight: a message that failed comes back after the
   visibility timeout and could still end in a DLQ), and the poison message has reached the DLQ;
2. *the index is clean*: finished entries leave the ``pending`` index only when the reconciler
   runs over them (a subject's head always; see ``invariants``), and it only looks at entries
   older than its cut-off, ``reconcile_after_seconds`` (read from the reconciler's environment;
   300 s unless the environment sets it, at least 60). The wait goes on while the last entry's
   cut-off falls inside the deadline; otherwise what is left is reported as left to the
   reconciler, and only entries older than the cut-off of the last run fired count as violations.

**Collect.** Then ``collect`` reads the run's subjects from the table (each partition: events,
head, lanes), the pointers and idempotency records of every id and key involved, every
subject's stats and listing through the API, and what the DLQs and the failure queue gained,
into an ``invariants.Snapshot``.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from boto3.dynamodb.types import TypeDeserializer

from chaos.invariants import Answer, Posted, QueueMessage, Snapshot, StoredEvent, SubjectRecord, Violation

HEAD_SK = "HEAD"
SEQUENCER_SK = "LANE#sequencer"
ANALYTICS_SK = "LANE#analytics"
BATCH_KEYS = 100
# The queues that must gain nothing but the poison message, by their outputs.json names.
DEAD_LETTER_QUEUES = {
    "standard_dlq": "standard_dlq_url",
    "fifo_dlq": "fifo_dlq_url",
    "stream_failures": "stream_failure_queue_url",
    "function_dlq": "function_dlq_url",
}
WORK_QUEUES = {"standard": "standard_queue_url", "fifo": "fifo_queue_url"}
READ_ATTEMPTS = 6
_DESERIALIZER = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def subject_pk(subject: str) -> str:
    return f"SUBJECT#{subject}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


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


# -- the lane monitor ------------------------------------------------------------------------------


@dataclass
class LaneSamples:
    """One subject's cursors as they changed: parallel lists of (time, value), times ascending."""

    times: dict[str, list[float]] = field(default_factory=lambda: {"accepted": [], "sequencer": [], "analytics": []})
    values: dict[str, list[int]] = field(default_factory=lambda: {"accepted": [], "sequencer": [], "analytics": []})

    def record(self, lane: str, at: float, value: int) -> None:
        # Cursors only move forward: a lower value is an older read that arrived late.
        values = self.values[lane]
        if not values or value > values[-1]:
            self.times[lane].append(max(at, self.times[lane][-1]) if values else at)
            values.append(value)

    def latest(self, lane: str) -> int:
        values = self.values[lane]
        return values[-1] if values else 0

    def reached(self, lane: str, position: int) -> float | None:
        """When the lane's cursor was first seen at ``position`` or beyond (cursors only move forward)."""
        values = self.values[lane]
        # Cursors are monotonic, so the first sample at or past the position is found by bisection.
        index = bisect.bisect_left(values, position)
        return self.times[lane][index] if index < len(values) else None


class LaneMonitor:
    """Samples every subject's head and lane cursors in a thread until stopped."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        subjects: Sequence[str],
        period: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._period = period
        self._clock = clock
        self._keys = [
            _key(subject_pk(subject), sk) for subject in subjects for sk in (HEAD_SK, SEQUENCER_SK, ANALYTICS_SK)
        ]
        self.samples: dict[str, LaneSamples] = {subject: LaneSamples() for subject in subjects}
        self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def sample(self) -> None:
        items = batch_get(self._db, self._table, self._keys)
        at = self._clock()
        with self._lock:
            for item in items:
                samples = self.samples.get(str(item.get("pk", "")).removeprefix("SUBJECT#"))
                if samples is None:
                    continue
                if item["sk"] == HEAD_SK:
                    samples.record("accepted", at, int(item.get("accepted", 0)))
                elif item["sk"] == SEQUENCER_SK:
                    samples.record("sequencer", at, int(item.get("last_sequence", 0)))
                elif item["sk"] == ANALYTICS_SK:
                    samples.record("analytics", at, int(item.get("counted_through", 0)))

    def accepted(self) -> dict[str, int]:
        """Each subject's head, as last seen."""
        with self._lock:
            return {subject: samples.latest("accepted") for subject, samples in self.samples.items()}

    def behind(self) -> dict[str, tuple[int, int, int]]:
        """Subjects whose ordered lanes are not at the head: (accepted, sequenced, counted)."""
        with self._lock:
            state = {
                s: (x.latest("accepted"), x.latest("sequencer"), x.latest("analytics")) for s, x in self.samples.items()
            }
        return {s: v for s, v in state.items() if not v[0] == v[1] == v[2]}

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a failed sample is a gap in the curve, not a failed run
                self.errors += 1
            self._stop.wait(self._period)


# -- queues ------------------------------------------------------------------------------------------


def peek_queue(sqs: Any, url: str) -> dict[str, str]:
    """Every message of a queue (id -> body), left in the queue: received, then made visible again."""
    seen: dict[str, str] = {}
    handles: list[str] = []
    empty = 0
    while empty < 2 and len(seen) < 10_000:
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
        ).get("Messages", [])
        if not received:
            empty += 1
            continue
        for message in received:
            seen[message["MessageId"]] = message["Body"]
            handles.append(message["ReceiptHandle"])
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for index, handle in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return seen


def dead_letter_contents(sqs: Any, outputs: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: peek_queue(sqs, outputs[output]) for name, output in DEAD_LETTER_QUEUES.items() if outputs.get(output)
    }


def queue_depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def put_poison(sqs: Any, queue_url: str, run_id: str) -> str:
    """A message the processor can never process (not an event): it must end in the processor's DLQ."""
    marker = f"chaos-poison-{run_id}"
    sqs.send_message(QueueUrl=queue_url, MessageBody=f"{marker}: this is not an event")
    return marker


# -- waiting until idle -----------------------------------------------------------------------------


def pending_entries(dynamodb: Any, table: str, accepted: Mapping[str, int]) -> list[dict[str, Any]]:
    """The run's heads and events that are in the pending index (plain values).

    Read by key rather than from the index: an item is in the sparse index exactly while it has a
    ``pending_bucket``, and a BatchGetItem of the run's own items is cheap everywhere, where an
    index Query makes moto sort every item of the table (the local cloud's own hot spot).
    """
    keys = [
        _key(subject_pk(subject), sk)
        for subject, count in accepted.items()
        for sk in (HEAD_SK, *(f"EVENT#{position:012d}" for position in range(1, count + 1)))
    ]
    items = batch_get(
        dynamodb,
        table,
        keys,
        projection="pk, sk, entity, subject, #status, #type, notified_at, pending_bucket, received_at",
        names={"#status": "status", "#type": "type"},
    )
    return [item for item in items if "pending_bucket" in item]


def unfinished(entry: dict[str, Any], behind: Mapping[str, Any]) -> bool:
    """Whether a pending entry still has work to be done (else only the reconciler's clean-up is due)."""
    if entry.get("entity") == "event":
        alert = str(entry.get("type", "")).startswith("alert.")
        return entry.get("status") != "processed" or (alert and "notified_at" not in entry)
    return str(entry.get("subject")) in behind


def reconcile_after_seconds(target: Any) -> int | None:
    """The reconciler's cut-off, from its function's environment; None if it cannot be read."""
    try:
        name = target.outputs["function_names"]["reconciler"]
        configuration = target.client("lambda").get_function_configuration(FunctionName=name)
        return int(configuration["Environment"]["Variables"]["RECONCILE_AFTER_SECONDS"])
    except Exception:  # another stack version, or no permission: settle without the clean-up stage
        return None


def rfc3339(moment: float) -> str:
    """The table's canonical form (fixed-width UTC), so strings compare as times."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def tick(session: requests.Session, endpoint: str) -> bool:
    """Fire the local cloud's schedules now; False where the target has no such endpoint."""
    if not endpoint:
        return False
    try:
        response = session.post(f"{endpoint.rstrip('/')}/_localcloud/tick", timeout=120)
    except requests.RequestException:
        return False
    return response.status_code == 200


@dataclass
class SettleResult:
    settled: bool  # both stages done
    work_done: bool
    seconds: float
    work_seconds: float | None  # when the first stage was done, from the start of settling
    ticks: int
    tick_available: bool
    reconcile_after_seconds: int | None
    reconciled_before: str | None  # cut-off of the last reconciler run fired (see invariants)
    still_due: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "settled": self.settled,
            "work_done": self.work_done,
            "seconds": round(self.seconds, 1),
            "work_seconds": None if self.work_seconds is None else round(self.work_seconds, 1),
            "ticks": self.ticks,
            "tick_available": self.tick_available,
            "reconcile_after_seconds": self.reconcile_after_seconds,
            "reconciled_before": self.reconciled_before,
            "still_due": self.still_due,
        }


def wait_until_settled(
    target: Any,
    monitor: LaneMonitor,
    poison_baseline: int | None,
    deadline_seconds: float,
    tick_every: float = 5.0,
    report: Callable[[str], None] = print,
) -> SettleResult:
    """Poll until the pipeline is idle and the index clean (see the module docstring) or the deadline passes."""
    outputs = target.outputs
    sqs, dynamodb = target.client("sqs"), target.client("dynamodb")
    reconcile_after = reconcile_after_seconds(target)
    started = time.monotonic()
    deadline = time.time() + deadline_seconds
    endpoint = outputs.get("aws_endpoint_url") or ""
    ticks = 0
    tick_available = bool(endpoint)
    last_tick = float("-inf")
    reconciled_before: str | None = None
    last_report = started
    work_seconds: float | None = None
    with requests.Session() as session:
        while True:
            if tick_available and time.monotonic() - last_tick >= tick_every:
                fired_at = time.time()
                tick_available = tick(session, endpoint)
                if tick_available:
                    ticks += 1
                    last_tick = time.monotonic()
                    if reconcile_after is not None:
                        reconciled_before = rfc3339(fired_at - reconcile_after)
            behind = monitor.behind()
            work = {
                "subjects_behind": len(behind),
                **{f"{name}_queue_messages": queue_depth(sqs, outputs[o]) for name, o in WORK_QUEUES.items()},
            }
            # Every event of the run is read by key: only worth it once the cheap checks pass.
            entries = (
                []
                if any(work.values())
                else pending_entries(dynamodb, outputs["events_table_name"], monitor.accepted())
            )
            work["unfinished_pending_entries"] = sum(1 for e in entries if unfinished(e, behind))
            if poison_baseline is not None:
                work["poison_not_dead_lettered"] = int(queue_depth(sqs, outputs["standard_dlq_url"]) <= poison_baseline)
            cleanup = [e for e in entries if not unfinished(e, behind)]
            due = {**work, "finished_pending_entries": len(cleanup)}
            elapsed = time.monotonic() - started
            work_done = not any(work.values())
            if work_done and work_seconds is None:
                work_seconds = elapsed
            stop = not any(due.values()) or time.time() >= deadline
            if work_done and cleanup and not stop:
                # Worth waiting only if the reconciler's cut-off passes the newest entry before the deadline.
                newest = max(epoch_of(str(e["received_at"])) for e in cleanup)
                stop = not tick_available or reconcile_after is None
                stop = stop or newest + (reconcile_after or 0) + 2 * tick_every > deadline
            if stop:
                return SettleResult(
                    settled=not any(due.values()),
                    work_done=work_done,
                    seconds=elapsed,
                    work_seconds=work_seconds,
                    ticks=ticks,
                    tick_available=tick_available,
                    reconcile_after_seconds=reconcile_after,
                    reconciled_before=reconciled_before,
                    still_due=due,
                )
            if time.monotonic() - last_report >= 15:
                report(f"settling, {elapsed:.0f}s: still due {', '.join(f'{k}={v}' for k, v in due.items() if v)}")
                last_report = time.monotonic()
            time.sleep(1.0)


def epoch_of(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# -- reading back ---------------------------------------------------------------------------------------


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
        for item in batch_get(dynamodb, table, [_key(f"EVENT#{i}", "POINTER") for i in sorted(ids)])
    }
    keys = sorted({p.key for p in posted.values() if p.key})
    idempotency = {
        str(item["pk"]).removeprefix("IDEMPOTENCY#"): str(item["event_id"])
        for item in batch_get(dynamodb, table, [_key(f"IDEMPOTENCY#{k}", "KEY") for k in keys])
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
