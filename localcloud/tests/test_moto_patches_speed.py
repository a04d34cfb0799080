"""moto's hot paths made cheap keep moto's (and DynamoDB's) results: transactions without
whole-table copies, queries that list only their partition, AttributeValues written as they are,
projections copied as they are, update expressions parsed once."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.parse import BaseJSONParser, JSONParser
from moto.core.serialize import BaseJSONSerializer, get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from localcloud.moto_patches import speed
from localcloud.moto_patches.internals import registered_backends
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


def _log_table(cloud: Cloud) -> Any:
    """A table with a range key and a sparse index, like the service's."""
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="log",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "bucket", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "pending",
                "KeySchema": [
                    {"AttributeName": "bucket", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def test_queries_see_only_their_partition_in_key_order_and_page_through_it(cloud: Cloud) -> None:
    dynamodb = _log_table(cloud)
    # Written out of key order, across partitions, some in the index.
    for number in (5, 1, 4, 2, 3):
        for pk in ("b", "a", "c"):
            item = {"pk": {"S": pk}, "sk": {"S": f"E#{number}"}}
            if number % 2:
                item |= {"bucket": {"S": pk}, "at": {"S": f"t{6 - number}"}}
            dynamodb.put_item(TableName="log", Item=item)

    def keys(**query: Any) -> list[str]:
        pages = dynamodb.get_paginator("query").paginate(TableName="log", PaginationConfig={"PageSize": 2}, **query)
        return [f"{i['pk']['S']}/{i['sk']['S']}" for page in pages for i in page["Items"]]

    partition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}
    assert keys(**partition) == [f"a/E#{n}" for n in range(1, 6)]
    assert keys(**partition, ScanIndexForward=False) == [f"a/E#{n}" for n in range(5, 0, -1)]
    ranged = {
        "KeyConditionExpression": "pk = :p AND sk > :s",
        "ExpressionAttributeValues": {":p": {"S": "c"}, ":s": {"S": "E#2"}},
    }
    assert keys(**ranged) == ["c/E#3", "c/E#4", "c/E#5"]
    index = {
        "IndexName": "pending",
        "KeyConditionExpression": "bucket = :b",
        "ExpressionAttributeValues": {":b": {"S": "b"}},
    }
    # The index orders by its own range key ("at" = t1 for E#5 ... t5 for E#1).
    assert keys(**index) == ["b/E#5", "b/E#3", "b/E#1"]
    # Outside a query the table's listing is still every item in key order.
    table = dynamodb_backends["123456789012"]["us-east-1"].tables["log"]
    listed = [(str(item.hash_key.value), str(getattr(item.range_key, "value", ""))) for item in table.all_items()]
    assert listed == sorted(listed)
    assert len(listed) == 15


EVERY_TYPE: dict[str, Any] = {
    "pk": {"S": "a"},
    "sk": {"S": "all"},
    "empty": {"S": ""},
    "n": {"N": "-12.5"},
    "yes": {"BOOL": True},
    "null": {"NULL": True},
    "strings": {"SS": ["x", "y"]},
    "numbers": {"NS": ["1", "2"]},
    "map": {"M": {"inner": {"L": [{"S": "deep"}, {"N": "1"}, {"M": {}}]}, "none": {"NULL": True}}},
    "list": {"L": []},
    "blob": {"B": b"\x00\xffbytes"},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "nested_blob": {"M": {"b": {"B": b"\x07"}}},
}


def _unordered_sets(item: dict[str, Any]) -> dict[str, Any]:
    """Top-level sets sorted: they are unordered on the wire."""
    return {
        name: {k: sorted(v) if k in ("SS", "NS", "BS") else v for k, v in value.items()} for name, value in item.items()
    }


def test_every_attribute_type_round_trips_through_put_get_query_and_batch_get(cloud: Cloud) -> None:
    dynamodb = _log_table(cloud)
    dynamodb.put_item(TableName="log", Item=EVERY_TYPE)

    key = {"pk": {"S": "a"}, "sk": {"S": "all"}}
    got = dynamodb.get_item(TableName="log", Key=key, ConsistentRead=True)["Item"]
    queried = dynamodb.query(
        TableName="log", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}
    )["Items"]
    batch = dynamodb.batch_get_item(RequestItems={"log": {"Keys": [key]}})["Responses"]["log"]

    assert _unordered_sets(got) == _unordered_sets(queried[0]) == _unordered_sets(batch[0])
    assert _unordered_sets(got) == _unordered_sets(EVERY_TYPE)


def test_plain_attribute_values_serialize_as_moto_would() -> None:
    speed.apply()
    method = BaseJSONSerializer._serialize_type_structure
    original = method.__wrapped__  # type: ignore[attr-defined]
    operation = get_service_model("dynamodb").operation_model("Query")
    plain = {name: value for name, value in EVERY_TYPE.items() if name not in ("blob", "blobs", "nested_blob")}
    result = {"Items": [plain, {"pk": {"S": "b"}, "sk": {"S": "x"}}], "Count": 2, "ScannedCount": 2}

    def body(structure_method: Any) -> Any:
        BaseJSONSerializer._serialize_type_structure = structure_method  # type: ignore[method-assign]
        try:
            serializer = get_serializer_class("dynamodb", "json")(operation_model=operation)
            return json.loads(serializer.serialize(result)["body"])
        finally:
            BaseJSONSerializer._serialize_type_structure = method  # type: ignore[method-assign]

    assert body(method) == body(original) == result


