"""moto's SQS scans made cheap keep SQS's answers: the counts of visible, in-flight and delayed
messages, named attribute reads, moto's error for an unknown name, the retention period; and a
receive no longer reads the queue's attributes once per message it returns."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.core.utils import camelcase_to_underscores
from moto.sqs import models as sqs_models
from moto.sqs.models import Queue, sqs_backends

from localcloud.testing import Cloud

ACCOUNT = "123456789012"
COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


def test_counts_of_visible_in_flight_and_delayed_messages(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="counts")["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)["Messages"]

    assert len(received) == 2
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=COUNTS)["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "3",
        "ApproximateNumberOfMessagesNotVisible": "2",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {name: everything[name] for name in COUNTS} == attributes
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in rest + received) == [f"m{n}" for n in range(5)]


def test_a_message_becomes_visible_again_when_its_timeout_ends(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="again")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="once")

    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    hidden = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)["Messages"]

    assert [m["Body"] for m in first] == ["once"]
    assert hidden == []
    assert [m["Body"] for m in again] == ["once"]
    assert again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]


def test_named_reads_answer_the_names_asked_and_unknown_names_are_refused(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="named", Attributes={"MessageRetentionPeriod": "600"})["QueueUrl"]

    named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod", "VisibilityTimeout"])

    assert named["Attributes"] == {"MessageRetentionPeriod": "600", "VisibilityTimeout": "30"}
    with pytest.raises(ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchAttribute"])


def test_a_message_past_the_retention_period_is_not_returned(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="retention", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    (message,) = sqs_backends[ACCOUNT]["us-east-1"].queues["retention"]._messages
    vars(message)["sent_timestamp"] -= 120_000  # sent two minutes ago, beyond the 60 s kept

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    assert received == []


def test_a_receive_does_not_read_the_queue_attributes_per_message(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="deep")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": str(n)} for n in range(10)])
    reads: list[int] = []
    original = Queue.attributes
    assert isinstance(original, property)
    assert original.fget is not None
    getter = original.fget
    monkeypatch.setattr(Queue, "attributes", property(lambda queue: reads.append(1) or getter(queue)))

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert len(received) == 10
    assert len(reads) <= 1


def test_attribute_names_become_motos_field_names(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(
        QueueName="named.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    names = ["All", *Queue.BASE_ATTRIBUTES, *Queue.FIFO_ATTRIBUTES, *Queue.KMS_ATTRIBUTES, "MessageRetentionPeriod"]

    # Read twice: the second conversion of each name is the remembered one.
    for _ in range(2):
        for name in names:
            assert vars(sqs_models)["camelcase_to_underscores"](name) == camelcase_to_underscores(name)
    sqs.send_message(QueueUrl=url, MessageBody="deduplicated by content", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="deduplicated by content", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["ApproximateNumberOfMessages"] == "1"
