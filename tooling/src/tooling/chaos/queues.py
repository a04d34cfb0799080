"""The run's queues: their depth, what the dead-letter queues hold (peeked, left in place), the poison message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The queues that must gain nothing but the poison message, by their outputs.json names.
DEAD_LETTER_QUEUES = {
    "standard_dlq": "standard_dlq_url",
    "fifo_dlq": "fifo_dlq_url",
    "stream_failures": "stream_failure_queue_url",
    "function_dlq": "function_dlq_url",
}
WORK_QUEUES = {"standard": "standard_queue_url", "fifo": "fifo_queue_url"}


def peek_queue(sqs: Any, url: str) -> dict[str, str]:
    """Every message of a queue (id -> body), left in the queue: received, then made visible again."""
    seen: dict[str, str] = {}
    handles: list[str] = []
    empty = 0
    while empty < 2 and len(seen) < 10_000:
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
        ).get("Messages", [])
        if not received:
            empty += 1
            continue
        for message in received:
            seen[message["MessageId"]] = message["Body"]
            handles.append(message["ReceiptHandle"])
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for index, handle in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return seen


def dead_letter_contents(sqs: Any, outputs: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: peek_queue(sqs, outputs[output]) for name, output in DEAD_LETTER_QUEUES.items() if outputs.get(output)
    }


def queue_depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def put_poison(sqs: Any, queue_url: str, run_id: str) -> str:
    """A message the processor can never process (not an event): it must end in the processor's DLQ."""
    marker = f"chaos-poison-{run_id}"
    sqs.send_message(QueueUrl=queue_url, MessageBody=f"{marker}: this is not an event")
    return marker
