"""The API Gateway data plane in front of an in-process moto server, over a Lambda double.

The server's WSGI app is `wrap_wsgi_app(moto's app, FakeLambda())` behind the user pool
token endpoint, as in the local cloud: the fake stands in for the Lambda executor (built and
tested elsewhere), records each proxy event and answers per function name, so the
test_apigateway_* modules exercise only the gateway: routing, keys, authorizers, the event,
the response mapping and gateway responses. The API is created
through boto3 from an OpenAPI body, as Terraform does. conftest.py's module-scoped
``gateway`` fixture is ``running_gateway()``: one gateway per test module.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from localcloud.apigateway.data_plane import install_import_fidelity, wrap_wsgi_app
from localcloud.cognitoidp.token_endpoint import wrap_wsgi_app as wrap_with_token_endpoint
from localcloud.http_server import PersistentConnectionServer

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "test"
KEY_VALUE = "local-test-key-0123456789abcdef"
DISABLED_KEY_VALUE = "disabled-key-0123456789abcdef"
OTHER_STAGE_KEY_VALUE = "other-stage-key-0123456789abcdef"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary"


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def lambda_integration(name: str) -> dict[str, Any]:
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn(name)}/invocations"
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}


def operation(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": lambda_integration(name),
        **extra,
    }


PUBLIC: dict[str, Any] = {"security": []}


def validated_by(name: str) -> dict[str, Any]:
    return {"x-amazon-apigateway-request-validator": name}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


NEW_ORDER_REF = {"$ref": "#/components/schemas/NewOrder"}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "gateway-test", "version": "1"},  # no description: moto used to require one
    "security": [{"api_key": []}],  # every operation needs the key unless it says otherwise
    "components": {
        "securitySchemes": {"api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        # Request validation: one schema refers to another; a parameter is shared by reference.
        "schemas": {
            "NewOrder": {
                "type": "object",
                "additionalProperties": False,
                "required": ["item", "quantity"],
                "properties": {
                    "item": {"type": "string", "minLength": 1},
                    "quantity": {"$ref": "#/components/schemas/Quantity"},
                },
            },
            "Quantity": {"type": "integer", "minimum": 1, "maximum": 10, "description": "how many"},
        },
        "parameters": {"Tenant": {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}},
    },
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "params-only": {"validateRequestBody": False, "validateRequestParameters": True},
        "body-only": {"validateRequestBody": True, "validateRequestParameters": False},
    },
    "paths": {
        "/items": {
            "summary": "path-level keys that are not operations must not break the import",
            "description": "the collection",
            "servers": [{"url": "https://example.com"}],
            "parameters": [{"name": "trace", "in": "header", "schema": {"type": "string"}}],
            "post": operation("fn-ok"),
            "get": operation("fn-ok", **PUBLIC),
        },
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": operation("fn-ok", **PUBLIC),
        },
        "/items/stats": {"get": operation("fn-ok", **PUBLIC)},
        "/files/{proxy+}": {"x-amazon-apigateway-any-method": operation("fn-binary", **PUBLIC)},
        "/orders": {
            "parameters": [{"$ref": "#/components/parameters/Tenant"}],
            "post": operation("fn-ok", **json_body(NEW_ORDER_REF), **validated_by("all")),  # needs the key
            "get": operation(
                "fn-ok",
                parameters=[
                    {"name": "customer", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                ],
                **PUBLIC,
                **validated_by("params-only"),
            ),
        },
        "/orders/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            # Inline schemas: the body is checked only where the validator says so.
            "put": operation(
                "fn-ok", **json_body({"type": "object", "required": ["note"]}), **PUBLIC, **validated_by("params-only")
            ),
            "patch": operation(
                "fn-ok", **json_body({"type": "object", "required": ["note"]}), **PUBLIC, **validated_by("body-only")
            ),
        },
        "/orders/unchecked": {"post": operation("fn-ok", **json_body(NEW_ORDER_REF), **PUBLIC)},
        "/boom": {"post": operation("fn-error", **PUBLIC)},
        "/malformed": {"get": operation("fn-malformed", **PUBLIC)},
        "/unreachable": {"get": operation("fn-raises", **PUBLIC)},
    },
}

NOT_FOUND_TEMPLATE = (
    '{"error":{"code":"not_found","message":$context.error.messageString,'
    '"type":"$context.error.responseType","requestId":"$context.requestId"}}'
)
DEFAULT_4XX_TEMPLATE = (
    '{"error":{"code":"client_error","message":$context.error.messageString,"type":"$context.error.responseType"}}'
)
DEFAULT_5XX_TEMPLATE = (
    '{"error":{"code":"server_error","message":"$context.error.message","type":"$context.error.responseType"}}'
)


@dataclass
class FakeLambda:
    """Test double for the Lambda executor: records events, answers by function name."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, function_arn: str, event: dict[str, Any]) -> tuple[str, bool]:
        self.calls.append((function_arn, event))
        name = function_arn.rsplit(":", 1)[-1]
        if name == "fn-raises":
            raise RuntimeError("the executor could not start the function")
        return _ANSWERS[name]

    def last_event(self) -> dict[str, Any]:
        return self.calls[-1][1]


