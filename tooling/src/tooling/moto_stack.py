"""The resources the handlers use, created in moto, and Lambda events built from their real contents.

The events handed to handlers are made from what moto actually holds (stream
records, queue messages, Kinesis records), shaped as Lambda delivers them, so
the handlers are tested on real message bodies rather than hand-written ones.

The app's unit tests (tests/unit) and the bench (``tooling.bench``) share it:
the bench measures the handlers on the same resources the tests check them on.
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
TABLE = "events-test-events"


@functools.cache
def client(service: str) -> Any:
    """One boto3 client per service for the test helpers (creating one costs ~10 ms; moto's state is per mock)."""
    # moto knows the classic DynamoDB Streams endpoint, not botocore's account-based one.
    config = Config(account_id_endpoint_mode="disabled")
    return boto3.client(service, region_name=REGION, config=config)  # type: ignore[call-overload]


@dataclass(frozen=True)
class MotoStack:
    """What create_moto_stack made in moto: the names, ARNs and URLs the handlers are configured with."""

    table: str
    table_stream_arn: str
    standard_topic_arn: str
    fifo_topic_arn: str
    standard_queue_url: str
    standard_queue_arn: str
    standard_dlq_url: str
    fifo_queue_url: str
    fifo_queue_arn: str
    fifo_dlq_url: str
    stream_failure_queue_url: str
    stream_name: str

    def environment(self) -> dict[str, str]:
        return {
            "EVENTS_TABLE_NAME": self.table,
            "STANDARD_TOPIC_ARN": self.standard_topic_arn,
            "FIFO_TOPIC_ARN": self.fifo_topic_arn,
            "EVENTS_STREAM_NAME": self.stream_name,
            "DLQ_URLS": ",".join((self.standard_dlq_url, self.fifo_dlq_url, self.stream_failure_queue_url)),
            "RECONCILE_AFTER_SECONDS": "300",
            "POWERTOOLS_SERVICE_NAME": "events",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }


def create_table(dynamodb: Any, name: str = TABLE) -> str:
    """The events table as terraform/modules/data defines it; returns the stream ARN."""
    table = dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "pending_bucket", "AttributeType": "S"},
            {"AttributeName": "received_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "pending",
                "KeySchema": [
                    {"AttributeName": "pending_bucket", "KeyType": "HASH"},
                    {"AttributeName": "received_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


def create_moto_stack() -> MotoStack:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    kinesis = boto3.client("kinesis", region_name=REGION)

    stream_arn = create_table(dynamodb)
    standard_topic = sns.create_topic(Name="events-test")["TopicArn"]
    fifo_topic = sns.create_topic(Name="events-test.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    dlq_url = sqs.create_queue(QueueName="events-test-processor-dlq")["QueueUrl"]
    fifo_dlq_url = sqs.create_queue(QueueName="events-test-sequencer-dlq.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    failure_url = sqs.create_queue(QueueName="events-test-stream-failures")["QueueUrl"]
    # As terraform/modules/messaging sets them: a failed message returns, and the third failure dead-letters it.
    standard_url = sqs.create_queue(
        QueueName="events-test-processor", Attributes={"RedrivePolicy": _redrive(sqs, dlq_url)}
    )["QueueUrl"]
    fifo_url = sqs.create_queue(
        QueueName="events-test-sequencer.fifo",
        Attributes={"FifoQueue": "true", "RedrivePolicy": _redrive(sqs, fifo_dlq_url)},
    )["QueueUrl"]
    standard_arn = _queue_arn(sqs, standard_url)
    fifo_arn = _queue_arn(sqs, fifo_url)
    for topic, queue in ((standard_topic, standard_arn), (fifo_topic, fifo_arn)):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    kinesis.create_stream(StreamName="events-test", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    return MotoStack(
        table=TABLE,
        table_stream_arn=stream_arn,
        standard_topic_arn=standard_topic,
        fifo_topic_arn=fifo_topic,
        standard_queue_url=standard_url,
        standard_queue_arn=standard_arn,
        standard_dlq_url=dlq_url,
        fifo_queue_url=fifo_url,
        fifo_queue_arn=fifo_arn,
        fifo_dlq_url=fifo_dlq_url,
        stream_failure_queue_url=failure_url,
        stream_name="events-test",
    )


MAX_RECEIVE_COUNT = 3


def _redrive(sqs: Any, dlq_url: str) -> str:
    return json.dumps({"deadLetterTargetArn": _queue_arn(sqs, dlq_url), "maxReceiveCount": MAX_RECEIVE_COUNT})


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def dynamodb_stream_event(moto_stack: MotoStack) -> dict[str, Any]:
    """Every record on the table's stream so far, as the publisher Lambda receives them."""
    streams = client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    shards = streams.describe_stream(StreamArn=moto_stack.table_stream_arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=moto_stack.table_stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            record["dynamodb"].pop("ApproximateCreationDateTime", None)
            record["eventSourceARN"] = moto_stack.table_stream_arn
            records.append(record)
    return {"Records": records}


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    sqs = client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def sqs_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Received SQS messages in the shape of an SQS event source mapping's event."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def sqs_event_from_bodies(queue_arn: str, bodies: list[str], group: str | None = None) -> dict[str, Any]:
    """An SQS event for bodies that never went through SNS (poison messages, replays)."""
    attributes = {"MessageGroupId": group} if group else {}
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"r-{index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", **attributes},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for index, body in enumerate(bodies)
        ]
    }


def kinesis_event(moto_stack: MotoStack) -> dict[str, Any]:
    kinesis = client("kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=moto_stack.stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=moto_stack.stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in kinesis.get_records(ShardIterator=iterator)["Records"]:
            records.append(kinesis_record(record["Data"], record["PartitionKey"], record["SequenceNumber"]))
    return {"Records": records}


def kinesis_record(data: bytes, partition_key: str, sequence_number: str) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": 0,
        },
        "eventSource": "aws:kinesis",
        "eventName": "aws:kinesis:record",
        "awsRegion": REGION,
    }


def sns_event(topic_arn: str, message: str, attributes: dict[str, str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "sns-1",
                    "TopicArn": topic_arn,
                    "Message": message,
                    "MessageAttributes": {
                        name: {"Type": "String", "Value": value} for name, value in attributes.items()
                    },
                },
            }
        ]
    }


def body_json(message: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(message["Body"])
    return loaded


def api_event(
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    request_context: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event for ``POST /v1/events``, as API Gateway hands it to the function.

    ``request_context`` adds to (or replaces parts of) the request context: the caller's identity
    or authorizer claims, which a test client cannot set.
    """
    headers = headers or {"content-type": "application/json", "x-api-key": "bench", "host": "bench.example"}
    context: dict[str, Any] = {
        "resourcePath": "/v1/events",
        "httpMethod": "POST",
        "path": "/api/v1/events",
        "stage": "api",
        "requestId": request_id or str(uuid.uuid4()),
        "identity": {"sourceIp": "127.0.0.1", "apiKey": headers.get("x-api-key", "")},
    }
    return {
        "resource": "/v1/events",
        "path": "/v1/events",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {**context, **(request_context or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
