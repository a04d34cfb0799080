"""The request parsed and the Lambda proxy event built: headers, query strings, path parameters,
the request context, binary bodies.
"""

from __future__ import annotations

import base64
import json

import requests

from apigateway_support import ACCOUNT, KEY_VALUE, PNG_BYTES, STAGE, Gateway, fn_arn


def test_post_builds_the_rest_proxy_event(gateway: Gateway) -> None:
    response = requests.post(
        gateway.url("/items") + "?tag=a&tag=b&x=1",
        data=json.dumps({"name": "n-1"}),
        headers={"x-api-key": KEY_VALUE, "Content-Type": "application/json", "User-Agent": "pytest-agent"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.json() == {"ok": True}
    assert response.headers["X-Custom"] == "single"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]

    arn, event = gateway.fake.calls[-1]
    assert arn == fn_arn("fn-ok")
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    assert response.headers["x-amz-apigw-id"] == event["requestContext"]["extendedRequestId"]
    assert event["resource"] == "/items"
    assert event["path"] == "/items"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Api-Key"] == KEY_VALUE
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["User-Agent"] == ["pytest-agent"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert "Content-Length" not in event["headers"]
    assert event["queryStringParameters"] == {"tag": "b", "x": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "x": ["1"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] == {"env": "unit"}
    assert json.loads(event["body"]) == {"name": "n-1"}
    assert event["isBase64Encoded"] is False


def test_request_context(gateway: Gateway) -> None:
    requests.post(gateway.url("/items"), json={}, headers={"x-api-key": KEY_VALUE, "User-Agent": "ua/1"}, timeout=5)
    context = gateway.fake.last_event()["requestContext"]
    assert context["resourcePath"] == "/items"
    assert context["httpMethod"] == "POST"
    assert context["path"] == f"/{STAGE}/items"
    assert context["stage"] == STAGE
    assert context["apiId"] == gateway.api_id
    assert context["accountId"] == ACCOUNT
    assert context["protocol"] == "HTTP/1.1"
    assert len(context["requestId"]) == 36
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestTime"].endswith(" +0000")
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "ua/1"
    assert context["identity"]["apiKey"] == KEY_VALUE
    assert context["identity"]["apiKeyId"]


def test_path_parameters_are_decoded_and_empty_parts_are_none(gateway: Gateway) -> None:
    response = requests.get(gateway.url("/items/a%20b%2Fc"), timeout=5)
    assert response.status_code == 201
    event = gateway.fake.last_event()
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/a%20b%2Fc"
    assert event["pathParameters"] == {"id": "a b/c"}
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None
    assert "apiKey" not in event["requestContext"]["identity"]


def test_greedy_proxy_any_method_and_binary_bodies(gateway: Gateway) -> None:
    response = requests.put(
        gateway.url("/files/a/b/c.png"),
        data=PNG_BYTES,
        headers={"Content-Type": "image/png", "Accept": "image/png"},
        timeout=5,
    )
    event = gateway.fake.last_event()
    assert event["resource"] == "/files/{proxy+}"
    assert event["httpMethod"] == "PUT"
    assert event["pathParameters"] == {"proxy": "a/b/c.png"}
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG_BYTES
    # The client accepts a binaryMediaTypes type, so the base64 output becomes bytes.
    assert response.status_code == 200
    assert response.content == PNG_BYTES


def test_invalid_utf8_and_untyped_binary_are_base64(gateway: Gateway) -> None:
    requests.post(gateway.url("/files/x"), data=b"\xff\xfe", headers={"Content-Type": "text/plain"}, timeout=5)
    assert gateway.fake.last_event()["isBase64Encoded"] is True
    requests.post(gateway.url("/files/x"), data=b"abc", headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert gateway.fake.last_event()["body"] == base64.b64encode(b"abc").decode()
    response = requests.get(gateway.url("/files/x"), headers={"Accept": "application/json"}, timeout=5)
    assert response.text == base64.b64encode(PNG_BYTES).decode()  # not a binary Accept: left as text
