"""Fault injection (LocalStack's Chaos API and our extensions): the API's verbs,
request faults in each protocol as the SDK classifies them, the extensions,
latency, and what is never faulted. Lambda faults are in test_chaos_lambda.py."""

from __future__ import annotations

import json
import random
import time
from typing import Any, cast

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import QueryParser

from localcloud.__main__ import main as cli
from localcloud.testing import Cloud

FAULTS = "/_localcloud/chaos/faults"
EFFECTS = "/_localcloud/chaos/effects"


def _faults(cloud: Cloud, method: str, body: Any = None, path: str = FAULTS) -> Any:
    response = requests.request(method, cloud.endpoint_url + path, json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _counting_client(cloud: Cloud, service: str, attempts: int = 1) -> tuple[Any, list[str]]:
    """A client with botocore's standard retry mode and the list of attempts it sends."""
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    client = cloud.client(service, config)
    sent: list[str] = []
    client.meta.events.register("before-send", lambda **kwargs: sent.append(kwargs["request"].url))
    return client, sent


def _error(raised: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    response: Any = raised.value.response
    return {**response["Error"], "status": response["ResponseMetadata"]["HTTPStatusCode"]}


def _table(cloud: Cloud, name: str) -> None:
    cloud.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _put(table: str, item_id: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"id": {"S": item_id}}}}


# -- the API -----------------------------------------------------------------------------------------


def test_get_post_patch_delete_answer_the_rules_in_force(cloud: Cloud) -> None:
    s3_east = {"service": "s3", "region": "us-east-1"}
    lambda_any = {"service": "lambda"}
    kinesis = {"service": "kinesis", "operation": "PutRecord", "probability": 0.3}

    assert _faults(cloud, "GET") == []
    assert _faults(cloud, "POST", [s3_east, lambda_any]) == [s3_east, lambda_any]
    assert _faults(cloud, "PATCH", [kinesis]) == [s3_east, lambda_any, kinesis]
    assert _faults(cloud, "POST", [kinesis]) == [kinesis]  # POST replaces
    _faults(cloud, "PATCH", [s3_east, lambda_any])
    # DELETE removes the rules equal to a posted one; others, and unknown ones, change nothing.
    assert _faults(cloud, "DELETE", [{"service": "lambda"}, {"service": "sns"}]) == [kinesis, s3_east]
    assert _faults(cloud, "GET") == [kinesis, s3_east]
    assert _faults(cloud, "DELETE", []) == []
    _faults(cloud, "POST", [kinesis])
    response = requests.delete(cloud.endpoint_url + FAULTS, timeout=10)  # no body: all of them
    assert response.json() == []


def test_both_path_prefixes_serve_the_same_state(cloud: Cloud) -> None:
    rule = {"service": "sqs", "operation": "SendMessage"}
    _faults(cloud, "POST", [rule], path="/_localstack/chaos/faults")
    assert _faults(cloud, "GET") == [rule]
    _faults(cloud, "POST", {"latency": 5}, path=EFFECTS)
    assert _faults(cloud, "GET", path="/_localstack/chaos/effects") == {"latency": 5}
    _faults(cloud, "POST", [], path="/_localstack/chaos/faults")
    assert _faults(cloud, "GET") == []


@pytest.mark.parametrize(
    "rule",
    [
        {"service": "sqs", "probabilty": 0.5},
        {"probability": 2},
        {"count": 0},
        {"phase": "later"},
        {"error": {"statusCode": 200}},
        {"service": "lambda", "effect": "explode"},
        {"service": "sqs", "effect": "crash"},
        {"service": "lambda", "effect": "error", "error": {"code": "X"}},
    ],
)
def test_a_bad_rule_is_refused_and_nothing_changes(cloud: Cloud, rule: dict[str, Any]) -> None:
    _faults(cloud, "POST", [{"service": "sns"}])
    response = requests.patch(cloud.endpoint_url + FAULTS, json=[{"service": "sqs"}, rule], timeout=10)
    assert response.status_code == 400
    assert response.json()["message"]
    assert _faults(cloud, "GET") == [{"service": "sns"}]


