"""The event payloads AWS services hand to Lambda, built from moto's models.

moto's own builders send fixed placeholder values (an SNS MessageId and
TopicArn of "EXAMPLE", receive counts of "1"); these carry the real ones.
"""

from __future__ import annotations

import base64
import copy
import time
import uuid
from datetime import UTC, datetime
from typing import Any


def iso_millis(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- SQS ----------------------------------------------------------------------


def _sqs_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    shaped = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        if value.get("StringValue") is not None:
            entry["stringValue"] = value["StringValue"]
        if value.get("BinaryValue") is not None:
            binary = value["BinaryValue"]
            if isinstance(binary, bytes):
                binary = base64.b64encode(binary).decode()
            entry["binaryValue"] = binary
        shaped[name] = entry
    return shaped


def sqs_record(message: Any, queue_arn: str, region: str, fifo: bool) -> dict[str, Any]:
    """One record of an SQS event from a received moto Message."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if fifo:
        attributes["SequenceNumber"] = str(message.sequence_number or "")
        attributes["MessageGroupId"] = str(message.group_id)
        attributes["MessageDeduplicationId"] = str(message.deduplication_id or "")
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if isinstance(trace, dict) and trace.get("StringValue"):
        attributes["AWSTraceHeader"] = trace["StringValue"]
    record: dict[str, Any] = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": _sqs_message_attributes(message.message_attributes),
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


# -- SNS ----------------------------------------------------------------------


def sns_event(
    subscription_arn: str,
    topic_arn: str,
    region: str,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    attributes = {
        name: {"Type": value.get("Type", "String"), "Value": value.get("Value")}
        for name, value in (message_attributes or {}).items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": iso_millis(),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


# -- Kinesis and DynamoDB streams ----------------------------------------------


def kinesis_record(record: Any, shard_id: str, stream_arn: str, region: str, role: str) -> dict[str, Any]:
    """One record of a Kinesis event from a moto kinesis Record (data is base64)."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": str(record.sequence_number),
            "data": record.data,
            "approximateArrivalTimestamp": round(record.created_at, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def _binary_as_text(value: Any) -> Any:
    """Binary (B, BS) values as AWS puts them in a Lambda event: base64 text (moto keeps bytes)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _binary_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_binary_as_text(item) for item in value]
    return value


def dynamodb_record(stream_record: Any, stream_arn: str, region: str) -> dict[str, Any]:
    """One record of a DynamoDB stream event from a moto StreamRecord."""
    record: dict[str, Any] = _binary_as_text(copy.deepcopy(stream_record.to_json()))
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # AWS sends whole epoch seconds here.
        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    record["awsRegion"] = region
    record["eventSourceARN"] = stream_arn
    return record


# -- EventBridge ----------------------------------------------------------------


def scheduled_event(account_id: str, region: str, rule_arn: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


# -- Lambda destinations ----------------------------------------------------------


def stream_failure_record(
    *,
    kind: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    error: str | None,
    shard_id: str,
    stream_arn: str,
    first: tuple[str, float],
    last: tuple[str, float],
    batch_size: int,
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination for a discarded stream batch."""
    batch_key = "KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo"
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if error:
        response["functionError"] = error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_millis(),
        batch_key: {
            "shardId": shard_id,
            "startSequenceNumber": first[0],
            "endSequenceNumber": last[0],
            "approximateArrivalOfFirstRecord": iso_millis(first[1]),
            "approximateArrivalOfLastRecord": iso_millis(last[1]),
            "batchSize": batch_size,
            "streamArn": stream_arn,
        },
    }
