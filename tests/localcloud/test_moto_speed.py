"""TransactWriteItems without whole-table copies keeps moto's semantics."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

from localcloud.testing import Cloud


def _table(cloud: Cloud) -> Any:
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="tx",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return dynamodb


def _stream_records(dynamodb: Any) -> list[Any]:
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables["tx"].stream_shard
    assert shard is not None
    return list(shard.items)


def _stream_events(dynamodb: Any) -> list[tuple[str, str]]:
    return [(r.record["eventName"], r.record["dynamodb"]["Keys"]["id"]["S"]) for r in _stream_records(dynamodb)]


def test_a_cancelled_transaction_leaves_items_and_stream_untouched(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.put_item(TableName="tx", Item={"id": {"S": "existing"}, "v": {"N": "1"}})
    items = [
        {"Put": {"TableName": "tx", "Item": {"id": {"S": "new"}}}},
        {"Put": {"TableName": "tx", "Item": {"id": {"S": "existing"}, "v": {"N": "2"}}}},
        {
            "Put": {
                "TableName": "tx",
                "Item": {"id": {"S": "guarded"}},
                "ConditionExpression": "attribute_exists(id)",
            }
        },
    ]

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=items)

    assert "Item" not in dynamodb.get_item(TableName="tx", Key={"id": {"S": "new"}})
    existing = dynamodb.get_item(TableName="tx", Key={"id": {"S": "existing"}})["Item"]
    assert existing["v"] == {"N": "1"}
    assert _stream_events(dynamodb) == [("INSERT", "existing")]


def test_a_committed_transaction_writes_its_stream_records_in_order(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.put_item(TableName="tx", Item={"id": {"S": "a"}})

    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "tx", "Item": {"id": {"S": "b"}}}},
            {"Delete": {"TableName": "tx", "Key": {"id": {"S": "a"}}}},
        ]
    )

    assert _stream_events(dynamodb) == [("INSERT", "a"), ("INSERT", "b"), ("REMOVE", "a")]
    table = dynamodb_backends["123456789012"]["us-east-1"].tables["tx"]
    numbers = [int(r.record["dynamodb"]["SequenceNumber"]) for r in _stream_records(dynamodb)]
    assert numbers == sorted(set(numbers))
    # Outside a transaction a table still deep-copies (backups rely on it).
    duplicate = copy.deepcopy(table)
    assert duplicate is not table
    assert duplicate.items is not table.items
