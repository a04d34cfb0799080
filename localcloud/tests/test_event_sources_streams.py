"""Kinesis and DynamoDB-stream event source mappings."""

from __future__ import annotations

import json
from collections import defaultdict

from localcloud.testing import Cloud, read_records, wait_for


def _stream(cloud: Cloud, name: str, shards: int) -> str:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return str(kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"])


def _destination(cloud: Cloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def test_kinesis_records_arrive_in_order_per_shard_in_batches(cloud: Cloud) -> None:
    arn = _stream(cloud, "ordered", shards=2)
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=5, StartingPosition="TRIM_HORIZON"
    )
    kinesis = cloud.client("kinesis")
    sent: dict[str, list[str]] = defaultdict(list)
    for n in range(30):
        key = f"key-{n % 4}"
        shard = kinesis.put_record(StreamName="ordered", Data=f"{key}:{n}".encode(), PartitionKey=key)["ShardId"]
        sent[shard].append(f"{key}:{n}")

    wait_for(lambda: len(read_records(records)) == 30)

    seen: dict[str, list[str]] = defaultdict(list)
    for record in read_records(records):
        seen[record["shard"]].append(record["data"])
    assert seen == sent
    assert len(sent) == 2  # the keys really spread over both shards


def test_kinesis_bisects_a_failing_batch_and_sends_the_poison_record_to_the_destination(cloud: Cloud) -> None:
    arn = _stream(cloud, "bisect", shards=1)
    kinesis = cloud.client("kinesis")
    sequences = {}
    for body in ("r0", "r1", "r2", "r3 poison", "r4", "r5"):
        sequences[body] = kinesis.put_record(StreamName="bisect", Data=body.encode(), PartitionKey="k")[
            "SequenceNumber"
        ]
    failures_url, failures_arn = _destination(cloud, "kinesis-failures")
    records = cloud.record_file()
    name, function_arn = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=10,
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )

    message = wait_for(lambda: cloud.client("sqs").receive_message(QueueUrl=failures_url).get("Messages"))

    failure = json.loads(message[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == function_arn
    info = failure["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequences["r3 poison"]
    assert info["streamArn"] == arn
    # Each invocation records its whole batch: the full batch fails, its
    # halves are tried in order, the failing half is split again, the lone
    # poison record is retried once (MaximumRetryAttempts=1) and given up.
    batches = ["r0 r1 r2 r3p r4 r5", "r0 r1 r2", "r3p r4 r5", "r3p", "r3p", "r4 r5"]
    expected = [body for batch in batches for body in batch.replace("r3p", "r3_poison").split()]
    assert [r["data"].replace(" ", "_") for r in read_records(records)] == expected


def test_kinesis_partial_failure_retries_from_the_first_failed_record(cloud: Cloud) -> None:
    arn = _stream(cloud, "checkpoint", shards=1)
    kinesis = cloud.client("kinesis")
    for body in ("c0", "c1 flaky", "c2"):
        kinesis.put_record(StreamName="checkpoint", Data=body.encode(), PartitionKey="k")
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records), "PARTIAL": "1"})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=10,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )

    wait_for(lambda: len(read_records(records)) == 5)

    # c0 is checkpointed; the retry starts at c1 and carries c2 again.
    assert [r["data"] for r in read_records(records)] == ["c0", "c1 flaky", "c2", "c1 flaky", "c2"]


def test_dynamodb_stream_mapping_delivers_changes_in_order(cloud: Cloud) -> None:
    dynamodb = cloud.client("dynamodb")
    table = dynamodb.create_table(
        TableName="events",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"], FunctionName=name, BatchSize=2, StartingPosition="LATEST"
    )

    dynamodb.put_item(TableName="events", Item={"id": {"S": "e1"}, "state": {"S": "accepted"}})
    dynamodb.put_item(TableName="events", Item={"id": {"S": "e1"}, "state": {"S": "processed"}})
    dynamodb.put_item(TableName="events", Item={"id": {"S": "e2"}, "state": {"S": "accepted"}})
    dynamodb.delete_item(TableName="events", Key={"id": {"S": "e2"}})

    wait_for(lambda: len(read_records(records)) == 4)

    seen = [json.loads(r["data"]) for r in read_records(records)]
    assert [(s["event"], s["keys"]["id"]["S"]) for s in seen] == [
        ("INSERT", "e1"),
        ("MODIFY", "e1"),
        ("INSERT", "e2"),
        ("REMOVE", "e2"),
    ]
    assert seen[1]["image"]["state"] == {"S": "processed"}
    sequence_numbers = [int(r["id"]) for r in read_records(records)]
    assert sequence_numbers == sorted(sequence_numbers)


def test_dynamodb_stream_filter_and_on_failure_destination(cloud: Cloud) -> None:
    dynamodb = cloud.client("dynamodb")
    table = dynamodb.create_table(
        TableName="outbox",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    failures_url, failures_arn = _destination(cloud, "table-stream-failures")
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"],
        FunctionName=name,
        BatchSize=1,
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=0,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )

    dynamodb.put_item(TableName="outbox", Item={"id": {"S": "a"}})
    dynamodb.put_item(TableName="outbox", Item={"id": {"S": "a"}, "v": {"N": "2"}})  # MODIFY: filtered out
    dynamodb.put_item(TableName="outbox", Item={"id": {"S": "poison"}})
    dynamodb.put_item(TableName="outbox", Item={"id": {"S": "b"}})

    message = wait_for(lambda: cloud.client("sqs").receive_message(QueueUrl=failures_url).get("Messages"))
    wait_for(lambda: len(read_records(records)) == 3)

    seen = [(json.loads(r["data"])["event"], json.loads(r["data"])["keys"]["id"]["S"]) for r in read_records(records)]
    assert seen == [("INSERT", "a"), ("INSERT", "poison"), ("INSERT", "b")]
    info = json.loads(message[0]["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == table["LatestStreamArn"]


def test_dynamodb_stream_binary_arrives_as_base64_and_filters_see_it(cloud: Cloud) -> None:
    dynamodb = cloud.client("dynamodb")
    table = dynamodb.create_table(
        TableName="keys",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    pattern = {"dynamodb": {"NewImage": {"entity": {"S": ["event"]}}}}
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"],
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )

    # Neither item may stall the shard: the filter reads records holding Binary, as on AWS.
    dynamodb.put_item(TableName="keys", Item={"id": {"S": "k"}, "entity": {"S": "key"}, "secret": {"B": b"\x00\xff"}})
    dynamodb.put_item(TableName="keys", Item={"id": {"S": "e"}, "entity": {"S": "event"}, "blob": {"B": b"\x01"}})

    wait_for(lambda: len(read_records(records)) == 1)
    (seen,) = [json.loads(r["data"]) for r in read_records(records)]
    assert seen["keys"] == {"id": {"S": "e"}}
    assert seen["image"]["blob"] == {"B": "AQ=="}