_ANSWERS: dict[str, tuple[str, bool]] = {
    "fn-ok": (
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-Custom": "single", "Set-Cookie": "ignored=because-multi-wins"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": '{"ok": true}',
            }
        ),
        False,
    ),
    "fn-binary": (
        json.dumps(
            {
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(PNG_BYTES).decode(),
                "isBase64Encoded": True,
            }
        ),
        False,
    ),
    "fn-error": (json.dumps({"errorMessage": "boom", "errorType": "RuntimeError"}), True),
    "fn-malformed": (json.dumps({"statusCode": 200, "body": {"not": "a string"}}), False),
}


@dataclass(frozen=True)
class Gateway:
    base: str  # http://127.0.0.1:<port>
    api_id: str
    fake: FakeLambda
    client: Any

    def url(self, path: str, stage: str = STAGE) -> str:
        return f"{self.base}/restapis/{self.api_id}/{stage}/_user_request_{path}"


def _start_server(fake: FakeLambda) -> tuple[Any, str]:
    app = wrap_with_token_endpoint(wrap_wsgi_app(DomainDispatcherApplication(create_backend_app), fake))
    server = PersistentConnectionServer("127.0.0.1", 0, app)
    assert server.server_port != 4566  # never the developer's local cloud port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _create_api(client: Any) -> str:
    api_id: str = client.create_rest_api(name="gateway-test")["id"]
    client.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(OPENAPI).encode())
    deployment_id = client.create_deployment(restApiId=api_id)["id"]
    client.create_stage(restApiId=api_id, stageName=STAGE, deploymentId=deployment_id, variables={"env": "unit"})
    client.create_stage(restApiId=api_id, stageName="other", deploymentId=deployment_id)
    return api_id


def _create_keys(client: Any, api_id: str) -> tuple[list[str], list[str]]:
    """The usage plans and keys; returns their ids (moto's keys are global: a value exists once)."""
    plan = client.create_usage_plan(name="plan", apiStages=[{"apiId": api_id, "stage": STAGE}])["id"]
    other_plan = client.create_usage_plan(name="other-plan", apiStages=[{"apiId": api_id, "stage": "other"}])["id"]
    key_ids = []
    for value, enabled, plan_id in (
        (KEY_VALUE, True, plan),
        (DISABLED_KEY_VALUE, False, plan),
        (OTHER_STAGE_KEY_VALUE, True, other_plan),
    ):
        key_id = client.create_api_key(name=value[:8], value=value, enabled=enabled)["id"]
        client.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
        key_ids.append(key_id)
    return [plan, other_plan], key_ids


def _create_gateway_responses(client: Any, api_id: str) -> None:
    client.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.X-Error-Source": "'gateway'"},
        responseTemplates={"application/json": NOT_FOUND_TEMPLATE},
    )
    client.put_gateway_response(
        restApiId=api_id, responseType="DEFAULT_4XX", responseTemplates={"application/json": DEFAULT_4XX_TEMPLATE}
    )
    client.put_gateway_response(
        restApiId=api_id, responseType="DEFAULT_5XX", responseTemplates={"application/json": DEFAULT_5XX_TEMPLATE}
    )


def error_body(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def aws_proxy(name: str) -> dict[str, str]:
    integration = lambda_integration(name)
    return {"type": "AWS_PROXY", "uri": integration["uri"]}


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    install_import_fidelity()
    fake = FakeLambda()
    server, base = _start_server(fake)
    client = boto3.client(
        "apigateway",
        endpoint_url=base,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    api_id = _create_api(client)
    plan_ids, key_ids = _create_keys(client, api_id)
    _create_gateway_responses(client, api_id)
    try:
        yield Gateway(base, api_id, fake, client)
    finally:
        for key_id in key_ids:
            client.delete_api_key(apiKey=key_id)
        for plan_id in plan_ids:
            client.delete_usage_plan(usagePlanId=plan_id)
        client.delete_rest_api(restApiId=api_id)
        server.shutdown()
        server.server_close()
        server.close_connections()
