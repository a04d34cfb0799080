"""A FIFO group whose messages came back after their visibility timeout is redelivered in order."""

from __future__ import annotations

import time

from localcloud.testing import Cloud


def test_messages_back_from_a_failed_batch_come_first_and_in_order(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(
        QueueName="redelivered.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "1"},
    )["QueueUrl"]
    for n in range(1, 6):
        sqs.send_message(QueueUrl=url, MessageBody=f"a-{n}", MessageGroupId="a")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    assert [m["Body"] for m in first] == ["a-1", "a-2", "a-3"]
    # Nothing more of the group while those three are in flight.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)

    time.sleep(1.2)  # the batch was never deleted: all three come back

    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in again] == ["a-1"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["a-2", "a-3", "a-4", "a-5"]