def test_attribute_values_parse_as_moto_parses_them() -> None:
    speed.apply()
    method = BaseJSONParser._parse_structure
    original = method.__wrapped__  # type: ignore[attr-defined]
    operation = get_service_model("dynamodb").operation_model("TransactWriteItems")
    # Every type, binary ones too (base64 on the wire, bytes once parsed), in a put and an update.
    wire = json.loads(json.dumps(EVERY_TYPE, default=lambda b: base64.b64encode(b).decode()))
    body = {
        "TransactItems": [
            {"Put": {"TableName": "log", "Item": wire, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": "log",
                    "Key": {"pk": wire["pk"], "sk": wire["sk"]},
                    "UpdateExpression": "SET m = :m, b = :b",
                    "ExpressionAttributeValues": {":m": wire["map"], ":b": wire["nested_blob"]},
                }
            },
        ],
        "ClientRequestToken": "token",
    }
    request = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(body).encode(), "url_path": "/"}

    def parsed(structure_method: Any) -> Any:
        BaseJSONParser._parse_structure = structure_method  # type: ignore[method-assign]
        try:
            return JSONParser(operation).parse(request)  # type: ignore[arg-type]
        finally:
            BaseJSONParser._parse_structure = method  # type: ignore[method-assign]

    ours, motos = parsed(method), parsed(original)
    assert ours == motos
    assert ours["TransactItems"][0]["Put"]["Item"]["blob"] == {"B": EVERY_TYPE["blob"]["B"]}


PROJECTIONS = [
    [["yes"], ["n"]],
    [["empty"], ["absent"]],
    [["map"]],
    [["map", "inner"]],
    [["list[0]"]],
    [["blob"], ["nested_blob"], ["blobs"]],
    [[name] for name in EVERY_TYPE],
]


@pytest.mark.parametrize("paths", PROJECTIONS, ids=lambda paths: ",".join(".".join(p) for p in paths))
def test_a_projection_keeps_what_moto_projects(paths: list[list[str]]) -> None:
    speed.apply()
    item = Item(hash_key=DynamoType(EVERY_TYPE["pk"]), range_key=DynamoType(EVERY_TYPE["sk"]), attrs=EVERY_TYPE)
    original = Item.project.__wrapped__  # type: ignore[attr-defined]

    projected, by_moto = item.project(paths), original(item, paths)
    assert _unordered_sets(projected.to_json()["Attributes"]) == _unordered_sets(by_moto.to_json()["Attributes"])
    assert projected.size() == by_moto.size()
    assert projected.attrs == by_moto.attrs
    # A copy: changing what was read leaves the stored item as it was.
    for value in projected.attrs.values():
        assert all(value is not stored for stored in item.attrs.values())


def test_projected_reads_answer_the_named_attributes(cloud: Cloud) -> None:
    dynamodb = _log_table(cloud)
    dynamodb.put_item(TableName="log", Item=EVERY_TYPE)
    key = {"pk": {"S": "a"}, "sk": {"S": "all"}}

    got = dynamodb.get_item(
        TableName="log", Key=key, ProjectionExpression="yes, #m, absent", ExpressionAttributeNames={"#m": "map"}
    )["Item"]
    batch = dynamodb.batch_get_item(
        RequestItems={
            "log": {
                "Keys": [key],
                "ProjectionExpression": "#n, #b",
                "ExpressionAttributeNames": {"#n": "n", "#b": "blob"},
            }
        }
    )["Responses"]["log"]

    assert got == {"yes": EVERY_TYPE["yes"], "map": EVERY_TYPE["map"]}
    assert batch == [{"n": EVERY_TYPE["n"], "blob": EVERY_TYPE["blob"]}]


def test_one_update_expression_applies_to_each_item_with_its_own_values(cloud: Cloud) -> None:
    dynamodb = _table(cloud)
    expression = "SET v = :v ADD hits :one"
    for name, value in (("a", "1"), ("b", "2"), ("a", "3")):
        dynamodb.update_item(
            TableName="tx",
            Key={"id": {"S": name}},
            UpdateExpression=expression,
            ExpressionAttributeValues={":v": {"S": value}, ":one": {"N": "1"}},
        )
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "tx",
                    "Key": {"id": {"S": "b"}},
                    "UpdateExpression": expression,
                    "ExpressionAttributeValues": {":v": {"S": "4"}, ":one": {"N": "1"}},
                }
            }
        ]
    )

    a = dynamodb.get_item(TableName="tx", Key={"id": {"S": "a"}})["Item"]
    b = dynamodb.get_item(TableName="tx", Key={"id": {"S": "b"}})["Item"]
    assert (a["v"], a["hits"]) == ({"S": "3"}, {"N": "2"})
    assert (b["v"], b["hits"]) == ({"S": "4"}, {"N": "2"})
    for _ in range(2):  # a refused expression is refused again, not remembered as parsed
        with pytest.raises(ClientError, match="ValidationException"):
            dynamodb.update_item(
                TableName="tx",
                Key={"id": {"S": "a"}},
                UpdateExpression="SET = :v",
                ExpressionAttributeValues={":v": {"S": "x"}},
            )


def test_backends_by_account_are_found_created_and_registered_as_moto_does(cloud: Cloud) -> None:
    """A known account is the same backend; a new one is built and registered; after moto's reset
    (which empties its registry) a lookup registers the service again."""
    registry = registered_backends()
    cloud.client("dynamodb").list_tables()
    known = dynamodb_backends["123456789012"]
    assert dynamodb_backends["123456789012"] is known
    assert any(backends is dynamodb_backends for backends in registry)

    other = dynamodb_backends["210987654321"]
    assert other is not known
    assert dict.__contains__(dynamodb_backends, "210987654321")

    saved = list(registry)
    registry.clear()
    try:
        assert dynamodb_backends["123456789012"] is known
        assert any(backends is dynamodb_backends for backends in registry)
    finally:
        registry[:] = saved
        dict.pop(dynamodb_backends, "210987654321")