# -- request faults, one per protocol, classified by the SDK as AWS's ----------------------------------


def test_dynamodb_json_a_validation_error_is_not_retried(cloud: Cloud) -> None:
    _table(cloud, "orders")
    error = {"statusCode": 400, "code": "ValidationException", "message": "nope"}
    _faults(cloud, "POST", [{"service": "dynamodb", "operation": "TransactWriteItems", "error": error}])
    dynamodb, sent = _counting_client(cloud, "dynamodb", attempts=3)

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_put("orders", "a")])

    assert _error(raised) == {"Code": "ValidationException", "Message": "nope", "status": 400}
    assert len(sent) == 1
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "b"}})  # another operation: untouched
    assert dynamodb.scan(TableName="orders")["Count"] == 1


def test_kinesis_json_throttling_is_retried_and_the_rule_retires_after_its_count(cloud: Cloud) -> None:
    cloud.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    error = {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}
    _faults(cloud, "POST", [{"service": "kinesis", "operation": "PutRecord", "count": 2, "error": error}])
    kinesis, sent = _counting_client(cloud, "kinesis", attempts=3)

    kinesis.put_record(StreamName="clicks", Data=b"x", PartitionKey="k")

    assert len(sent) == 3  # two throttled attempts, then the rule is spent
    assert _faults(cloud, "GET") == []
    kinesis.put_record(StreamName="clicks", Data=b"y", PartitionKey="k")
    assert len(sent) == 4


def test_sns_query_throttling_is_retried_and_a_sender_error_is_not(cloud: Cloud) -> None:
    topic = cloud.client("sns").create_topic(Name="events")["TopicArn"]
    throttled = {"statusCode": 400, "code": "Throttling"}
    _faults(cloud, "POST", [{"service": "sns", "operation": "Publish", "count": 1, "error": throttled}])
    sns, sent = _counting_client(cloud, "sns", attempts=3)

    sns.publish(TopicArn=topic, Message="hello")
    assert len(sent) == 2

    invalid = {"statusCode": 400, "code": "InvalidParameter", "message": "bad <topic> & more"}
    _faults(cloud, "POST", [{"service": "sns", "operation": "Publish", "error": invalid}])
    with pytest.raises(sns.exceptions.InvalidParameterException) as raised:
        sns.publish(TopicArn=topic, Message="hello")
    expected = {"Type": "Sender", "Code": "InvalidParameter", "Message": invalid["message"], "status": 400}
    assert _error(raised) == expected
    assert len(sent) == 3


def test_sqs_json_the_default_error_and_the_query_error_code(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="work")["QueueUrl"]
    _faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage"}])
    sqs, sent = _counting_client(cloud, "sqs", attempts=2)

    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="m")

    # LocalStack's default: 503 ServiceUnavailable, retried as any 503 is.
    assert _error(raised) == {
        "Code": "ServiceUnavailable",
        "QueryErrorCode": "ServiceUnavailable",
        "Type": "Receiver",
        "Message": "Service 'sqs' not accessible due to an outage",
        "status": 503,
    }
    assert len(sent) == 2

    error = {"statusCode": 400, "code": "InvalidParameterValue"}
    _faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage", "error": error}])
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="m")
    assert _error(raised)["Code"] == "InvalidParameterValue"
    assert _error(raised)["Type"] == "Sender"  # from x-amzn-query-error
    assert len(sent) == 3
    assert sqs.get_queue_url(QueueName="work")["QueueUrl"] == url


