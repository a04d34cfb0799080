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
runs out, it reports ``complete: false``. Fair: buckets are visited in rotation, and each run
starts one bucket past the one the last run stopped in (ran out of time in, or started in when
it finished them all), so a bucket that always fills the budget is visited first at most once
in ``PENDING_BUCKETS`` runs, and every other bucket gets its turn at the front.

Isolated: an entry it cannot repair (a lane write DynamoDB refuses for good, say) or a bucket it
cannot read is logged, counted and skipped; the others are still repaired and the checkpoint
still saved. An entry skipped stays in the index, so every run tries it again. Each run emits
the count as the ``ReconcileFailures`` metric (CloudWatch embedded metric format, namespace
``Events``, dimensions ``table`` and ``service``), which the stack alarms on. Last, it reports
the depth of every dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib import items
from chalicelib.aws import WORST_CALL_SECONDS
from chalicelib.events import STATUS_ACCEPTED
from chalicelib.lanes import Effect, Lanes, is_alert, message_from_item
from chalicelib.repository import EventsRepository
from chalicelib.retry import Deadline
from chalicelib.timefmt import format_rfc3339, utc_now

RESERVE_SECONDS = 3.0
METRIC_NAMESPACE = "Events"
# Entries and buckets a run could not repair; anything above zero needs a human.
FAILURE_METRIC = "ReconcileFailures"


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
        failures = 0
        start = self._repo.reconciler_checkpoint()
        stopped_in, complete = start, True
        for offset in range(items.PENDING_BUCKETS):
            bucket = (start + offset) % items.PENDING_BUCKETS
            finished, failed = self._reconcile_bucket(bucket, cutoff, deadline, repaired)
            failures += failed
            if not finished:
                stopped_in, complete = bucket, False
                break
        # One past where this run stopped, never where it stopped: a bucket that fills the budget
        # every time would otherwise be first every time, and the buckets after it never reached.
        self._repo.save_reconciler_checkpoint((stopped_in + 1) % items.PENDING_BUCKETS, format_rfc3339(now))
        self._emit_failures(failures)
        depths = {url: self._depth(url) for url in self._dlq_urls}
        report = {
            "complete": complete,
            "repaired": repaired,
            "failed": failures,
            "cutoff": cutoff,
            "dlq_depth": depths,
        }
        self._logger.info("reconciled", extra=report)
        if any(depths.values()):
            self._logger.warning("dead-letter queues hold messages", extra={"dlq_depth": depths})
        return report

    def _reconcile_bucket(
        self, bucket: int, cutoff: str, deadline: Deadline, repaired: dict[str, int]
    ) -> tuple[bool, int]:
        """Repair every entry of the bucket older than the cut-off: whether it finished, and how many failed.

        A failure to read the bucket ends the bucket, a failure to repair an entry only that
        entry: each is logged and counted, and the run goes on.
        """
        failures = 0
        try:
            for entry in self._repo.pending(bucket, cutoff):
                if not deadline.allows(WORST_CALL_SECONDS):
                    return False, failures
                try:
                    self._repair(entry, cutoff, deadline, repaired)
                except Exception as error:
                    failures += 1
                    self._logger.exception("entry not repaired; skipped", extra=_described(entry, bucket, error))
        except Exception as error:
            failures += 1
            self._logger.exception("bucket not read; skipped", extra={"bucket": bucket, "error": repr(error)})
        return True, failures

    def _repair(self, entry: dict[str, Any], cutoff: str, deadline: Deadline, repaired: dict[str, int]) -> None:
        if entry.get("entity") == "event":
            self._repair_event(entry, repaired)
        elif entry.get("entity") == "subject":
            self._repair_subject(entry, cutoff, deadline, repaired)

    def _emit_failures(self, count: int) -> None:
        """The run's failures as one metric, zero included, so the alarm sees every run."""
        with single_metric(
            name=FAILURE_METRIC,
            unit=MetricUnit.Count,
            value=count,
            namespace=METRIC_NAMESPACE,
            default_dimensions={"table": self._repo.table_name},
        ):
            pass

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


def _described(entry: dict[str, Any], bucket: int, error: Exception) -> dict[str, Any]:
    """What a log line says about an entry: never the subject (log lines name it only by hash)."""
    described: dict[str, Any] = {"bucket": bucket, "entity": entry.get("entity"), "error": repr(error)}
    if entry.get("entity") == "event":
        described.update(event_id=entry.get("id"), position=entry.get("position"))
    else:
        described.update(accepted=entry.get("accepted"), behind_since=entry.get("received_at"))
    return described
