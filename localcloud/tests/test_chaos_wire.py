"""Request faults, one per protocol, in AWS's error shape: the SDK classifies and retries them
as it does AWS's own.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
import requests
from botocore.exceptions import ClientError
from botocore.parsers import QueryParser

from chaos_support import counting_client, create_table, error_of, faults, put
from localcloud.testing import Cloud


def test_dynamodb_json_a_validation_error_is_not_retried(cloud: Cloud) -> None:
    create_table(cloud, "orders")
    error = {"statusCode": 400, "code": "ValidationException", "message": "nope"}
    faults(cloud, "POST", [{"service": "dynamodb", "operation": "TransactWriteItems", "error": error}])
    dynamodb, sent = counting_client(cloud, "dynamodb", attempts=3)

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[put("orders", "a")])

    assert error_of(raised) == {"Code": "ValidationException", "Message": "nope", "status": 400}
    assert len(sent) == 1
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "b"}})  # another operation: untouched
    assert dynamodb.scan(TableName="orders")["Count"] == 1


def test_kinesis_json_throttling_is_retried_and_the_rule_retires_after_its_count(cloud: Cloud) -> None:
    cloud.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    error = {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}
    faults(cloud, "POST", [{"service": "kinesis", "operation": "PutRecord", "count": 2, "error": error}])
    kinesis, sent = counting_client(cloud, "kinesis", attempts=3)

    kinesis.put_record(StreamName="clicks", Data=b"x", PartitionKey="k")

    assert len(sent) == 3  # two throttled attempts, then the rule is spent
    assert faults(cloud, "GET") == []
    kinesis.put_record(StreamName="clicks", Data=b"y", PartitionKey="k")
    assert len(sent) == 4


def test_sns_query_throttling_is_retried_and_a_sender_error_is_not(cloud: Cloud) -> None:
    topic = cloud.client("sns").create_topic(Name="events")["TopicArn"]
    throttled = {"statusCode": 400, "code": "Throttling"}
    faults(cloud, "POST", [{"service": "sns", "operation": "Publish", "count": 1, "error": throttled}])
    sns, sent = counting_client(cloud, "sns", attempts=3)

    sns.publish(TopicArn=topic, Message="hello")
    assert len(sent) == 2

    invalid = {"statusCode": 400, "code": "InvalidParameter", "message": "bad <topic> & more"}
    faults(cloud, "POST", [{"service": "sns", "operation": "Publish", "error": invalid}])
    with pytest.raises(sns.exceptions.InvalidParameterException) as raised:
        sns.publish(TopicArn=topic, Message="hello")
    expected = {"Type": "Sender", "Code": "InvalidParameter", "Message": invalid["message"], "status": 400}
    assert error_of(raised) == expected
    assert len(sent) == 3


def test_sqs_json_the_default_error_and_the_query_error_code(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="work")["QueueUrl"]
    faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage"}])
    sqs, sent = counting_client(cloud, "sqs", attempts=2)

    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="m")

    # LocalStack's default: 503 ServiceUnavailable, retried as any 503 is.
    assert error_of(raised) == {
        "Code": "ServiceUnavailable",
        "QueryErrorCode": "ServiceUnavailable",
        "Type": "Receiver",
        "Message": "Service 'sqs' not accessible due to an outage",
        "status": 503,
    }
    assert len(sent) == 2

    error = {"statusCode": 400, "code": "InvalidParameterValue"}
    faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage", "error": error}])
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="m")
    assert error_of(raised)["Code"] == "InvalidParameterValue"
    assert error_of(raised)["Type"] == "Sender"  # from x-amzn-query-error
    assert len(sent) == 3
    assert sqs.get_queue_url(QueueName="work")["QueueUrl"] == url


def test_sqs_query_form_is_matched_by_its_action(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="legacy")["QueueUrl"]
    faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage", "resource": "legacy"}])
    signed = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def send(action: str) -> requests.Response:
        form = {"Action": action, "QueueUrl": url, "MessageBody": "m", "Version": "2012-11-05"}
        return requests.post(cloud.endpoint_url + "/", data=form, headers=signed, timeout=10)

    faulted = send("SendMessage")
    # What an SDK of SQS's query protocol reads from it.
    wire = {"status_code": faulted.status_code, "headers": faulted.headers, "body": faulted.content}
    error = QueryParser().parse(wire, cast(Any, None))["Error"]  # an error needs no output shape
    assert (faulted.status_code, error["Type"], error["Code"]) == (503, "Receiver", "ServiceUnavailable")
    assert send("GetQueueAttributes").status_code == 200


def test_lambda_rest_json_throttling_is_retried(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")
    error = {"statusCode": 429, "code": "TooManyRequestsException"}
    faults(cloud, "POST", [{"service": "lambda", "operation": "Invoke", "count": 1, "error": error}])
    lambda_, sent = counting_client(cloud, "lambda", attempts=3)

    response = lambda_.invoke(FunctionName=name, Payload=b'{"a": 1}')

    assert json.loads(response["Payload"].read())["event"] == {"a": 1}
    assert len(sent) == 2

    error = {"statusCode": 400, "code": "InvalidParameterValueException"}
    faults(cloud, "POST", [{"service": "lambda", "operation": "Invoke", "error": error}])
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException):
        lambda_.invoke(FunctionName=name, Payload=b"{}")
    assert len(sent) == 3
    assert lambda_.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_cloudwatch_cbor_error(cloud: Cloud) -> None:
    faults(cloud, "POST", [{"service": "cloudwatch", "error": {"statusCode": 400, "code": "InvalidParameterValue"}}])
    cloudwatch, _ = counting_client(cloud, "cloudwatch")

    with pytest.raises(ClientError) as raised:
        cloudwatch.list_metrics()

    assert error_of(raised)["Code"] == "InvalidParameterValue"
    assert error_of(raised)["Type"] == "Sender"