def test_sqs_query_form_is_matched_by_its_action(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="legacy")["QueueUrl"]
    _faults(cloud, "POST", [{"service": "sqs", "operation": "SendMessage", "resource": "legacy"}])
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
    _faults(cloud, "POST", [{"service": "lambda", "operation": "Invoke", "count": 1, "error": error}])
    lambda_, sent = _counting_client(cloud, "lambda", attempts=3)

    response = lambda_.invoke(FunctionName=name, Payload=b'{"a": 1}')

    assert json.loads(response["Payload"].read())["event"] == {"a": 1}
    assert len(sent) == 2

    error = {"statusCode": 400, "code": "InvalidParameterValueException"}
    _faults(cloud, "POST", [{"service": "lambda", "operation": "Invoke", "error": error}])
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException):
        lambda_.invoke(FunctionName=name, Payload=b"{}")
    assert len(sent) == 3
    assert lambda_.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_cloudwatch_cbor_error(cloud: Cloud) -> None:
    _faults(cloud, "POST", [{"service": "cloudwatch", "error": {"statusCode": 400, "code": "InvalidParameterValue"}}])
    cloudwatch, _ = _counting_client(cloud, "cloudwatch")

    with pytest.raises(ClientError) as raised:
        cloudwatch.list_metrics()

    assert _error(raised)["Code"] == "InvalidParameterValue"
    assert _error(raised)["Type"] == "Sender"


# -- the extensions --------------------------------------------------------------------------------


