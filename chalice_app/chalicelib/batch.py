"""Ordered batch handling for stream sources (DynamoDB Streams, Kinesis).

Powertools' BatchProcessor carries on after a failed record; on an ordered
stream that would let a subject's later record overtake an earlier one. Here
the batch stops at the first failure and reports only that record: the event
source mapping then checkpoints before it and retries from there, which keeps
per-shard order (and bisects on a function error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict

from aws_lambda_powertools import Logger


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class PartialResponse(TypedDict):
    """What a batch handler returns with ReportBatchItemFailures (the shape Powertools returns too)."""

    batchItemFailures: list[BatchItemFailure]


def process_in_order(
    records: Iterable[dict[str, Any]],
    handle: Callable[[dict[str, Any]], object],
    identifier: Callable[[dict[str, Any]], str],
    logger: Logger,
) -> PartialResponse:
    for record in records:
        try:
            handle(record)
        except Exception:
            logger.exception("record failed; stopping the batch here to keep order", extra={"item": identifier(record)})
            return {"batchItemFailures": [{"itemIdentifier": identifier(record)}]}
    return {"batchItemFailures": []}


def dynamodb_sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def kinesis_sequence_number(record: dict[str, Any]) -> str:
    return str(record["kinesis"]["sequenceNumber"])
