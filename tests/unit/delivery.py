"""Delivery as each AWS event source does it, driving the handlers from what moto holds.

- ``drain_queue``: an SQS event source mapping. It receives batches from the real moto queue
  (moto keeps receive counts, FIFO group locks and the redrive to the DLQ at
  ``maxReceiveCount``), deletes what succeeded, and makes the reported failures (the whole
  batch when the function raises) visible again at once, as a visibility timeout would.
- ``drive_stream``: a DynamoDB-stream or Kinesis mapping with ReportBatchItemFailures. Records
  go in order; a failure checkpoints before the failed record and the batch is retried from
  there; after ``max_retries`` retries the failing record is given up (its batch info would go
  to the on-failure destination) and the shard moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from tooling.moto_stack import REGION, sqs_event

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class Drained:
    delivered: int = 0
    invocations: int = 0
    errors: list[str] = field(default_factory=list)


def _failed_ids(handler: Handler, event: dict[str, Any], identifier: Callable[[dict[str, Any]], str]) -> set[str]:
    try:
        response = handler(event)
    except Exception as exc:  # a function error fails the whole batch, as on AWS
        return {identifier(record) for record in event["Records"]} | {f"error:{type(exc).__name__}"}
    return {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}


def drain_queue(handler: Handler, queue_url: str, queue_arn: str, batch_size: int = 10, rounds: int = 200) -> Drained:
    sqs = boto3.client("sqs", region_name=REGION)
    drained = Drained()
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        if not messages:
            return drained
        drained.invocations += 1
        failed = _failed_ids(handler, sqs_event(queue_arn, messages), lambda record: str(record["messageId"]))
        drained.errors += sorted(f for f in failed if f.startswith("error:"))
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                drained.delivered += 1
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError(f"{queue_url} still held messages after {rounds} batches")


def drive_stream(
    handler: Handler,
    records: list[dict[str, Any]],
    identifier: Callable[[dict[str, Any]], str],
    batch_size: int = 100,
    max_retries: int = 3,
) -> list[dict[str, Any]]:
    """Deliver a shard's records in order; returns the records given up after their retries."""
    given_up: list[dict[str, Any]] = []
    start, retries = 0, 0
    while start < len(records):
        batch = records[start : start + batch_size]
        failed = _failed_ids(handler, {"Records": batch}, identifier)
        ids = [identifier(record) for record in batch]
        first = min((ids.index(f) for f in failed if f in ids), default=0 if failed else None)
        if first is None:
            start, retries = start + len(batch), 0
            continue
        if first > 0:
            start, retries = start + first, 0
            continue
        retries += 1
        if retries > max_retries:
            given_up.append(batch[0])
            start, retries = start + 1, 0
    return given_up


def queue_depth(queue_url: str) -> int:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
