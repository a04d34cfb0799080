"""The size limits of SNS PublishBatch, SQS SendMessageBatch and Kinesis PutRecord(s).

What moto enforces already is left to it: SNS's 10 entries (``TooManyEntriesInBatchRequest``) and
distinct ids (``BatchEntryIdsNotDistinct``), SQS's 10 entries and 1 MiB, Kinesis's 500 records.
Added here, as AWS counts them:

- SNS PublishBatch: the batch's bytes (moto counts none). A message's size is its body's UTF-8
  bytes plus, for each message attribute, the bytes of its name, its data type and its value
  (a Binary value's raw bytes); the batch is the sum over its entries. Subject, group and
  deduplication ids do not count. At most the topic's ``MaximumMessageSize``, 262,144 bytes
  unless set.
- SQS SendMessageBatch: the same accounting against 1,048,576 bytes (moto counts the bodies'
  characters only, and no attributes).
- Kinesis PutRecords: a record is its data's bytes plus its partition key's UTF-8 bytes, at most
  1,048,576 (a stream's default maximum record size; moto counts the key's characters); the whole
  request at most 10 MiB (moto refuses over 5 MiB, AWS's former limit); partition keys of 1 to
  256 characters (moto does not check). PutRecord: the same record and key limits (moto checks
  neither).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kinesis.exceptions import InvalidArgumentError
from moto.kinesis.models import KinesisBackend
from moto.sns.exceptions import SNSException
from moto.sns.models import SNSBackend
from moto.sqs.exceptions import BatchRequestTooLong as SQSBatchRequestTooLong
from moto.sqs.models import SQSBackend

from localcloud import aws_rules

# SNS API reference, PublishBatch: "By default, the maximum allowed individual message size and the
# maximum total payload size (the sum of the individual lengths of all of the batched messages)
# are both 256 KiB (262,144 bytes). To publish larger batches, set the topic's MaximumMessageSize
# attribute, which supports values up to 1 MiB (1,048,576 bytes). The combined size of all
# messages in the batch, including each message's body and attributes, must not exceed the
# topic's MaximumMessageSize."
SNS_DEFAULT_BATCH_BYTES = 262_144
SNS_MAX_ENTRIES = 10

# SQS API reference, SendMessageBatch: "The maximum allowed individual message size and the maximum
# total payload size (the sum of the individual lengths of all of the batched messages) are both
# 1 MiB 1,048,576 bytes." SQS developer guide, "Amazon SQS message attributes": attributes count
# toward the message size.
SQS_BATCH_BYTES = 1_048_576
SQS_MAX_ENTRIES = 10

# Kinesis API reference, PutRecords: "Each PutRecords request can support up to 500 records. Each
# record in the request can be as large as 10 MiB, up to a limit of 10 MiB for the entire request,
# including partition keys. [...] The record size limit applies to the total size of the partition
# key and data blob." Kinesis developer guide, "Handle large records": "The default maximum record
# size for existing, and newly created streams is set to 1 MiB." PutRecord: "Partition keys are
# Unicode strings, with a maximum length limit of 256 characters for each key."
KINESIS_MAX_RECORDS = 500
KINESIS_RECORD_BYTES = 1_048_576
KINESIS_REQUEST_BYTES = 10 * 1_048_576
KINESIS_PARTITION_KEY_CHARS = 256
# moto's own request limit: requests over it are handed to moto in slices below it.
_MOTO_REQUEST_BYTES = 5 * 1_048_576


class SNSBatchRequestTooLong(SNSException):
    # AWS's answer (HTTP 400, Sender), as recorded against AWS in LocalStack's SNS snapshots.
    code = "BatchRequestTooLong"
    message = "The length of all the messages put together is more than the limit."


def _utf8(text: str | bytes) -> int:
    return len(text.encode()) if isinstance(text, str) else len(text)


def _decoded_length(value: str | bytes) -> int:
    try:
        return len(base64.b64decode(value, validate=False))
    except (binascii.Error, ValueError):
        return _utf8(value)


def sns_message_bytes(entry: Mapping[str, Any]) -> int:
    """An SNS batch entry's size as AWS counts it (moto holds attributes as {name: {Type, Value}},
    a Binary value base64-encoded)."""
    size = _utf8(entry.get("Message") or "")
    for name, attribute in (entry.get("MessageAttributes") or {}).items():
        data_type = str(attribute.get("Type") or "")
        value = attribute.get("Value") or ""
        value_bytes = _decoded_length(value) if data_type.startswith("Binary") else _utf8(str(value))
        size += _utf8(name) + _utf8(data_type) + value_bytes
    return size


def sqs_message_bytes(entry: Mapping[str, Any]) -> int:
    """An SQS batch entry's size as AWS counts it (moto holds a Binary value base64-encoded)."""
    size = _utf8(entry.get("MessageBody") or "")
    for name, attribute in (entry.get("MessageAttributes") or {}).items():
        size += _utf8(name) + _utf8(str(attribute.get("DataType") or ""))
        if "BinaryValue" in attribute:
            size += _decoded_length(attribute["BinaryValue"])
        else:
            size += _utf8(str(attribute.get("StringValue") or ""))
    return size


def _distinct(ids: Iterable[Any]) -> bool:
    seen = list(ids)
    return len(seen) == len(set(seen))


def _sns_limit(topic: Any) -> int:
    # moto keeps CreateTopic's attributes in snake case and SetTopicAttributes' as named.
    value = getattr(topic, "MaximumMessageSize", None) or getattr(topic, "maximum_message_size", None)
    try:
        return int(value) if value else SNS_DEFAULT_BATCH_BYTES
    except (TypeError, ValueError):
        return SNS_DEFAULT_BATCH_BYTES


