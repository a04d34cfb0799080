"""The scheduled reconciler: repairs every lane from the table, in position order, within its time budget.

It walks the ``pending`` index (see ``repository``) for entries older than
``reconcile_after_seconds``, which is how long the fast path may take before its silence counts
as a failure:

- an **event** whose processor or notifier lane has not run: runs that lane's effect itself
  (the same conditional write a redelivery would make), then takes the event out of the index;
- a **subject head** whose sequencer or analytics cursor is behind ``accepted``: catches both
  up from the table in position order, through the last event older than the cut-off, and
  takes the head out once both reach ``accepted``.

It never re-publishes: repairing each lane from the table keeps position order whatever the
topics and streams did (a re-publish could overtake the original, and the FIFO topic's
deduplication would then drop the in-order copy), and it works while a topic is down.

Bounded: before each entry it checks that a call's worst case still fits the time left. When it
runs out, it stores the bucket to start from next time and reports ``complete: false``; buckets
are visited in rotation from that checkpoint, so a bucket that always fills the budget cannot
starve the others. Last, it reports the depth of every dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import items
from chalicelib.aws import WORST_CALL_SECONDS
from chalicelib.events import STATUS_ACCEPTED
from chalicelib.lanes import Effect, Lanes, is_alert, message_from_item
from chalicelib.repository import EventsRepository
from chalicelib.retry import Deadline
from chalicelib.timefmt import format_rfc3339, utc_now

RESERVE_SECONDS = 3.0


class Reconciler:
    def __init__(
        self,
        repository: EventsRepository,
        lanes: Lanes,
        sqs: Any,
        dlq_urls: list[str],
        stale_after_seconds: int,
        logger: Logger,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repo = repository
        self._lanes = lanes
        self._sqs = sqs
        self._dlq_urls = dlq_urls
        self._stale_after = timedelta(seconds=stale_after_seconds)
        self._logger = logger
        self._clock = clock

    def run(self, context: Any = None) -> dict[str, Any]:
        deadline = Deadline.from_context(context, RESERVE_SECONDS)
        now = self._clock()
        cutoff = format_rfc3339(now - self._stale_after)
        repaired = {"processed": 0, "notified": 0, "sequenced": 0, "counted": 0, "settled_subjects": 0}
        start = self._repo.reconciler_checkpoint()
        complete = True
        for offset in range(items.PENDING_BUCKETS):
            bucket = (start + offset) % items.PENDING_BUCKETS
            if not self._reconcile_bucket(bucket, cutoff, deadline, repaired):
                self._repo.save_reconciler_checkpoint(bucket, format_rfc3339(now))
                complete = False
                break
        else:
            self._repo.save_reconciler_checkpoint((start + 1) % items.PENDING_BUCKETS, format_rfc3339(now))
        depths = {url: self._depth(url) for url in self._dlq_urls}
        report = {"complete": complete, "repaired": repaired, "cutoff": cutoff, "dlq_depth": depths}
        self._logger.info("reconciled", extra=report)
        if any(depths.values()):
            self._logger.warning("dead-letter queues hold messages", extra={"dlq_depth": depths})
        return report

    def _reconcile_bucket(self, bucket: int, cutoff: str, deadline: Deadline, repaired: dict[str, int]) -> bool:
        """Repair every entry of the bucket older than the cut-off; False when time ran out first."""
        for entry in self._repo.pending(bucket, cutoff):
            if not deadline.allows(WORST_CALL_SECONDS):
                return False
            if entry.get("entity") == "event":
                self._repair_event(entry, repaired)
            elif entry.get("entity") == "subject":
                self._repair_subject(entry, cutoff, deadline, repaired)
        return True

    def _repair_event(self, item: dict[str, Any], repaired: dict[str, int]) -> None:
        message = message_from_item(item)
        at = format_rfc3339(self._clock())
        effects = []
        if item.get("status") == STATUS_ACCEPTED:
            effects.append(effect := self._lanes.mark_processed(message, at))
            repaired["processed"] += effect.changed
        if is_alert(message.type) and "notified_at" not in item:
            effects.append(effect := self._lanes.record_notification(message, at))
            repaired["notified"] += effect.changed
        if Effect.FINISHED not in effects:
            # Both lanes may have finished without either write taking the event out of the index.
            self._lanes.finish_event(message)

    def _repair_subject(self, head: dict[str, Any], cutoff: str, deadline: Deadline, repaired: dict[str, int]) -> None:
        subject, accepted = head["subject"], int(head["accepted"])
        sequenced = self._lanes.catch_up_sequencer(subject, accepted, deadline, received_before=cutoff)
        counted = self._lanes.catch_up_analytics(subject, accepted, deadline, received_before=cutoff)
        repaired["sequenced"] += sequenced.applied
        repaired["counted"] += counted.applied
        if self._lanes.settle_subject(subject, accepted, sequenced.cursor, counted.cursor):
            repaired["settled_subjects"] += 1

    def _depth(self, queue_url: str) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
