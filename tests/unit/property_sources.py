"""The AWS sources as the property tests model them in memory, batch sizes and order drawn
from the example's random generator: an SQS queue as its mapping reads it and a Kinesis shard.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from tooling.moto_stack import MAX_RECEIVE_COUNT, sqs_event_from_bodies


class Queue:
    """An SQS queue as a mapping reads it: batches, receive counts, a failed message back for another receive.

    FIFO: a batch takes each message group's first messages in order, and a failed message
    keeps the rest of its group behind it.
    """

    def __init__(self, bodies: list[str], group: Callable[[str], str | None]) -> None:
        self.pending = [(body, group(body), 1) for body in bodies]
        self.dead: list[str] = []

    def drain(self, handler: Callable[[dict[str, Any], Any], Any], rng: random.Random) -> None:
        fifo = any(group for _, group, _ in self.pending)
        for _ in range(1000):
            if not self.pending:
                return
            batch = self._next_batch(fifo, rng)
            event = sqs_event_from_bodies("arn:aws:sqs:us-east-1:123456789012:q", [b for b, _, _ in batch])
            for record, (_, group, receives) in zip(event["Records"], batch, strict=True):
                record["attributes"]["ApproximateReceiveCount"] = str(receives)
                if group:
                    record["attributes"]["MessageGroupId"] = group
            failed = {f["itemIdentifier"] for f in handler(event, None)["batchItemFailures"]}
            again = []
            for record, (body, group, receives) in zip(event["Records"], batch, strict=True):
                if record["messageId"] not in failed:
                    continue
                if receives >= MAX_RECEIVE_COUNT:
                    self.dead.append(body)
                else:
                    again.append((body, group, receives + 1))
            self.pending = again + self.pending if fifo else self.pending + again
        raise AssertionError("the queue never drained")

    def _next_batch(self, fifo: bool, rng: random.Random) -> list[tuple[str, str | None, int]]:
        size = rng.randint(1, 10)
        if fifo:
            groups = list(dict.fromkeys(group for _, group, _ in self.pending))
            rng.shuffle(groups)
            ordered = [m for group in groups for m in self.pending if m[1] == group]
        else:
            ordered = list(self.pending)
        batch = ordered[:size]
        for message in batch:
            self.pending.remove(message)
        return batch


def shard(handler: Callable[[dict[str, Any], Any], Any], records: list[dict[str, Any]], rng: random.Random) -> None:
    """A Kinesis shard as its mapping reads it: batches in order, retried from the reported failure."""
    start = 0
    for _ in range(1000):
        if start >= len(records):
            return
        batch = records[start : start + rng.randint(1, 10)]
        failures = handler({"Records": batch}, None)["batchItemFailures"]
        numbers = [record["kinesis"]["sequenceNumber"] for record in batch]
        start += numbers.index(failures[0]["itemIdentifier"]) if failures else len(batch)
    raise AssertionError("the shard never got past a record")
