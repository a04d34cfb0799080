"""make trace EVENT=<id>: one event through every hop, with times, its log lines, and where it stopped.

The hops, each read from where it leaves a mark (the table is the record of truth; the logs say
when and who):

1. **accepted**: the accept transaction wrote the event's pointer (``EVENT#<id>``/``POINTER``,
   naming its subject and position) and the event item, with ``received_at``.
2. **stream record**: the table's stream holds the event item's INSERT (the outbox the publisher
   reads). Found by reading the stream's shards from their oldest record, at most
   ``stream_reads`` GetRecords calls: on a busy table the record can lie beyond them, which is
   reported as not looked at, not as missing.
3. **processed**: ``status = processed`` and ``processed_at`` on the event item (the processor,
   from the standard topic's queue).
4. **notified**: ``notified_at`` on an ``alert.*`` event (the notifier, pushed by the standard
   topic); other types skip this hop.
5. **left pending**: the event left the pending index (``pending_bucket`` removed by whichever of
   the processor and notifier finished last): the reconciler no longer looks at it.
6. **sequenced**: ``sequence == position`` on the event item (the sequencer, from the FIFO topic's
   queue, or a catch-up by a later message or the reconciler).
7. **counted**: the subject's analytics cursor ``counted_through`` reached the position (the
   analytics consumer, from the Kinesis stream). The ordered lanes keep the subject's head in the
   pending index until both cursors reach its last accepted position.

Topic and queue deliveries leave no mark once consumed; the consumers' log lines that carry the
event's id stand for them, with their times. The trace stops at the first hop not done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tooling.events_table import ANALYTICS_SK, event_key, item_key, plain, pointer_key, subject_pk
from tooling.ops.logs import LogLine, log_groups, read
from tooling.ops.target import Target

LOG_LEAD_MS = 60_000  # log lines are read from a minute before the event was received
STREAM_READS = 500


@dataclass(frozen=True)
class Hop:
    name: str
    done: bool | None  # None: does not apply to this event, or could not be looked at
    at: str | None
    detail: str = ""


@dataclass
class Trace:
    event_id: str
    found: bool
    hops: list[Hop] = field(default_factory=list)
    lines: list[LogLine] = field(default_factory=list)

    @property
    def stopped_at(self) -> Hop | None:
        return next((hop for hop in self.hops if hop.done is False), None)


def _get(dynamodb: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    return plain(item) if item else None


def _stream_insert(target: Target, table: str, key: dict[str, Any], reads: int) -> Hop:
    stream_arn = target.client("dynamodb").describe_table(TableName=table)["Table"].get("LatestStreamArn")
    if not stream_arn:
        return Hop("stream record", None, None, "the table has no stream")
    streams = target.client("dynamodbstreams")
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"].get("Shards", [])
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        ).get("ShardIterator")
        while iterator and reads > 0:
            reads -= 1
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page.get("Records", []):
                keys = record.get("dynamodb", {}).get("Keys")
                if record.get("eventName") == "INSERT" and keys == key:
                    created = record["dynamodb"].get("ApproximateCreationDateTime")
                    at = _utc(created) if isinstance(created, datetime) else None
                    return Hop("stream record", True, at, f"sequence number {record['dynamodb']['SequenceNumber']}")
            if not page.get("Records"):
                break  # the end of an open shard
            iterator = page.get("NextShardIterator")
    if reads <= 0:
        return Hop("stream record", None, None, f"not among the first {STREAM_READS} reads of the stream")
    return Hop("stream record", False, None, "no INSERT of the event item in the stream (24 h retention)")


def _first_line(lines: list[LogLine], function: str, *words: str) -> LogLine | None:
    return next((line for line in lines if line.function == function and any(w in line.message for w in words)), None)


def _utc(moment: datetime) -> str:
    """The service's own RFC 3339 form (``...T12:00:00.123Z``), so every hop's time reads alike."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _line_time(line: LogLine | None) -> str | None:
    return None if line is None else _utc(datetime.fromtimestamp(line.timestamp_ms / 1000, UTC))


def trace(target: Target, event_id: str, stream_reads: int = STREAM_READS) -> Trace:
    dynamodb, table = target.client("dynamodb"), str(target.output("events_table_name"))
    pointer = _get(dynamodb, table, pointer_key(event_id))
    if pointer is None:
        return Trace(event_id, found=False)
    subject, position = str(pointer["subject"]), int(pointer["position"])
    event = _get(dynamodb, table, event_key(subject, position)) or {}
    received_at = str(event.get("received_at", ""))
    start_ms = int(datetime.fromisoformat(received_at).timestamp() * 1000) - LOG_LEAD_MS if received_at else 0
    lines = read(target.client("logs"), log_groups(target), start_ms, term=event_id)
    analytics = _get(dynamodb, table, item_key(subject_pk(subject), ANALYTICS_SK)) or {}
    is_alert = str(event.get("type", "")).startswith("alert.")
    counted_through = int(analytics.get("counted_through", 0))
    hops = [
        Hop("accepted", bool(event), received_at or None, f"subject {subject!r}, position {position}"),
        _stream_insert(target, table, event_key(subject, position), stream_reads),
        Hop("processed", event.get("status") == "processed", event.get("processed_at")),
        Hop("notified", "notified_at" in event, event.get("notified_at"))
        if is_alert
        else Hop("notified", None, None, f"{event.get('type')!r} is not an alert"),
        Hop("left pending", bool(event) and "pending_bucket" not in event, None, "the per-event lanes are done"),
        Hop(
            "sequenced",
            int(event.get("sequence", 0)) == position,
            _line_time(_first_line(lines, "sequencer", "sequenced")),
            f"sequence {event.get('sequence', '-')}",
        ),
        Hop(
            "counted",
            counted_through >= position,
            _line_time(_first_line(lines, "analytics", "counted")),
            f"the subject's analytics counted through {counted_through}",
        ),
    ]
    return Trace(event_id, True, hops, lines)


def render(found: Trace) -> str:
    if not found.found:
        return f"event {found.event_id}: no such event in the table (never accepted, or a wrong id)"
    out = [f"event {found.event_id}"]
    for hop in found.hops:
        state = {True: "done", False: "NOT YET", None: "-"}[hop.done]
        out.append(f"  {hop.name:<14} {state:<8} {hop.at or '':<33} {hop.detail}".rstrip())
    out.append(f"log lines with its id ({len(found.lines)}):")
    out += [f"  {line.render()}" for line in found.lines]
    stopped = found.stopped_at
    out.append(f"stopped at: {stopped.name}" if stopped else "every hop done")
    return "\n".join(out)
