"""SNS PublishBatch, SQS SendMessageBatch and Kinesis PutRecord(s) refuse what AWS refuses, by
AWS's byte accounting, at one byte over each limit; exactly at it they are accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.testing import Cloud

MIB = 1_048_576
SNS_LIMIT = 262_144
ACCENT = "é"  # two bytes in UTF-8, one character: moto counts characters, AWS bytes


def _refusal(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as refused:
        call()
    return dict(refused.value.response)


def _bodies(total_bytes: int, count: int = 10, unit: str = ACCENT) -> list[str]:
    """``count`` message bodies of ``total_bytes`` UTF-8 bytes in all, mostly two-byte characters."""
    each, rest = divmod(total_bytes, count)
    bodies = []
    for index in range(count):
        size = each + (rest if index == 0 else 0)
        bodies.append(unit * (size // 2) + "a" * (size % 2))
    return bodies


# -- SNS PublishBatch -------------------------------------------------------------------------


def _sns_entries(bodies: list[str], fifo: bool = False, **extra: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for index, body in enumerate(bodies):
        entry: dict[str, Any] = {"Id": f"m{index}", "Message": body, **extra}
        if fifo:
            entry |= {"MessageGroupId": "g", "MessageDeduplicationId": f"d{index}"}
        entries.append(entry)
    return entries


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_sns_publish_batch_counts_the_bodies_bytes_up_to_262144(cloud: Cloud, fifo: bool) -> None:
    sns = cloud.client("sns")
    name = "batch.fifo" if fifo else "batch"
    attributes = {"FifoTopic": "true"} if fifo else {}
    topic = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]

    at_limit = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=_sns_entries(_bodies(SNS_LIMIT), fifo))
    over = _sns_entries(_bodies(SNS_LIMIT + 1), fifo)
    refused = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=over))

    assert len(at_limit["Successful"]) == 10
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused["Error"]["Code"] == "BatchRequestTooLong"
    assert refused["Error"]["Message"] == "The length of all the messages put together is more than the limit."


def test_sns_publish_batch_counts_attribute_names_types_and_values(cloud: Cloud) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="attributes")["TopicArn"]
    # Per entry: name "k" (1) + type "String" (6) + value "v" (1) = 8 bytes, and a Binary one:
    # name "b" (1) + "Binary" (6) + 3 raw bytes = 10 bytes.
    attributes = {
        "k": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
    }
    attribute_bytes = 10 * 18

    def entries(total: int) -> list[dict[str, Any]]:
        return _sns_entries(_bodies(total - attribute_bytes), MessageAttributes=attributes)

    at_limit = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries(SNS_LIMIT))
    refused = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries(SNS_LIMIT + 1)))

    assert len(at_limit["Successful"]) == 10
    assert refused["Error"]["Code"] == "BatchRequestTooLong"


def test_sns_publish_batch_limit_follows_the_topic_maximum_message_size(cloud: Cloud) -> None:
    sns = cloud.client("sns")
    created = sns.create_topic(Name="large", Attributes={"MaximumMessageSize": str(MIB)})["TopicArn"]
    updated = sns.create_topic(Name="enlarged")["TopicArn"]
    sns.set_topic_attributes(TopicArn=updated, AttributeName="MaximumMessageSize", AttributeValue=str(MIB))

    for topic in (created, updated):
        at_limit = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=_sns_entries(_bodies(MIB)))
        over = _sns_entries(_bodies(MIB + 1))
        refused = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=over))  # noqa: B023  (called at once)

        assert len(at_limit["Successful"]) == 10
        assert refused["Error"]["Code"] == "BatchRequestTooLong"


def test_sns_publish_batch_limits_moto_kept_and_rules_off_is_moto(cloud: Cloud) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="limits")["TopicArn"]
    eleven = _sns_entries(["x"] * 11)
    twins = [{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}]
    over = _sns_entries(_bodies(SNS_LIMIT + 1))

    too_many = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=eleven))
    not_distinct = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=twins))
    refused = _refusal(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=over))
    with aws_rules.suspended():
        accepted_by_moto = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=over)

    assert too_many["Error"]["Code"] == "TooManyEntriesInBatchRequest"
    assert not_distinct["Error"]["Code"] == "BatchEntryIdsNotDistinct"
    assert refused["Error"]["Code"] == "BatchRequestTooLong"
    assert len(accepted_by_moto["Successful"]) == 10


# -- SQS SendMessageBatch ---------------------------------------------------------------------


def _sqs_entries(bodies: list[str], **extra: Any) -> list[dict[str, Any]]:
    return [{"Id": f"m{index}", "MessageBody": body, **extra} for index, body in enumerate(bodies)]


def test_sqs_send_message_batch_counts_bytes_and_attributes_up_to_1_mib(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes an entry

    def entries(total: int, unit: str = ACCENT) -> list[dict[str, Any]]:
        return _sqs_entries(_bodies(total - 80, unit=unit), MessageAttributes=attributes)

    at_limit = sqs.send_message_batch(QueueUrl=url, Entries=entries(MIB))
    refused = _refusal(lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries(MIB + 1)))
    # ASCII bodies: over the limit only with the attributes counted (moto counts bodies alone).
    attributes_counted = _refusal(lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries(MIB + 1, "aa")))
    with aws_rules.suspended():
        accepted_by_moto = sqs.send_message_batch(QueueUrl=url, Entries=entries(MIB + 1))

    assert len(at_limit["Successful"]) == 10
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused["Error"]["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong"
    assert refused["Error"]["Message"] == (
        f"Batch requests cannot be longer than {MIB} bytes. You have sent {MIB + 1} bytes."
    )
    assert attributes_counted["Error"]["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong"
    assert len(accepted_by_moto["Successful"]) == 10


# -- Kinesis PutRecords and PutRecord ---------------------------------------------------------


def _stream(cloud: Cloud, name: str) -> tuple[Any, str]:
    # botocore checks a partition key's length before sending: off, to see the server's answer.
    kinesis = cloud.client("kinesis", Config(parameter_validation=False))
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis, name


def test_kinesis_record_counts_data_and_partition_key_bytes_up_to_1_mib(cloud: Cloud) -> None:
    kinesis, stream = _stream(cloud, "records")
    # The key "é" is two bytes: data + key is the limit, then one byte over it.
    exact = {"Data": b"x" * (MIB - 2), "PartitionKey": ACCENT}
    over = {"Data": b"x" * (MIB - 1), "PartitionKey": ACCENT}

    accepted = kinesis.put_records(StreamName=stream, Records=[exact])
    refused = _refusal(lambda: kinesis.put_records(StreamName=stream, Records=[exact, over]))
    single = kinesis.put_record(StreamName=stream, **exact)
    single_refused = _refusal(lambda: kinesis.put_record(StreamName=stream, **over))
    with aws_rules.suspended():
        accepted_by_moto = kinesis.put_record(StreamName=stream, **over)

    assert accepted["FailedRecordCount"] == 0
    assert refused["Error"]["Code"] == "ValidationException"
    assert refused["Error"]["Message"] == (
        "1 validation error detected: Value at 'records.2.member.data' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MIB}"
    )
    assert single["SequenceNumber"]
    assert single_refused["Error"]["Code"] == "ValidationException"
    assert single_refused["Error"]["Message"] == (
        "1 validation error detected: Value at 'data' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MIB}"
    )
    assert accepted_by_moto["SequenceNumber"]


def test_kinesis_put_records_takes_10_mib_a_request_and_500_records(cloud: Cloud) -> None:
    kinesis, stream = _stream(cloud, "request")
    record = {"Data": b"x" * (MIB - 1), "PartitionKey": "k"}  # exactly 1 MiB with its key

    accepted = kinesis.put_records(StreamName=stream, Records=[record] * 10)
    refused = _refusal(
        lambda: kinesis.put_records(StreamName=stream, Records=[record] * 10 + [{"Data": b"", "PartitionKey": "k"}])
    )
    too_many = _refusal(
        lambda: kinesis.put_records(StreamName=stream, Records=[{"Data": b"", "PartitionKey": "k"}] * 501)
    )

    assert accepted["FailedRecordCount"] == 0
    assert len({r["SequenceNumber"] for r in accepted["Records"]}) == 10
    assert refused["Error"]["Code"] == "InvalidArgumentException"
    assert refused["Error"]["Message"] == "Records size exceeds 10 MB limit"
    assert too_many["Error"]["Code"] == "ValidationException"


def test_kinesis_partition_key_is_1_to_256_characters(cloud: Cloud) -> None:
    kinesis, stream = _stream(cloud, "keys")
    longest = ACCENT * 256  # characters, not bytes

    accepted = kinesis.put_records(StreamName=stream, Records=[{"Data": b"d", "PartitionKey": longest}])
    single = kinesis.put_record(StreamName=stream, Data=b"d", PartitionKey=longest)
    too_long = _refusal(
        lambda: kinesis.put_records(StreamName=stream, Records=[{"Data": b"d", "PartitionKey": "k" * 257}])
    )
    empty = _refusal(lambda: kinesis.put_record(StreamName=stream, Data=b"d", PartitionKey=""))

    assert accepted["FailedRecordCount"] == 0
    assert single["SequenceNumber"]
    assert too_long["Error"]["Code"] == "ValidationException"
    assert too_long["Error"]["Message"] == (
        f"1 validation error detected: Value '{'k' * 257}' at 'records.1.member.partitionKey' failed to satisfy "
        "constraint: Member must have length less than or equal to 256"
    )
    assert empty["Error"]["Code"] == "ValidationException"
    assert empty["Error"]["Message"] == (
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
