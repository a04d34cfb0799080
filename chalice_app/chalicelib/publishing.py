"""Fan-out of accepted events from the table's stream: the fast path of every lane, never a gate.

Each new event goes to three destinations: the standard topic (processor, notifier), the FIFO
topic (sequencer) and the Kinesis stream (analytics). They are sent in batches (SNS
``PublishBatch``; Kinesis ``PutRecords``), ten events at a time, so a shard's batch costs three
calls per ten events rather than three per event: one stream shard feeds the publisher one
invocation at a time, and its calls are what bounds the shard's rate. AWS refuses a whole call
whose entries add up past its byte limit (ten events of 60 KB are far over ``PublishBatch``'s
256 KiB), so each lane's entries are split by ``packing`` into calls within every limit of its
API, in order, one call after the other. Batch APIs answer per entry; an entry that failed for a
transient reason (a throttled Kinesis record is the common one: the SDK retries whole calls
only) is sent again with backoff, a few times, before the lane's next call.

A destination that still fails after that is skipped for that event and logged with the lane it
feeds; it is not retried by failing the batch, because that would hold back every later record
of the shard (every subject hashed to it) and send the event again to the destinations that
already took it. The lane repairs itself from the table instead (see ``lanes``): the sequencer
and analytics catch the gap up when the subject's next event arrives, and the reconciler
finishes whatever is older than its cut-off. A stream record that is not a well-formed event is
logged and skipped: the same bytes would fail every retry. So is an entry too big for any call of
its API (the contract's 64 KiB of data keep every event far below, but stored data is not checked
again here): it is logged and left to its lane's repair, never sent, since AWS would refuse the
call it is in, every time.

The batch never outlives its invocation. Before each call the publisher checks that the call's
worst case (the SDK's attempts, timeouts and backoff) still fits the time left; if not, it
reports the first record of the group of ten it was sending as failed (however many calls the
group took), the mapping checkpoints before it and the rest goes to a new invocation.
Destinations the group already reached get it again then, which every lane absorbs (the FIFO
topic by its deduplication id, the consumers by their conditional writes).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.aws import WORST_CALL_SECONDS
from chalicelib.batch import PartialResponse, dynamodb_sequence_number
from chalicelib.events import StoredEvent, canonical_json
from chalicelib.items import deserialize, event_from_item
from chalicelib.packing import (
    KINESIS_PUT_RECORDS,
    SNS_PUBLISH_BATCH,
    BatchLimits,
    kinesis_record_bytes,
    pack,
    sns_entry_bytes,
)
from chalicelib.retry import Backoff, Deadline

# Stream records published as one group: the unit the publisher checkpoints before when out of time.
BATCH_EVENTS = 10
# Resends of the entries a batch call rejected (the SDK retries whole calls only).
ENTRY_BACKOFF = Backoff(attempts=3, base=0.05, cap=0.5)
# SNS FIFO message group ids allow 1-128 of these characters only.
_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")

# An event and its request entry for one lane.
type _Entry = tuple[StoredEvent, dict[str, Any]]


class OutOfTimeError(Exception):
    """The next call might not finish before the invocation's timeout."""


@dataclass(frozen=True)
class _Lane:
    """One destination: the entry it sends for an event, how its API counts and caps entries, and its call.

    ``call`` sends one batch of entries that fits ``limits`` and returns the positions it rejected.
    """

    name: str
    entry: Callable[[StoredEvent], dict[str, Any]]
    limits: BatchLimits
    entry_bytes: Callable[[dict[str, Any]], int]
    call: Callable[[list[dict[str, Any]]], set[int]]


def message_group_id(subject: str) -> str:
    """The subject itself when SNS accepts it, else a stable digest: order is per subject either way."""
    if _GROUP_ID.match(subject):
        return subject
    return "sha256-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()


def sns_entry(event: StoredEvent, fifo: bool) -> dict[str, Any]:
    """The PublishBatch entry of an event, but for its Id (its place in the call)."""
    # `type` drives the notifier's filter policy (prefix "alert.").
    entry: dict[str, Any] = {
        "Message": canonical_json(event.to_message()),
        "MessageAttributes": {"type": {"DataType": "String", "StringValue": event.type}},
    }
    if fifo:
        # Entries of one group keep their order within the batch; the id deduplicates a resend.
        entry |= {"MessageGroupId": message_group_id(event.subject), "MessageDeduplicationId": event.id}
    return entry


def kinesis_record(event: StoredEvent) -> dict[str, Any]:
    return {"Data": canonical_json(event.to_message()).encode("utf-8"), "PartitionKey": event.subject}


