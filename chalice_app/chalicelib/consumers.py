"""The queue, stream and topic consumers: one record function each, batch handling around it.

Choice of batch handling: the two SQS consumers use Powertools (BatchProcessor for
the standard queue; SqsFifoPartialProcessor with skip_group_on_error for the FIFO
queue, so one subject's failure holds back only that subject). The Kinesis
consumer uses chalicelib.batch.process_in_order (see there for why).
Idempotency comes from conditional writes in the repository rather than from
Powertools' idempotency utility: each consumer's effect is a single conditional
update, so a redelivery is recognised by the data itself with no extra table
round trip or lock item.
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
from chalicelib.events import EventMessage
from chalicelib.repository import EventsRepository
from chalicelib.timefmt import format_rfc3339, utc_now

ALERT_PREFIX = "alert."


class Consumers:
    def __init__(self, repository: EventsRepository, logger: Logger, clock: Callable[[], datetime] = utc_now) -> None:
        self._repo = repository
        self._logger = logger
        self._clock = clock

    # -- per-record work ---------------------------------------------------------------------

    def process(self, body: str) -> bool:
        message = EventMessage.parse(body)
        changed = self._repo.mark_processed(message, format_rfc3339(self._clock()))
        self._logger.info("processed" if changed else "already processed", extra={"event_id": message.id})
        return changed

    def sequence(self, body: str) -> bool:
        message = EventMessage.parse(body)
        assigned = self._repo.assign_sequence(message)
        self._logger.info(
            "sequenced" if assigned else "already sequenced",
            extra={"event_id": message.id, "subject": message.subject, "sequence": message.position},
        )
        return assigned

    def count(self, data: bytes) -> bool:
        message = EventMessage.parse(data)
        counted = self._repo.record_stats(message)
        self._logger.info("counted" if counted else "already counted", extra={"event_id": message.id})
        return counted

    def notify(self, body: str) -> bool:
        message = EventMessage.parse(body)
        if not message.type.startswith(ALERT_PREFIX):
            # The subscription's filter policy should never deliver these.
            self._logger.warning("not an alert; ignored", extra={"event_id": message.id, "type": message.type})
            return False
        recorded = self._repo.record_notification(message, format_rfc3339(self._clock()))
        self._logger.info("notified" if recorded else "already notified", extra={"event_id": message.id})
        return recorded

    # -- batch entry points ------------------------------------------------------------------

    def processor_batch(self, event: dict[str, Any], context: Any) -> PartialResponse:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(
            event=event, record_handler=self._sqs_record(self.process), processor=processor, context=context
        )
        return cast(PartialResponse, response)  # the same TypedDict shape, declared by Powertools

    def sequencer_batch(self, event: dict[str, Any], context: Any) -> PartialResponse:
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        response = process_partial_response(
            event=event, record_handler=self._sqs_record(self.sequence), processor=processor, context=context
        )
        return cast(PartialResponse, response)

    def analytics_batch(self, event: dict[str, Any]) -> PartialResponse:
        return process_in_order(
            event.get("Records", []),
            handle=lambda record: self.count(base64.b64decode(record["kinesis"]["data"])),
            identifier=kinesis_sequence_number,
            logger=self._logger,
        )

    def notifier_event(self, event: dict[str, Any]) -> int:
        """SNS pushes one message per invocation; an exception makes Lambda retry it."""
        return sum(self.notify(record["Sns"]["Message"]) for record in event.get("Records", []))

    @staticmethod
    def _sqs_record(work: Callable[[str], bool]) -> Callable[[SQSRecord], bool]:
        return lambda record: work(record.body)