def _publish_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def publish_batch(self: SNSBackend, topic_arn: str, publish_batch_request_entries: list[dict[str, Any]]) -> Any:
        entries = publish_batch_request_entries
        # moto's own refusals (too many entries, ids not distinct) come first, as on AWS.
        if aws_rules.active() and len(entries) <= SNS_MAX_ENTRIES and _distinct(e.get("Id") for e in entries):
            limit = _sns_limit(self.get_topic(topic_arn))
            if sum(sns_message_bytes(entry) for entry in entries) > limit:
                raise SNSBatchRequestTooLong
        return original(self, topic_arn, entries)

    return publish_batch


def _send_message_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_message_batch(self: SQSBackend, queue_name: str, entries: dict[str, dict[str, Any]]) -> Any:
        batch = list(entries.values())
        if aws_rules.active() and len(batch) <= SQS_MAX_ENTRIES and _distinct(e.get("Id") for e in batch):
            total = sum(sqs_message_bytes(entry) for entry in batch)
            if total > SQS_BATCH_BYTES:
                # moto's exception: "Batch requests cannot be longer than 1048576 bytes. You have
                # sent N bytes.", AWS.SimpleQueueService.BatchRequestTooLong, as AWS answers.
                raise SQSBatchRequestTooLong(total)
        return original(self, queue_name, entries)

    return send_message_batch


def _validation_error(problems: list[str]) -> JsonRESTError:
    count = len(problems)
    noun = "validation error" if count == 1 else "validation errors"
    return JsonRESTError("ValidationException", f"{count} {noun} detected: " + "; ".join(problems))


def _partition_key_problem(key: str, where: str) -> str | None:
    if len(key) > KINESIS_PARTITION_KEY_CHARS:
        bound = f"less than or equal to {KINESIS_PARTITION_KEY_CHARS}"
    elif not key:
        bound = "greater than or equal to 1"
    else:
        return None
    return f"Value '{key}' at '{where}' failed to satisfy constraint: Member must have length {bound}"


def _record_too_large(where: str) -> str:
    return (
        f"Value at '{where}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {KINESIS_RECORD_BYTES}"
    )


def kinesis_record_bytes(data: str | bytes, partition_key: str) -> int:
    """A record's size as Kinesis counts it: the data's bytes (moto holds them base64-encoded)
    plus the partition key's UTF-8 bytes."""
    return _decoded_length(data or "") + _utf8(partition_key or "")


def _slices(records: list[dict[str, Any]], sizes: list[int]) -> Iterable[list[dict[str, Any]]]:
    current: list[dict[str, Any]] = []
    current_bytes = 0
    for record, size in zip(records, sizes, strict=True):
        if current and current_bytes + size > _MOTO_REQUEST_BYTES:
            yield current
            current, current_bytes = [], 0
        current.append(record)
        current_bytes += size
    yield current


def _put_records(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def put_records(
        self: KinesisBackend, stream_arn: str, stream_name: str, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if not aws_rules.active() or len(records) > KINESIS_MAX_RECORDS:
            return original(self, stream_arn, stream_name, records)
        problems = [
            problem
            for index, record in enumerate(records, start=1)
            if (
                problem := _partition_key_problem(
                    record.get("PartitionKey") or "", f"records.{index}.member.partitionKey"
                )
            )
        ]
        if problems:
            raise _validation_error(problems)
        sizes = [kinesis_record_bytes(r.get("Data") or "", r.get("PartitionKey") or "") for r in records]
        oversized = [f"records.{i}.member.data" for i, size in enumerate(sizes, start=1) if size > KINESIS_RECORD_BYTES]
        if oversized:
            raise _validation_error([_record_too_large(where) for where in oversized])
        if sum(sizes) > KINESIS_REQUEST_BYTES:
            raise InvalidArgumentError("Records size exceeds 10 MB limit")
        if sum(sizes) <= _MOTO_REQUEST_BYTES:
            return original(self, stream_arn, stream_name, records)
        answer: dict[str, Any] = {"FailedRecordCount": 0, "Records": []}
        for part in _slices(records, sizes):
            partial = original(self, stream_arn, stream_name, part)
            answer["FailedRecordCount"] += partial["FailedRecordCount"]
            answer["Records"].extend(partial["Records"])
        return answer

    return put_records


def _put_record(original: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    @functools.wraps(original)
    def put_record(
        self: KinesisBackend, stream_arn: str, stream_name: str, partition_key: str, explicit_hash_key: str, data: str
    ) -> tuple[str, str]:
        if aws_rules.active():
            problem = _partition_key_problem(partition_key or "", "partitionKey")
            if problem:
                raise _validation_error([problem])
            if kinesis_record_bytes(data or "", partition_key or "") > KINESIS_RECORD_BYTES:
                raise _validation_error([_record_too_large("data")])
        return original(self, stream_arn, stream_name, partition_key, explicit_hash_key, data)

    return put_record


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
    SNSBackend.publish_batch = _publish_batch(SNSBackend.publish_batch)  # type: ignore[method-assign]  # a wrapper with moto's signature
    SQSBackend.send_message_batch = _send_message_batch(SQSBackend.send_message_batch)  # type: ignore[method-assign]  # a wrapper with moto's signature
    KinesisBackend.put_records = _put_records(KinesisBackend.put_records)  # type: ignore[method-assign]  # a wrapper with moto's signature
    KinesisBackend.put_record = _put_record(KinesisBackend.put_record)  # type: ignore[method-assign]  # a wrapper with moto's signature
