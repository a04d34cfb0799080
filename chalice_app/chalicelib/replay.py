"""Replaying what a stream mapping gave up on, from the coordinates its on-failure queue holds.

When a stream mapping exhausts its retries, or a record outlives the mapping's
``maximum_record_age_in_seconds``, Lambda sends the on-failure destination only the batch's
coordinates (stream, shard, first and last sequence number), never the records. The stack sets
that maximum age well below the streams' retention, so the records are still readable when the
message arrives. The replayer reads them back and re-drives what they name, from the table,
which holds the truth:

- ``DDBStreamBatchInfo`` (the publisher's table stream): every event a record inserted is
  re-published from its current item.
- ``KinesisBatchInfo`` (analytics): every fan-out message is counted again through the
  analytics lane, which catches its subject up from the table and counts nothing twice.

A message is deleted once everything it names was re-driven. A record that can never be
delivered (poison: not an event message, or a position its subject never accepted) is reported
under ``skipped`` and not retried. A message whose records have expired, or whose lane could not
reach a record within this run, stays in the queue and is reported under ``left``; the reconciler
repairs those lanes regardless.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from chalicelib import items
from chalicelib.errors import PoisonMessageError
from chalicelib.events import EventMessage
from chalicelib.lanes import LaneBehindError, Lanes
from chalicelib.publishing import Publisher
from chalicelib.repository import EventsRepository

# Records read per GetRecords call while walking a failed range.
_PAGE = 1000


class StreamFailureReplayer:
    def __init__(
        self,
        repository: EventsRepository,
        publisher: Publisher,
        sqs: Any,
        dynamodb_streams: Any,
        kinesis: Any = None,
        lanes: Lanes | None = None,
    ) -> None:
        self._repo = repository
        self._publisher = publisher
        self._sqs = sqs
        self._streams = dynamodb_streams
        self._kinesis = kinesis
        self._lanes = lanes

    def replay(self, queue_url: str, limit: int = 1000) -> dict[str, Any]:
        """Re-drive up to ``limit`` failure messages; returns what was done and what was left."""
        report: dict[str, Any] = {"messages": 0, "replayed_events": 0, "left": [], "skipped": []}
        while report["messages"] < limit:
            batch = self._sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                report["messages"] += 1
                try:
                    report["replayed_events"] += self.replay_failure(json.loads(message["Body"]), report["skipped"])
                except (RecordsExpiredError, LaneBehindError, ValueError, KeyError) as error:
                    report["left"].append({"message_id": message["MessageId"], "reason": str(error)})
                    continue
                self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if report["left"] and len(report["left"]) >= report["messages"]:
                break  # everything left is unreplayable; stop rather than spin on it
        return report

    def replay_failure(self, failure: dict[str, Any], skipped: list[dict[str, Any]] | None = None) -> int:
        """Re-drive one on-failure message; returns how many events it re-drove.

        Each poison record it met is appended to ``skipped`` (its sequence number, its event if
        known, and why). LaneBehindError: a record could not be reached yet; replay the message later.
        """
        if "DDBStreamBatchInfo" in failure:
            return self._replay_table_stream(failure["DDBStreamBatchInfo"])
        if "KinesisBatchInfo" in failure:
            return self._replay_kinesis(failure["KinesisBatchInfo"], [] if skipped is None else skipped)
        raise ValueError("neither DDBStreamBatchInfo nor KinesisBatchInfo: not a stream failure record")

    def _replay_table_stream(self, info: dict[str, Any]) -> int:
        replayed = 0
        for record in self._table_stream_records(info):
            if record.get("eventName") != "INSERT":
                continue
            image = items.deserialize(record["dynamodb"].get("NewImage", {}))
            if image.get("entity") != "event":
                continue
            current = self._repo.get(items.event_key(image["subject"], int(image["position"])))
            if current is None:
                continue
            self._publisher.publish([items.event_from_item(current)])
            replayed += 1
        return replayed

    def _table_stream_records(self, info: dict[str, Any]) -> Iterator[dict[str, Any]]:
        iterator = self._iterator(
            lambda: self._streams.get_shard_iterator(
                StreamArn=info["streamArn"],
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=info["startSequenceNumber"],
            )
        )
        yield from self._walk(lambda it: self._streams.get_records(ShardIterator=it, Limit=_PAGE), iterator, info)

    def _replay_kinesis(self, info: dict[str, Any], skipped: list[dict[str, Any]]) -> int:
        if self._kinesis is None or self._lanes is None:
            raise ValueError("replaying Kinesis failures needs a Kinesis client and the lanes")
        iterator = self._iterator(
            lambda: self._kinesis.get_shard_iterator(
                StreamARN=info["streamArn"],
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=info["startSequenceNumber"],
            )
        )
        replayed = 0
        for record in self._walk(lambda it: self._kinesis.get_records(ShardIterator=it, Limit=_PAGE), iterator, info):
            data = record["Data"]
            message: EventMessage | None = None
            try:
                message = EventMessage.parse(data if isinstance(data, bytes) else base64.b64decode(data))
                self._lanes.count(message)
            except PoisonMessageError as error:
                line = {"sequence_number": record["SequenceNumber"], "reason": str(error)}
                skipped.append(line if message is None else {**line, "event_id": message.id})
                continue
            replayed += 1
        return replayed

    @staticmethod
    def _iterator(get: Any) -> str:
        try:
            return str(get()["ShardIterator"])
        except Exception as error:  # TrimmedDataAccessException, ResourceNotFound, an expired shard
            raise RecordsExpiredError(f"the failed records can no longer be read: {error}") from error

    @staticmethod
    def _walk(get_records: Any, iterator: str | None, info: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Records from the iterator through ``endSequenceNumber`` (compared as numbers, as AWS orders them)."""
        end = int(info["endSequenceNumber"])
        while iterator:
            response = get_records(iterator)
            records = response.get("Records", [])
            for record in records:
                number = record["dynamodb"]["SequenceNumber"] if "dynamodb" in record else record["SequenceNumber"]
                if int(number) > end:
                    return
                yield record
            if not records:
                return
            iterator = response.get("NextShardIterator")


class RecordsExpiredError(Exception):
    """The stream no longer holds the records a failure message points at."""
