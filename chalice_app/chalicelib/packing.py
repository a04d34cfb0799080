"""Splitting a lane's request entries into calls that AWS accepts: by count and by bytes, in order.

Each batch API refuses the whole call when its entries add up past a limit, the small ones
included, so the publisher packs its entries here first. ``pack`` keeps the entries' order
(within a batch and from one batch to the next): the FIFO topic keeps a group's order only as
long as its messages are sent in order. It fills each batch as far as the next entry allows,
which also makes the fewest calls any order-keeping split can make. An entry that no batch can
hold is set apart rather than sent: AWS would refuse it on every retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BatchLimits:
    """What one call of a batch API may carry, as the API counts it."""

    api: str
    entries: int
    request_bytes: int
    entry_bytes: int


# Amazon SNS API Reference, PublishBatch: "If you try to send more than 10 messages in a single
# batch request, you will receive a TooManyEntriesInBatchRequest exception." and "By default, the
# maximum allowed individual message size and the maximum total payload size (the sum of the
# individual lengths of all of the batched messages) are both 256 KiB (262,144 bytes)." The topics
# leave MaximumMessageSize at its default. Too long a batch fails as BatchRequestTooLong ("The
# length of all the batch messages put together is more than the limit.").
SNS_PUBLISH_BATCH = BatchLimits("PublishBatch", entries=10, request_bytes=262_144, entry_bytes=262_144)

# Amazon Kinesis Data Streams API Reference, PutRecords: "Each PutRecords request can support up
# to 500 records. Each record in the request can be as large as 1 MiB, up to a limit of 5 MiB for
# the entire request, including partition keys." (1 MiB is the stream's default MaxRecordSize; the
# newest reference allows a larger request once a stream's record size is raised, which 5 MiB
# stays within.)
KINESIS_PUT_RECORDS = BatchLimits("PutRecords", entries=500, request_bytes=5 * 1024 * 1024, entry_bytes=1024 * 1024)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def sns_entry_bytes(entry: dict[str, Any]) -> int:
    """The bytes of a PublishBatch entry that count against the message size limits.

    Amazon SNS API Reference, Publish (Message): "messages must be UTF-8 encoded strings and at
    most 256 KB in size (262,144 bytes, not 262,144 characters)". MessageAttributeValue: "All
    parts of the message attribute, including name, type, and value, are included in the message
    size restriction". PublishBatch: "The combined size of all messages in the batch, including
    each message's body and attributes, must not exceed the topic's MaximumMessageSize." The
    entry's Id, MessageGroupId and MessageDeduplicationId are not named, so they are not counted.
    """
    size = _utf8(entry["Message"])
    for name, attribute in entry.get("MessageAttributes", {}).items():
        size += _utf8(name) + _utf8(attribute["DataType"])
        if "StringValue" in attribute:
            size += _utf8(attribute["StringValue"])
        if "BinaryValue" in attribute:
            size += len(attribute["BinaryValue"])
    return size


def kinesis_record_bytes(record: dict[str, Any]) -> int:
    """The bytes of a PutRecords record that count against its limits: the data blob and the partition key.

    Amazon Kinesis Data Streams API Reference, PutRecords: "The record size limit applies to the
    total size of the partition key and data blob." PutRecordsRequestEntry: "When the data blob
    (the payload before base64-encoding) is added to the partition key size, the total size must
    not exceed the maximum record size". The key is counted as UTF-8, its bytes on the wire.
    """
    return len(record["Data"]) + _utf8(record["PartitionKey"])


@dataclass(frozen=True)
class Packed[T]:
    """Entries split into calls, in their order; and the entries too big for any call, in theirs."""

    batches: list[list[T]] = field(default_factory=list)
    oversized: list[T] = field(default_factory=list)


def pack[T](entries: Iterable[T], size: Callable[[T], int], limits: BatchLimits) -> Packed[T]:
    """Split ``entries`` into consecutive batches within ``limits``, ``size`` giving each entry's counted bytes."""
    packed: Packed[T] = Packed()
    batch: list[T] = []
    used = 0
    for entry in entries:
        bytes_ = size(entry)
        if bytes_ > min(limits.entry_bytes, limits.request_bytes):
            packed.oversized.append(entry)
            continue
        if batch and (len(batch) == limits.entries or used + bytes_ > limits.request_bytes):
            packed.batches.append(batch)
            batch, used = [], 0
        batch.append(entry)
        used += bytes_
    if batch:
        packed.batches.append(batch)
    return packed