class Publisher:
    def __init__(
        self,
        sns: Any,
        kinesis: Any,
        standard_topic_arn: str,
        fifo_topic_arn: str,
        stream_name: str,
        logger: Logger,
        subject_hash: Callable[[str], str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sns = sns
        self._kinesis = kinesis
        self._standard_topic_arn = standard_topic_arn
        self._fifo_topic_arn = fifo_topic_arn
        self._stream_name = stream_name
        self._logger = logger
        self._subject_hash = subject_hash
        self._sleep = sleep

    def _lanes(self) -> list[_Lane]:
        """Each destination, named by the lane it feeds."""
        return [
            _Lane(
                "processor and notifier (standard topic)",
                lambda event: sns_entry(event, fifo=False),
                SNS_PUBLISH_BATCH,
                sns_entry_bytes,
                lambda entries: self._publish_batch(self._standard_topic_arn, entries),
            ),
            _Lane(
                "sequencer (FIFO topic)",
                lambda event: sns_entry(event, fifo=True),
                SNS_PUBLISH_BATCH,
                sns_entry_bytes,
                lambda entries: self._publish_batch(self._fifo_topic_arn, entries),
            ),
            _Lane("analytics (Kinesis)", kinesis_record, KINESIS_PUT_RECORDS, kinesis_record_bytes, self._put_records),
        ]

    def _publish_batch(self, topic_arn: str, entries: list[dict[str, Any]]) -> set[int]:
        request = [{"Id": str(index), **entry} for index, entry in enumerate(entries)]
        response = self._sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=request)
        published = {entry["Id"] for entry in response.get("Successful", [])}
        # An entry in neither list did not get through either.
        return {index for index in range(len(entries)) if str(index) not in published}

    def _put_records(self, records: list[dict[str, Any]]) -> set[int]:
        response = self._kinesis.put_records(StreamName=self._stream_name, Records=records)
        results = response.get("Records", [])
        if len(results) != len(records):
            return set(range(len(records)))
        # Results are in the order of the records sent.
        return {index for index, result in enumerate(results) if "ErrorCode" in result}

    def publish(self, events: Sequence[StoredEvent], deadline: Deadline = Deadline(None)) -> dict[str, list[str]]:
        """Send the events to every destination, in order; returns, per lane, the ids it could not reach."""
        missed: dict[str, list[str]] = {}
        for lane in self._lanes():
            failed = self._publish_lane(lane, events, deadline)
            if failed:
                missed[lane.name] = [event.id for event in failed]
            for event in failed:
                self._logger.error(
                    "publish failed; the lane will catch up from the table",
                    extra={
                        "event_id": event.id,
                        # Logs carry a subject only as its keyed hash (see ``keys``).
                        "subject_hash": self._subject_hash(event.subject),
                        "position": event.position,
                        "lane": lane.name,
                    },
                )
        return missed

    def _publish_lane(self, lane: _Lane, events: Sequence[StoredEvent], deadline: Deadline) -> list[StoredEvent]:
        """The events one lane could not take: calls within its API's limits, one after the other."""
        packed = pack(((event, lane.entry(event)) for event in events), lambda e: lane.entry_bytes(e[1]), lane.limits)
        failed = {event.id for event, _ in packed.oversized}
        for event, entry in packed.oversized:
            self._logger.error(
                "event too large for any call; not sent",
                extra={
                    "event_id": event.id,
                    "lane": lane.name,
                    "bytes": lane.entry_bytes(entry),
                    "limit": min(lane.limits.entry_bytes, lane.limits.request_bytes),
                    "api": lane.limits.api,
                },
            )
        for batch in packed.batches:
            failed |= {event.id for event, _ in self._send(lane, batch, deadline)}
        return [event for event in events if event.id in failed]

    def _send(self, lane: _Lane, entries: list[_Entry], deadline: Deadline) -> list[_Entry]:
        """What is left of one batch after the call and a few resends of the entries it rejected.

        A resend is part of the batch it came from, so it fits the API's limits too.
        """
        for attempt in range(ENTRY_BACKOFF.attempts):
            if not deadline.allows(WORST_CALL_SECONDS):
                raise OutOfTimeError(lane.name)
            try:
                rejected = lane.call([entry for _, entry in entries])
            except Exception as error:  # the SDK has retried the call already: the lane repairs the rest
                self._logger.error("publish call failed", extra={"lane": lane.name, "error": repr(error)})
                return entries
            entries = [entry for index, entry in enumerate(entries) if index in rejected]
            if not entries or attempt == ENTRY_BACKOFF.attempts - 1:
                break
            pause = ENTRY_BACKOFF.delay(attempt)
            if not deadline.allows(pause + WORST_CALL_SECONDS):
                break
            self._sleep(pause)
        return entries

    def event_of(self, record: dict[str, Any]) -> StoredEvent | None:
        """The new event a stream record carries; None for other items, modifications and malformed records."""
        if record.get("eventName") != "INSERT":
            return None
        raw = record.get("dynamodb", {}).get("NewImage", {})
        # Told apart before deserializing: other items may hold Binary (a key's secret), which arrives
        # base64-encoded in a Lambda event and which boto3's deserializer refuses as text.
        if raw.get("entity") != {"S": "event"}:
            return None
        try:
            return event_from_item(deserialize(raw))
        except (KeyError, TypeError, ValueError) as error:
            self._logger.error(
                "stream record is not a well-formed event; skipped",
                extra={"item": dynamodb_sequence_number(record), "error": repr(error)},
            )
            return None

    def publish_stream_batch(self, records: list[dict[str, Any]], deadline: Deadline) -> PartialResponse:
        """Publish the batch's new events, ten at a time, in stream order."""
        found = [(record, self.event_of(record)) for record in records]
        events = [(record, event) for record, event in found if event is not None]
        for start in range(0, len(events), BATCH_EVENTS):
            group = events[start : start + BATCH_EVENTS]
            try:
                self.publish([event for _, event in group], deadline)
            except OutOfTimeError:
                # Checkpoint before this group; the mapping hands it and the rest to a new invocation.
                first = dynamodb_sequence_number(group[0][0])
                self._logger.warning("out of time; the rest of the batch is retried", extra={"item": first})
                return {"batchItemFailures": [{"itemIdentifier": first}]}
        return {"batchItemFailures": []}
