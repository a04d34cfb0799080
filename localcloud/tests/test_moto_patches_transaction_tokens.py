"""TransactWriteItems honours ClientRequestToken as DynamoDB does (moto ignores it)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.moto_patches import fidelity
from localcloud.testing import Cloud


def _table(cloud: Cloud) -> Any:
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="tokens",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def _put(item_id: str, value: str = "1") -> list[dict[str, Any]]:
    return [
        {
            "Put": {
                "TableName": "tokens",
                "Item": {"id": {"S": item_id}, "v": {"S": value}},
                "ConditionExpression": "attribute_not_exists(id)",
            }
        }
    ]


def test_the_same_token_and_items_succeed_again_without_writing(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.transact_write_items(TransactItems=_put("a"), ClientRequestToken="token-1")
    # The SDK's retry after a lost reply: without the token it would fail its condition.
    dynamodb.transact_write_items(TransactItems=_put("a"), ClientRequestToken="token-1")
    assert dynamodb.scan(TableName="tokens")["Count"] == 1


def test_the_same_token_with_other_items_is_a_mismatch(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.transact_write_items(TransactItems=_put("a"), ClientRequestToken="token-2")
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=_put("b"), ClientRequestToken="token-2")
    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert dynamodb.scan(TableName="tokens")["Count"] == 1


def test_a_cancelled_transaction_is_not_remembered(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.put_item(TableName="tokens", Item={"id": {"S": "taken"}})
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=_put("taken"), ClientRequestToken="token-3")
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    dynamodb.delete_item(TableName="tokens", Key={"id": {"S": "taken"}})
    dynamodb.transact_write_items(TransactItems=_put("taken", "2"), ClientRequestToken="token-3")
    item = dynamodb.get_item(TableName="tokens", Key={"id": {"S": "taken"}})["Item"]
    assert item["v"] == {"S": "2"}


def test_without_a_token_nothing_changes(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    dynamodb.transact_write_items(TransactItems=_put("a"))
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=_put("a"))
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_token_is_forgotten_after_its_window_and_a_reused_one_lives_on(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("localcloud.moto_patches.fidelity.time.monotonic", lambda: now[0])
    ledger = fidelity._TokenLedger()
    ledger.remember("old", "f1")
    now[0] += fidelity.TOKEN_WINDOW_SECONDS / 2
    ledger.remember("young", "f2")
    now[0] += fidelity.TOKEN_WINDOW_SECONDS / 4
    ledger.remember("old", "f1")  # committed again: a fresh window from now

    now[0] += fidelity.TOKEN_WINDOW_SECONDS * 0.9
    assert not ledger.seen("young", "f2")  # its window ended
    assert ledger.seen("old", "f1")
    with pytest.raises(fidelity.IdempotentParameterMismatch):
        ledger.seen("old", "other items")
    now[0] += fidelity.TOKEN_WINDOW_SECONDS
    assert not ledger.seen("old", "f1")
