"""Ordered batch handling for stream sources (Kinesis; the publisher has its own loop).

Powertools' BatchProcessor carries on after a failed record; on an ordered stream that would
let a subject's later record overtake an earlier one that is still due. Here the batch stops at
the first record that failed for a reason worth retrying and reports only that record: the
event source mapping checkpoints before it and retries from there (bisecting on a function
error). A poison record, which no retry can fix, is logged and skipped instead, so it never
holds back the other subjects of its shard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict

from aws_lambda_powertools import Logger

from chalicelib.errors import PoisonMessageError


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
        except PoisonMessageError:
            logger.exception("poison record skipped: no retry can process it", extra={"item": identifier(record)})
        except Exception:
            logger.exception("record failed; stopping the batch here to keep order", extra={"item": identifier(record)})
            return {"batchItemFailures": [{"itemIdentifier": identifier(record)}]}
    return {"batchItemFailures": []}


def dynamodb_sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def kinesis_sequence_number(record: dict[str, Any]) -> str:
    return str(record["kinesis"]["sequenceNumber"])
