"""The scheduled reconciler: re-publish events stuck in ``accepted`` and report DLQ depth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.publishing import Publisher
from chalicelib.repository import EventsRepository
from chalicelib.timefmt import format_rfc3339, utc_now


class Reconciler:
    def __init__(
        self,
        repository: EventsRepository,
        publisher: Publisher,
        sqs: Any,
        dlq_urls: list[str],
        stale_after_seconds: int,
        logger: Logger,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repo = repository
        self._publisher = publisher
        self._sqs = sqs
        self._dlq_urls = dlq_urls
        self._stale_after = timedelta(seconds=stale_after_seconds)
        self._logger = logger
        self._clock = clock

    def run(self) -> dict[str, Any]:
        cutoff = format_rfc3339(self._clock() - self._stale_after)
        republished = []
        for event in self._repo.stale_accepted(received_before=cutoff):
            # Every consumer is idempotent, so publishing again is safe; the FIFO
            # topic drops it anyway if the original is within its 5-minute window.
            self._publisher.publish(event)
            republished.append(event.id)
        depths = {url: self._depth(url) for url in self._dlq_urls}
        report = {"republished": len(republished), "republished_ids": republished, "dlq_depth": depths}
        self._logger.info("reconciled", extra=report)
        if any(depths.values()):
            self._logger.warning("dead-letter queues hold messages", extra={"dlq_depth": depths})
        return report

    def _depth(self, queue_url: str) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
