"""make redrive: a DLQ's messages go back to their source queue (or function), once each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.testing import Cloud, read_records, wait_for
from tooling.ops.redrive import RedriveError, queue_url, redrive_to_function, redrive_to_queue
from tooling.ops.target import Target


def _queue_with_dlq(cloud: Cloud, name: str, fifo: bool = False) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    suffix = ".fifo" if fifo else ""
    attributes = {"FifoQueue": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes={**attributes, "RedrivePolicy": redrive})
    return source["QueueUrl"], dlq


def _bodies(cloud: Cloud, url: str) -> list[dict[str, Any]]:
    messages = cloud.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    found: list[dict[str, Any]] = messages.get("Messages", [])
    return found


def test_a_standard_dlq_goes_back_to_its_queue_with_its_attributes(cloud: Cloud, target: Target) -> None:
    source, dlq = _queue_with_dlq(cloud, "work")
    sqs = cloud.client("sqs")
    for n in range(3):
        attributes = {"type": {"DataType": "String", "StringValue": f"t{n}"}}
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{n}", MessageAttributes=attributes)
    report = redrive_to_queue(target.client("sqs"), queue_url(target.client("sqs"), "work-dlq"), limit=100)
    assert (report.moved, report.failed, report.to) == (3, [], source)
    moved = _bodies(cloud, source)
    assert sorted(m["Body"] for m in moved) == ["m0", "m1", "m2"]
    assert {m["MessageAttributes"]["type"]["StringValue"] for m in moved} == {"t0", "t1", "t2"}
    assert _bodies(cloud, dlq) == []


def test_a_fifo_dlq_keeps_each_message_group_and_is_not_deduplicated_away(cloud: Cloud, target: Target) -> None:
    source, dlq = _queue_with_dlq(cloud, "seq", fifo=True)
    sqs = cloud.client("sqs")
    for n, group in enumerate(["a", "b", "a"]):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"{group}{n}", MessageGroupId=group, MessageDeduplicationId=f"d{n}")
    # The originals were on the source queue within the 5-minute window under the same ids.
    for n, group in enumerate(["a", "b", "a"]):
        sqs.send_message(QueueUrl=source, MessageBody="x", MessageGroupId=group, MessageDeduplicationId=f"d{n}")
    for message in _bodies(cloud, source):
        sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    report = redrive_to_queue(target.client("sqs"), dlq, limit=100)
    assert report.moved == 3
    moved = []
    while batch := _bodies(cloud, source):
        for message in batch:
            moved.append((message["Attributes"]["MessageGroupId"], message["Body"]))
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(moved) == [("a", "a0"), ("a", "a2"), ("b", "b1")]
    assert [body for group, body in moved if group == "a"] == ["a0", "a2"]


def test_a_queue_that_is_nobody_s_dlq_is_refused(cloud: Cloud, target: Target) -> None:
    lonely = cloud.client("sqs").create_queue(QueueName="lonely")["QueueUrl"]
    with pytest.raises(RedriveError, match="--to-function"):
        redrive_to_queue(target.client("sqs"), lonely, limit=10)
    with pytest.raises(RedriveError, match="no queue named"):
        queue_url(target.client("sqs"), "missing")


def test_the_function_dlq_is_re_invoked_on_the_function_and_junk_stays(cloud: Cloud, target: Target) -> None:
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    dlq = cloud.client("sqs").create_queue(QueueName="function-dlq")["QueueUrl"]
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "n1", "Message": "alert"}}]}
    cloud.client("sqs").send_message(QueueUrl=dlq, MessageBody=json.dumps(event))
    cloud.client("sqs").send_message(QueueUrl=dlq, MessageBody="not an event")
    report = redrive_to_function(target.client("sqs"), target.client("lambda"), dlq, name, limit=100)
    assert report.moved == 1
    assert len(report.failed) == 1
    assert wait_for(lambda: read_records(records))[0]["data"] == "alert"
