"""Concurrent conditional writes and transactions are isolated, as in DynamoDB.

moto checks each condition and then writes, so without the local cloud's lock two
transactions guarded by the same head could both commit: the second overwrote the
first's item, and an accepted write vanished.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

from localcloud.testing import Cloud

WRITERS = 8
WRITES_EACH = 15


def _table(cloud: Cloud) -> Any:
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="log",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="log", Item={"pk": {"S": "s"}, "sk": {"S": "HEAD"}, "n": {"N": "0"}})
    return dynamodb


def _append(dynamodb: Any, writer: int, index: int) -> int:
    """Append one entry after the head, as the service accepts an event; the position it took."""
    while True:
        head = dynamodb.get_item(TableName="log", Key={"pk": {"S": "s"}, "sk": {"S": "HEAD"}}, ConsistentRead=True)
        position = int(head["Item"]["n"]["N"]) + 1
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "log",
                            "Key": {"pk": {"S": "s"}, "sk": {"S": "HEAD"}},
                            "UpdateExpression": "SET n = :next",
                            "ConditionExpression": "n = :seen",
                            "ExpressionAttributeValues": {
                                ":next": {"N": str(position)},
                                ":seen": {"N": str(position - 1)},
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": "log",
                            "Item": {
                                "pk": {"S": "s"},
                                "sk": {"S": f"E#{position:06d}"},
                                "w": {"S": f"{writer}-{index}"},
                            },
                            "ConditionExpression": "attribute_not_exists(sk)",
                        }
                    },
                ]
            )
            return position
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise


def test_concurrent_transactions_on_one_head_never_both_commit(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    committed: dict[int, str] = {}
    doubled: list[int] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        client = cloud.client("dynamodb")
        for index in range(WRITES_EACH):
            position = _append(client, number, index)
            with lock:
                if position in committed:
                    doubled.append(position)
                committed[position] = f"{number}-{index}"

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = {
        int(item["sk"]["S"][2:]): item["w"]["S"]
        for item in dynamodb.query(
            TableName="log",
            KeyConditionExpression="pk = :s AND begins_with(sk, :e)",
            ExpressionAttributeValues={":s": {"S": "s"}, ":e": {"S": "E#"}},
            ConsistentRead=True,
        )["Items"]
    }
    assert doubled == [], f"positions committed twice: {doubled}"
    assert stored == committed
    assert sorted(stored) == list(range(1, WRITERS * WRITES_EACH + 1))
