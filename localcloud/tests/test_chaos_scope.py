"""Latency, and what no rule touches: the gateway's data plane, the local cloud's own endpoints,
requests that match no rule.
"""

from __future__ import annotations

import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from chaos_support import EFFECTS, counting_client, create_table, error_of, faults
from localcloud.testing import Cloud


def test_latency_is_added_to_aws_requests_until_set_to_zero(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    sqs.list_queues()
    assert faults(cloud, "POST", {"latency": 300}, path=EFFECTS) == {"latency": 300}

    started = time.monotonic()
    sqs.list_queues()
    slow = time.monotonic() - started
    started = time.monotonic()
    requests.get(cloud.endpoint_url + "/_localcloud/health", timeout=5)
    control = time.monotonic() - started
    assert faults(cloud, "POST", {"latency": 0}, path=EFFECTS) == {"latency": 0}
    started = time.monotonic()
    sqs.list_queues()
    fast = time.monotonic() - started

    assert slow >= 0.3
    assert control < 0.2
    assert fast < 0.2
    assert faults(cloud, "GET", path=EFFECTS) == {"latency": 0}


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
    faults(cloud, "POST", [{}])
    sqs, _ = counting_client(cloud, "sqs")

    with pytest.raises(ClientError) as raised:
        sqs.list_queues()
    assert error_of(raised)["status"] == 503
    assert requests.post(url, json={"a": 1}, timeout=10).status_code == 201
    assert requests.get(cloud.endpoint_url + "/_localcloud/health", timeout=5).status_code == 200


def test_requests_matching_no_rule_are_untouched(cloud: Cloud) -> None:
    create_table(cloud, "orders")
    cloud.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    faults(
        cloud,
        "POST",
        [
            {"service": "sqs", "operation": "SendMessage"},
            {"service": "dynamodb", "region": "eu-west-1"},
            {"service": "dynamodbstreams"},  # signs as "dynamodb", but is not DynamoDB's API
            {"service": "kinesis", "resource": "no-such-stream"},
        ],
    )
    dynamodb, sent = counting_client(cloud, "dynamodb")

    dynamodb.put_item(TableName="orders", Item={"id": {"S": "a"}})
    cloud.client("sqs").list_queues()
    cloud.client("kinesis").put_record(StreamName="clicks", Data=b"x", PartitionKey="k")
    with pytest.raises(ClientError):
        cloud.client("dynamodbstreams").list_streams()

    assert len(sent) == 1
    assert len(faults(cloud, "GET")) == 4
