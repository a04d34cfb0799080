"""Fan-out of accepted events from the table's stream: the fast path of every lane, never a gate.

Each new event goes to three destinations: the standard topic (processor, notifier), the FIFO
topic (sequencer) and the Kinesis stream (analytics). A destination that still fails after
the SDK's retries is skipped for that event and logged with the lane it feeds; it is not
retried by failing the batch, because that would hold back every later record of the shard
(every subject hashed to it) and send the event again to the destinations that already took
it. The lane repairs itself from the table instead (see ``lanes``): the sequencer and
analytics catch the gap up when the subject's next event arrives, and the reconciler finishes
whatever is older than its cut-off. A stream record that is not a well-formed event is logged
and skipped: the same bytes would fail every retry.

The batch never outlives its invocation. Before each call the publisher checks that the call's
worst case (the SDK's attempts, timeouts and backoff) still fits the time left; if not, it
reports that record as failed, the mapping checkpoints before it and the rest goes to a new
invocation. Destinations the record already reached get it again then, which every lane
absorbs (the FIFO topic by its deduplication id, the consumers by their conditional writes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.aws import WORST_CALL_SECONDS
from chalicelib.batch import PartialResponse, dynamodb_sequence_number
from chalicelib.events import StoredEvent, canonical_json
from chalicelib.items import deserialize, event_from_item
from chalicelib.retry import Deadline

# SNS FIFO message group ids allow 1-128 of these characters only.
_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


class OutOfTimeError(Exception):
    """The next call might not finish before the invocation's timeout."""


def message_group_id(subject: str) -> str:
    """The subject itself when SNS accepts it, else a stable digest: order is per subject either way."""
    if _GROUP_ID.match(subject):
        return subject
    return "sha256-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()


class Publisher:
    def __init__(
        self,
        sns: Any,
        kinesis: Any,
        standard_topic_arn: str,
        fifo_topic_arn: str,
        stream_name: str,
        logger: Logger,
    ) -> None:
        self._sns = sns
        self._kinesis = kinesis
        self._standard_topic_arn = standard_topic_arn
        self._fifo_topic_arn = fifo_topic_arn
        self._stream_name = stream_name
        self._logger = logger

    def destinations(self, event: StoredEvent) -> dict[str, Callable[[], Any]]:
        """Each lane's entry point for this event, by the lane it feeds."""
        body = canonical_json(event.to_message())
        # `type` drives the notifier's filter policy (prefix "alert.").
        attributes = {"type": {"DataType": "String", "StringValue": event.type}}
        return {
            "processor and notifier (standard topic)": lambda: self._sns.publish(
                TopicArn=self._standard_topic_arn, Message=body, MessageAttributes=attributes
            ),
            "sequencer (FIFO topic)": lambda: self._sns.publish(
                TopicArn=self._fifo_topic_arn,
                Message=body,
                MessageAttributes=attributes,
                MessageGroupId=message_group_id(event.subject),
                MessageDeduplicationId=event.id,
            ),
            "analytics (Kinesis)": lambda: self._kinesis.put_record(
                StreamName=self._stream_name, Data=body.encode("utf-8"), PartitionKey=event.subject
            ),
        }

    def publish(self, event: StoredEvent, deadline: Deadline = Deadline(None)) -> list[str]:  # noqa: B008
        """Send the event to every destination; returns the lanes it could not reach (they repair themselves)."""
        missed = []
        for lane, send in self.destinations(event).items():
            if not deadline.allows(WORST_CALL_SECONDS):
                raise OutOfTimeError(lane)
            try:
                send()
            except Exception as error:  # any failure: the lane is repaired from the table
                missed.append(lane)
                self._logger.error(
                    "publish failed; the lane will catch up from the table",
                    extra={
                        "event_id": event.id,
                        "subject": event.subject,
                        "position": event.position,
                        "lane": lane,
                        "error": repr(error),
                    },
                )
        return missed

    def publish_stream_record(self, record: dict[str, Any], deadline: Deadline = Deadline(None)) -> None:  # noqa: B008
        """Publish a new event from a DynamoDB stream record; other items and modifications are not events."""
        if record.get("eventName") != "INSERT":
            return
        image = deserialize(record.get("dynamodb", {}).get("NewImage", {}))
        if image.get("entity") != "event":
            return
        try:
            event = event_from_item(image)
        except (KeyError, TypeError, ValueError) as error:
            self._logger.error(
                "stream record is not a well-formed event; skipped",
                extra={"item": dynamodb_sequence_number(record), "error": repr(error)},
            )
            return
        self.publish(event, deadline)

    def publish_stream_batch(self, records: list[dict[str, Any]], deadline: Deadline) -> PartialResponse:
        for record in records:
            try:
                self.publish_stream_record(record, deadline)
            except OutOfTimeError:
                # Checkpoint before this record; the mapping hands it and the rest to a new invocation.
                self._logger.warning(
                    "out of time; the rest of the batch is retried", extra={"item": dynamodb_sequence_number(record)}
                )
                return {"batchItemFailures": [{"itemIdentifier": dynamodb_sequence_number(record)}]}
        return {"batchItemFailures": []}
