"""The queue, stream and topic consumers: one record function each, batch handling around it.

What each lane guarantees is in ``lanes``; this module decides what a failure means for the
record in hand. Three kinds:

- **poison** (a malformed message, or one naming no stored event): no retry can fix it. SQS
  records fail and reach their DLQ after ``maxReceiveCount`` receives, where ``make redrive``
  can return them; a poison Kinesis record is logged and skipped (see ``batch``); a poison
  notification fails its invocation, so Lambda's asynchronous retries end in the function's DLQ.
- **transient** (throttling, a conflict, an unreachable dependency, a catch-up that ran out of
  time): retried with backoff in the invocation first. An SQS record that still fails is
  returned to its queue for another receive, except on the receive that would dead-letter it:
  then it is deleted and left to the reconciler, which repairs that lane from the table. So a
  healthy message never reaches a DLQ, and throttled receives cannot dead-letter it either.
- **success**, including a redelivery that changes nothing.

Batch handling: the processor uses Powertools' BatchProcessor; the sequencer
SqsFifoPartialProcessor with ``skip_group_on_error`` (a failed subject holds back only its own
group) that reports, rather than raises, when every record fails; analytics
``batch.process_in_order``. Idempotency comes from the lanes' conditional writes rather than
Powertools' idempotency utility: each effect is one conditional write, so a redelivery is
recognised by the data itself with no extra table round trip or lock item.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.batch import PartialResponse, kinesis_sequence_number, process_in_order
from chalicelib.errors import PoisonMessageError
from chalicelib.events import EventMessage
from chalicelib.lanes import LaneBehindError, Lanes, is_alert
from chalicelib.retry import Deadline, is_transient
from chalicelib.timefmt import format_rfc3339, utc_now

# Time kept back from a consumer's timeout to report its batch.
RESERVE_SECONDS = 3.0


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, LaneBehindError) or is_transient(error)


class Consumers:
    def __init__(
        self,
        lanes: Lanes,
        logger: Logger,
        max_receive_count: int,
        subject_hash: Callable[[str], str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._lanes = lanes
        self._logger = logger
        self._subject_hash = subject_hash
        self._max_receive_count = max_receive_count
        self._clock = clock

    # -- per-record work ---------------------------------------------------------------------

    def process(self, body: str, deadline: Deadline = Deadline(None)) -> bool:
        message = EventMessage.parse(body)
        changed = self._lanes.mark_processed(message, format_rfc3339(self._clock())).changed
        self._logger.info("processed" if changed else "already processed", extra=self._ids(message))
        return changed

    def sequence(self, body: str, deadline: Deadline = Deadline(None)) -> bool:
        message = EventMessage.parse(body)
        assigned = self._lanes.sequence(message, deadline)
        self._logger.info("sequenced" if assigned else "already sequenced", extra=self._ids(message))
        return assigned

    def count(
        self,
        data: bytes,
        deadline: Deadline = Deadline(None),
        batch: _BatchCursors | None = None,
    ) -> bool:
        message = EventMessage.parse(data)
        if batch is not None and batch.reached(message.subject) >= message.position:
            # The lane's cursor only moves forward: an earlier record of this batch counted it.
            self._logger.info("counted with an earlier record of the batch", extra=self._ids(message))
            return False
        through = batch.ahead(message.subject) if batch is not None else 0
        result = self._lanes.count(message, deadline, through)
        if batch is not None:
            batch.moved(message.subject, result.cursor)
        self._logger.info("counted" if result.applied else "already counted", extra=self._ids(message))
        return result.applied > 0

    def notify(self, body: str) -> bool:
        message = EventMessage.parse(body)
        if not is_alert(message.type):
            # The subscription's filter policy should never deliver these.
            self._logger.warning("not an alert; ignored", extra={**self._ids(message), "type": message.type})
            return False
        try:
            recorded = self._lanes.record_notification(message, format_rfc3339(self._clock())).changed
        except Exception as error:
            if not is_retryable(error):
                raise
            # Lambda would retry twice and then dead-letter a healthy event: the reconciler notifies instead.
            self._logger.warning(
                "notification deferred to the reconciler", extra={**self._ids(message), "error": repr(error)}
            )
            return False
        self._logger.info("notified" if recorded else "already notified", extra=self._ids(message))
        return recorded

    def _ids(self, message: EventMessage) -> dict[str, Any]:
        """What a log line says about the record: the subject only as its keyed hash (``keys``)."""
        return {
            "event_id": message.id,
            "subject_hash": self._subject_hash(message.subject),
            "position": message.position,
        }

    # -- batch entry points ------------------------------------------------------------------

    def processor_batch(self, event: dict[str, Any], context: Any) -> PartialResponse:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return self._sqs_batch(event, context, processor, self.process)

    def sequencer_batch(self, event: dict[str, Any], context: Any) -> PartialResponse:
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        # Report every failed record even when all fail; raising would fail the invocation instead.
        processor.raise_on_entire_batch_failure = False
        return self._sqs_batch(event, context, processor, self.sequence)

    def analytics_batch(self, event: dict[str, Any], context: Any) -> PartialResponse:
        deadline = Deadline.from_context(context, RESERVE_SECONDS)
        records = event.get("Records", [])
        batch = _BatchCursors([_kinesis_data(record) for record in records])
        # By identity: a batch is one shard's, but sequence numbers are only unique within a shard.
        index_of = {id(record): index for index, record in enumerate(records)}

        def handle(record: dict[str, Any]) -> bool:
            batch.at(index_of[id(record)])
            return self.count(base64.b64decode(record["kinesis"]["data"]), deadline, batch)

        return process_in_order(records, handle=handle, identifier=kinesis_sequence_number, logger=self._logger)

    def notifier_event(self, event: dict[str, Any]) -> int:
        """SNS pushes one message per invocation; an exception makes Lambda retry it."""
        return sum(self.notify(record["Sns"]["Message"]) for record in event.get("Records", []))

    def _sqs_batch(
        self,
        event: dict[str, Any],
        context: Any,
        processor: BatchProcessor,
        work: Callable[[str, Deadline], bool],
    ) -> PartialResponse:
        deadline = Deadline.from_context(context, RESERVE_SECONDS)

        def handle(record: SQSRecord) -> bool:
            try:
                return work(record.body, deadline)
            except Exception as error:
                receives = int(record.attributes.approximate_receive_count or 1)
                if not is_retryable(error) or receives < self._max_receive_count:
                    raise
                self._logger.warning(
                    "deferred to the reconciler rather than dead-lettered",
                    extra={"message_id": record.message_id, "receives": receives, "error": repr(error)},
                )
                return False

        response = process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
        return cast(PartialResponse, response)  # the same TypedDict shape, declared by Powertools


def _kinesis_data(record: dict[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(record["kinesis"]["data"])
    except (KeyError, TypeError, ValueError):
        return None  # fails in its turn, where a failure is handled


class _BatchCursors:
    """What one analytics batch knows of its subjects: how far each lane got, and what is still ahead.

    A Kinesis batch often holds several events of one subject (a hot subject always does). The
    first of them counts through the last position the batch holds for that subject, in one
    catch-up; the later ones are then known to be counted without another read.
    """

    def __init__(self, data: list[bytes | None]) -> None:
        # For each record: the furthest position of its subject from that record on.
        self._ahead: list[dict[str, int]] = []
        furthest: dict[str, int] = {}
        for raw in reversed(data):
            try:
                message = EventMessage.parse(raw) if raw is not None else None
            except PoisonMessageError:
                message = None  # skipped as poison when its turn comes
            if message is not None:
                furthest = {**furthest, message.subject: max(furthest.get(message.subject, 0), message.position)}
            self._ahead.append(furthest)
        self._ahead.reverse()
        self._index = 0
        self._reached: dict[str, int] = {}

    def at(self, index: int) -> None:
        self._index = index

    def ahead(self, subject: str) -> int:
        return self._ahead[self._index].get(subject, 0) if self._ahead else 0

    def reached(self, subject: str) -> int:
        return self._reached.get(subject, 0)

    def moved(self, subject: str, cursor: int) -> None:
        self._reached[subject] = max(self.reached(subject), cursor)
