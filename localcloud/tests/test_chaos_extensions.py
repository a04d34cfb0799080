"""The local cloud's extensions of a rule: the resource it matches, the phase it fails in, a seed
for reproducible probabilities."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError

from chaos_support import counting_client, create_table, error_of, faults, put
from localcloud.testing import Cloud


def test_resource_matches_a_queue_by_url_arn_or_name(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    target = sqs.create_queue(QueueName="target")["QueueUrl"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client, _ = counting_client(cloud, "sqs")

    for resource in (target, arn, "targ"):
        faults(cloud, "POST", [{"service": "sqs", "resource": resource}])
        with pytest.raises(ClientError):
            client.send_message(QueueUrl=target, MessageBody="m")
        client.send_message(QueueUrl=other, MessageBody="m")


def test_resource_matches_a_transaction_naming_the_table(cloud: Cloud) -> None:
    create_table(cloud, "orders")
    create_table(cloud, "audit")
    faults(cloud, "POST", [{"operation": "TransactWriteItems", "resource": "orders"}])
    dynamodb, _ = counting_client(cloud, "dynamodb")

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[put("audit", "a"), put("orders", "a")])
    dynamodb.transact_write_items(TransactItems=[put("audit", "b")])

    assert dynamodb.scan(TableName="audit")["Count"] == 1


def test_phase_response_runs_the_operation_and_loses_the_reply(cloud: Cloud) -> None:
    create_table(cloud, "orders")
    rule = {"service": "dynamodb", "operation": "PutItem", "phase": "response", "count": 1}
    faults(cloud, "POST", [rule])
    dynamodb, _ = counting_client(cloud, "dynamodb")

    with pytest.raises(ClientError) as raised:
        dynamodb.put_item(TableName="orders", Item={"id": {"S": "written"}})

    assert error_of(raised)["status"] == 503
    assert "Item" in dynamodb.get_item(TableName="orders", Key={"id": {"S": "written"}})


def test_a_lost_transaction_reply_is_retried_by_the_sdk_with_the_same_token(cloud: Cloud) -> None:
    create_table(cloud, "orders")
    rule = {"operation": "TransactWriteItems", "phase": "response", "count": 1}
    faults(cloud, "POST", [rule])
    dynamodb, sent = counting_client(cloud, "dynamodb", attempts=3)
    once = [{"Put": {**put("orders", "a")["Put"], "ConditionExpression": "attribute_not_exists(id)"}}]

    # The first attempt commits, its reply is lost; the retry meets its own token and succeeds.
    dynamodb.transact_write_items(TransactItems=once, ClientRequestToken="token-1")

    assert len(sent) == 2
    assert dynamodb.scan(TableName="orders")["Count"] == 1


def _outcomes(cloud: Cloud, url: str, n: int) -> list[bool]:
    sqs, _ = counting_client(cloud, "sqs")
    fired = []
    for _ in range(n):
        try:
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            fired.append(False)
        except ClientError:
            fired.append(True)
    return fired


def test_seed_makes_probability_reproducible(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="seeded")["QueueUrl"]
    rule = {"service": "sqs", "operation": "GetQueueAttributes", "probability": 0.5, "seed": 42}

    faults(cloud, "POST", [rule])
    first = _outcomes(cloud, url, 30)
    faults(cloud, "POST", [rule])  # posted again: its generator starts over
    second = _outcomes(cloud, url, 30)

    expected = random.Random(42)
    assert first == second == [expected.random() < 0.5 for _ in range(30)]
    assert 0 < sum(first) < 30


def test_probability_zero_never_fires(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="never")["QueueUrl"]
    faults(cloud, "POST", [{"service": "sqs", "probability": 0}])
    assert not any(_outcomes(cloud, url, 20))
