"""Move messages from a dead-letter queue back to the queue they came from.

The source is the queue whose redrive policy names the DLQ (SQS's ListDeadLetterSourceQueues), so
a DLQ is named, never its source. Each message is sent again with its body and attributes, and
deleted from the DLQ only after the send succeeded: a crash in between leaves a copy in both
places, never in neither, and every consumer recognises a redelivery. A FIFO message keeps its
message group and gets a new deduplication id, so the FIFO queue does not drop it as a repeat of
the original.

The function DLQ (failed asynchronous invocations) has no source queue: its messages are event
payloads, re-invoked on the function named with ``--to-function``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Attributes SQS sets itself; they are not carried over.
_SYSTEM_ATTRIBUTES = ("MessageGroupId", "MessageDeduplicationId")


class RedriveError(Exception):
    """The DLQ cannot be redriven as asked; the message says why."""


@dataclass
class RedriveReport:
    dlq_url: str
    to: str
    moved: int = 0
    failed: list[str] = field(default_factory=list)


def queue_url(sqs: Any, name_or_url: str) -> str:
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    try:
        return str(sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist as error:
        raise RedriveError(f"no queue named {name_or_url!r}") from error


def source_of(sqs: Any, dlq_url: str) -> str:
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) != 1:
        raise RedriveError(
            f"{dlq_url} is the dead-letter queue of {len(sources)} queues, not one: "
            "for the function DLQ, name the function to re-invoke with --to-function"
        )
    return str(sources[0])


def _receive(sqs: Any, dlq_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=dlq_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=120,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    return messages


def redrive_to_queue(sqs: Any, dlq_url: str, limit: int) -> RedriveReport:
    target = source_of(sqs, dlq_url)
    report = RedriveReport(dlq_url=dlq_url, to=target)
    fifo = target.endswith(".fifo")
    while report.moved + len(report.failed) < limit and (batch := _receive(sqs, dlq_url)):
        for message in batch:
            request: dict[str, Any] = {"QueueUrl": target, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                request["MessageAttributes"] = message["MessageAttributes"]
            if fifo:
                request["MessageGroupId"] = message["Attributes"]["MessageGroupId"]
                request["MessageDeduplicationId"] = f"redrive-{message['MessageId']}"
            try:
                sqs.send_message(**request)
            except Exception as error:  # keep the message in the DLQ and report it
                report.failed.append(f"{message['MessageId']}: {error}")
                continue
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            report.moved += 1
    return report


def redrive_to_function(sqs: Any, lambda_client: Any, dlq_url: str, function: str, limit: int) -> RedriveReport:
    report = RedriveReport(dlq_url=dlq_url, to=f"function {function}")
    while report.moved + len(report.failed) < limit and (batch := _receive(sqs, dlq_url)):
        for message in batch:
            try:
                json.loads(message["Body"])
                lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=message["Body"].encode())
            except Exception as error:  # not an event payload, or the invoke failed: it stays
                report.failed.append(f"{message['MessageId']}: {error}")
                continue
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            report.moved += 1
    return report