def test_resource_matches_a_queue_by_url_arn_or_name(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    target = sqs.create_queue(QueueName="target")["QueueUrl"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client, _ = _counting_client(cloud, "sqs")

    for resource in (target, arn, "targ"):
        _faults(cloud, "POST", [{"service": "sqs", "resource": resource}])
        with pytest.raises(ClientError):
            client.send_message(QueueUrl=target, MessageBody="m")
        client.send_message(QueueUrl=other, MessageBody="m")


def test_resource_matches_a_transaction_naming_the_table(cloud: Cloud) -> None:
    _table(cloud, "orders")
    _table(cloud, "audit")
    _faults(cloud, "POST", [{"operation": "TransactWriteItems", "resource": "orders"}])
    dynamodb, _ = _counting_client(cloud, "dynamodb")

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[_put("audit", "a"), _put("orders", "a")])
    dynamodb.transact_write_items(TransactItems=[_put("audit", "b")])

    assert dynamodb.scan(TableName="audit")["Count"] == 1


def test_phase_response_runs_the_operation_and_loses_the_reply(cloud: Cloud) -> None:
    _table(cloud, "orders")
    rule = {"service": "dynamodb", "operation": "PutItem", "phase": "response", "count": 1}
    _faults(cloud, "POST", [rule])
    dynamodb, _ = _counting_client(cloud, "dynamodb")

    with pytest.raises(ClientError) as raised:
        dynamodb.put_item(TableName="orders", Item={"id": {"S": "written"}})

    assert _error(raised)["status"] == 503
    assert "Item" in dynamodb.get_item(TableName="orders", Key={"id": {"S": "written"}})


def test_a_lost_transaction_reply_is_retried_by_the_sdk_with_the_same_token(cloud: Cloud) -> None:
    _table(cloud, "orders")
    rule = {"operation": "TransactWriteItems", "phase": "response", "count": 1}
    _faults(cloud, "POST", [rule])
    dynamodb, sent = _counting_client(cloud, "dynamodb", attempts=3)
    once = [{"Put": {**_put("orders", "a")["Put"], "ConditionExpression": "attribute_not_exists(id)"}}]

    # The first attempt commits, its reply is lost; the retry meets its own token and succeeds.
    dynamodb.transact_write_items(TransactItems=once, ClientRequestToken="token-1")

    assert len(sent) == 2
    assert dynamodb.scan(TableName="orders")["Count"] == 1


def _outcomes(cloud: Cloud, url: str, n: int) -> list[bool]:
    sqs, _ = _counting_client(cloud, "sqs")
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

    _faults(cloud, "POST", [rule])
    first = _outcomes(cloud, url, 30)
    _faults(cloud, "POST", [rule])  # posted again: its generator starts over
    second = _outcomes(cloud, url, 30)

    expected = random.Random(42)
    assert first == second == [expected.random() < 0.5 for _ in range(30)]
    assert 0 < sum(first) < 30


def test_probability_zero_never_fires(cloud: Cloud) -> None:
    url = cloud.client("sqs").create_queue(QueueName="never")["QueueUrl"]
    _faults(cloud, "POST", [{"service": "sqs", "probability": 0}])
    assert not any(_outcomes(cloud, url, 20))


# -- latency, and what no rule touches ------------------------------------------------------------------


def test_latency_is_added_to_aws_requests_until_set_to_zero(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    sqs.list_queues()
    assert _faults(cloud, "POST", {"latency": 300}, path=EFFECTS) == {"latency": 300}

    started = time.monotonic()
    sqs.list_queues()
    slow = time.monotonic() - started
    started = time.monotonic()
    requests.get(cloud.endpoint_url + "/_localcloud/health", timeout=5)
    control = time.monotonic() - started
    assert _faults(cloud, "POST", {"latency": 0}, path=EFFECTS) == {"latency": 0}
    started = time.monotonic()
    sqs.list_queues()
    fast = time.monotonic() - started

    assert slow >= 0.3
    assert control < 0.2
    assert fast < 0.2
    assert _faults(cloud, "GET", path=EFFECTS) == {"latency": 0}


def _gateway(cloud: Cloud) -> str:
    _, function_arn = cloud.function("proxy")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    operation = {"responses": {"201": {"description": "created"}}, "x-amazon-apigateway-integration": integration}
    body = {"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {"/items": {"post": operation}}}
    apigateway = cloud.client("apigateway")
    api = apigateway.import_rest_api(body=json.dumps(body).encode())
    apigateway.create_deployment(restApiId=api["id"], stageName="local")
    return f"{cloud.endpoint_url}/restapis/{api['id']}/local/_user_request_/items"


def test_a_rule_for_everything_spares_the_gateway_data_plane_and_the_local_cloud_endpoints(cloud: Cloud) -> None:
    url = _gateway(cloud)
    _faults(cloud, "POST", [{}])
    sqs, _ = _counting_client(cloud, "sqs")

    with pytest.raises(ClientError) as raised:
        sqs.list_queues()
    assert _error(raised)["status"] == 503
    assert requests.post(url, json={"a": 1}, timeout=10).status_code == 201
    assert requests.get(cloud.endpoint_url + "/_localcloud/health", timeout=5).status_code == 200


def test_requests_matching_no_rule_are_untouched(cloud: Cloud) -> None:
    _table(cloud, "orders")
    cloud.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    _faults(
        cloud,
        "POST",
        [
            {"service": "sqs", "operation": "SendMessage"},
            {"service": "dynamodb", "region": "eu-west-1"},
            {"service": "dynamodbstreams"},  # signs as "dynamodb", but is not DynamoDB's API
            {"service": "kinesis", "resource": "no-such-stream"},
        ],
    )
    dynamodb, sent = _counting_client(cloud, "dynamodb")

    dynamodb.put_item(TableName="orders", Item={"id": {"S": "a"}})
    cloud.client("sqs").list_queues()
    cloud.client("kinesis").put_record(StreamName="clicks", Data=b"x", PartitionKey="k")
    with pytest.raises(ClientError):
        cloud.client("dynamodbstreams").list_streams()

    assert len(sent) == 1
    assert len(_faults(cloud, "GET")) == 4


# -- the command line ----------------------------------------------------------------------------------


def test_cli_add_list_clear(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    port = str(cloud.server.port)
    rule = {"service": "sqs", "count": 2}

    assert cli(["chaos", "add", json.dumps(rule), "--port", port]) == 0
    assert json.loads(capsys.readouterr().out) == [rule]
    assert cli(["chaos", "add", json.dumps([{"service": "sns"}]), "--port", port]) == 0
    _faults(cloud, "POST", {"latency": 10}, path=EFFECTS)
    capsys.readouterr()
    assert cli(["chaos", "list", "--port", port]) == 0
    assert json.loads(capsys.readouterr().out) == {"faults": [rule, {"service": "sns"}], "effects": {"latency": 10}}
    assert cli(["chaos", "add", '{"probability": 3}', "--port", port]) == 1
    assert "probability" in capsys.readouterr().err
    assert cli(["chaos", "add", "{not json", "--port", port]) == 2

    assert cli(["chaos", "clear", "--port", port]) == 0

    assert "cleared 2 fault rule(s)" in capsys.readouterr().out
    assert _faults(cloud, "GET") == []
    assert _faults(cloud, "GET", path=EFFECTS) == {"latency": 0}
