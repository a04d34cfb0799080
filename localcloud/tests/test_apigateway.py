"""The local API Gateway data plane, against a real in-process moto server.

The server's WSGI app is `wrap_wsgi_app(moto's app, fake_invoke)`: `fake_invoke`
stands in for the Lambda executor (built and tested elsewhere), records each
proxy event and answers per function name, so these tests exercise only the
gateway: routing, keys, the event, the response mapping and gateway responses.
The API is created through boto3 from an OpenAPI body, as Terraform does.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from moto.apigateway.models import APIGatewayBackend, GatewayResponse, apigateway_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from localcloud.apigateway.data_plane import install_import_fidelity, wrap_wsgi_app
from localcloud.apigateway.gateway_responses import (
    INVALID_API_KEY,
    RenderContext,
    parse_proxy_response,
    render_gateway_response,
    render_template,
)
from localcloud.apigateway.import_fidelity import operations_only, requires_api_key
from localcloud.apigateway.routes import find_rest_api

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "test"
KEY_VALUE = "local-test-key-0123456789abcdef"
DISABLED_KEY_VALUE = "disabled-key-0123456789abcdef"
OTHER_STAGE_KEY_VALUE = "other-stage-key-0123456789abcdef"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary"


def _fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _integration(name: str) -> dict[str, Any]:
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{_fn_arn(name)}/invocations"
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}


def _operation(name: str, **extra: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": _integration(name), **extra}


PUBLIC: dict[str, Any] = {"security": []}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "gateway-test", "version": "1"},  # no description: moto used to require one
    "security": [{"api_key": []}],  # every operation needs the key unless it says otherwise
    "components": {"securitySchemes": {"api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"}}},
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "paths": {
        "/items": {
            "summary": "path-level keys that are not operations must not break the import",
            "description": "the collection",
            "servers": [{"url": "https://example.com"}],
            "parameters": [{"name": "trace", "in": "header", "schema": {"type": "string"}}],
            "post": _operation("fn-ok"),
            "get": _operation("fn-ok", **PUBLIC),
        },
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": _operation("fn-ok", **PUBLIC),
        },
        "/items/stats": {"get": _operation("fn-ok", **PUBLIC)},
        "/files/{proxy+}": {"x-amazon-apigateway-any-method": _operation("fn-binary", **PUBLIC)},
        "/boom": {"post": _operation("fn-error", **PUBLIC)},
        "/malformed": {"get": _operation("fn-malformed", **PUBLIC)},
        "/unreachable": {"get": _operation("fn-raises", **PUBLIC)},
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
    app = wrap_wsgi_app(DomainDispatcherApplication(create_backend_app), fake)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
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


def _create_keys(client: Any, api_id: str) -> None:
    plan = client.create_usage_plan(name="plan", apiStages=[{"apiId": api_id, "stage": STAGE}])["id"]
    other_plan = client.create_usage_plan(name="other-plan", apiStages=[{"apiId": api_id, "stage": "other"}])["id"]
    for value, enabled, plan_id in (
        (KEY_VALUE, True, plan),
        (DISABLED_KEY_VALUE, False, plan),
        (OTHER_STAGE_KEY_VALUE, True, other_plan),
    ):
        key_id = client.create_api_key(name=value[:8], value=value, enabled=enabled)["id"]
        client.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")


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


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
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
    _create_keys(client, api_id)
    _create_gateway_responses(client, api_id)
    try:
        yield Gateway(base, api_id, fake, client)
    finally:
        client.delete_rest_api(restApiId=api_id)
        server.shutdown()


def _error_body(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


# --------------------------------------------------------------------------- import fidelity


def _methods(gateway: Gateway) -> dict[str, dict[str, Any]]:
    resources = gateway.client.get_resources(restApiId=gateway.api_id, embed=["methods"])["items"]
    return {r["path"]: r.get("resourceMethods", {}) for r in resources}


def test_import_sets_api_key_required_from_effective_security(gateway: Gateway) -> None:
    methods = _methods(gateway)
    assert methods["/items"]["POST"]["apiKeyRequired"] is True  # inherited top-level security
    assert methods["/items"]["GET"]["apiKeyRequired"] is False  # operation-level `security: []`
    assert methods["/items/{id}"]["GET"]["apiKeyRequired"] is False


def test_import_ignores_path_level_keys_and_maps_any_method(gateway: Gateway) -> None:
    methods = _methods(gateway)
    assert set(methods["/items"]) == {"GET", "POST"}
    assert set(methods["/items/{id}"]) == {"GET"}
    assert set(methods["/files/{proxy+}"]) == {"ANY"}


def test_root_resource_id_survives_an_overwrite(gateway: Gateway) -> None:
    resources = gateway.client.get_resources(restApiId=gateway.api_id)["items"]
    root = next(r["id"] for r in resources if r["path"] == "/")
    assert gateway.client.get_rest_api(restApiId=gateway.api_id)["rootResourceId"] == root


def test_import_rest_api_without_description_and_with_path_level_keys(gateway: Gateway) -> None:
    body = {
        "openapi": "3.0.1",
        "info": {"title": "imported", "version": "1"},
        "components": OPENAPI["components"],
        "paths": {
            "/things": {"parameters": [], "summary": "s", "put": _operation("fn-ok", security=[{"api_key": []}])}
        },
    }
    api_id = gateway.client.import_rest_api(body=json.dumps(body).encode())["id"]
    try:
        resources = gateway.client.get_resources(restApiId=api_id, embed=["methods"])["items"]
        things = next(r for r in resources if r["path"] == "/things")
        assert set(things["resourceMethods"]) == {"PUT"}
        assert things["resourceMethods"]["PUT"]["apiKeyRequired"] is True
    finally:
        gateway.client.delete_rest_api(restApiId=api_id)


def test_install_import_fidelity_is_idempotent() -> None:
    install_import_fidelity()
    patched = APIGatewayBackend.put_rest_api
    install_import_fidelity()
    assert APIGatewayBackend.put_rest_api is patched


def test_effective_security_rules() -> None:
    doc: dict[str, Any] = {"security": [{"key": []}]}
    assert requires_api_key({}, doc, {"key"}) is True
    assert requires_api_key({"security": []}, doc, {"key"}) is False
    assert requires_api_key({"security": [{"oauth": []}, {"key": []}]}, {}, {"key"}) is True
    assert requires_api_key({}, {}, {"key"}) is False
    assert operations_only({"paths": {"/a": {"$ref": "#/x", "get": {}}}})["paths"] == {"/a": {"get": {}}}


# --------------------------------------------------------------------------- the proxy event


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
    assert arn == _fn_arn("fn-ok")
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


def test_literal_segment_beats_path_parameter(gateway: Gateway) -> None:
    requests.get(gateway.url("/items/stats"), timeout=5)
    assert gateway.fake.last_event()["resource"] == "/items/stats"
    assert gateway.fake.last_event()["pathParameters"] is None


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


# --------------------------------------------------------------------------- API keys


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "not-a-key"}, {"x-api-key": DISABLED_KEY_VALUE}, {"x-api-key": OTHER_STAGE_KEY_VALUE}],
    ids=["missing", "unknown", "disabled", "other-stage-plan"],
)
def test_key_required_rejects_through_default_4xx(gateway: Gateway, headers: dict[str, str]) -> None:
    calls = len(gateway.fake.calls)
    response = requests.post(gateway.url("/items"), json={}, headers=headers, timeout=5)
    assert response.status_code == 403
    assert _error_body(response) == {"code": "client_error", "message": "Forbidden", "type": "INVALID_API_KEY"}
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert len(gateway.fake.calls) == calls  # the function never ran


def test_key_for_the_stage_plan_is_accepted_and_other_stage_key_works_there(gateway: Gateway) -> None:
    own = requests.post(gateway.url("/items"), json={}, headers={"x-api-key": KEY_VALUE}, timeout=5)
    assert own.status_code == 201
    other = requests.post(
        gateway.url("/items", stage="other"), json={}, headers={"x-api-key": OTHER_STAGE_KEY_VALUE}, timeout=5
    )
    assert other.status_code == 201


# --------------------------------------------------------------------------- gateway responses


@pytest.mark.parametrize(
    ("method", "path", "stage"),
    [("GET", "/nope", STAGE), ("DELETE", "/items", STAGE), ("GET", "/items", "no-such-stage"), ("GET", "/", STAGE)],
    ids=["unknown-path", "unknown-method", "unknown-stage", "root-without-methods"],
)
def test_unknown_route_answers_missing_authentication_token(
    gateway: Gateway, method: str, path: str, stage: str
) -> None:
    response = requests.request(method, gateway.url(path, stage=stage), timeout=5)
    assert response.status_code == 404  # the configured statusCode overrides the 403 default
    body = _error_body(response)
    assert body["code"] == "not_found"
    assert body["message"] == "Missing Authentication Token"
    assert body["type"] == "MISSING_AUTHENTICATION_TOKEN"
    assert body["requestId"] == response.headers["x-amzn-RequestId"]
    assert response.headers["X-Error-Source"] == "gateway"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_function_error_and_malformed_output_are_502_through_default_5xx(gateway: Gateway) -> None:
    for response in (
        requests.post(gateway.url("/boom"), timeout=5),
        requests.get(gateway.url("/malformed"), timeout=5),
    ):
        assert response.status_code == 502
        assert _error_body(response) == {
            "code": "server_error",
            "message": "Internal server error",
            "type": "DEFAULT_5XX",
        }


def test_executor_failure_is_an_integration_failure(gateway: Gateway) -> None:
    response = requests.get(gateway.url("/unreachable"), timeout=5)
    assert response.status_code == 500
    assert _error_body(response)["type"] == "INTEGRATION_FAILURE"


def test_a_fault_in_the_gateway_is_a_500_not_a_traceback(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    from localcloud.apigateway import data_plane

    def broken(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(data_plane, "route_table", broken)
    response = requests.get(gateway.url("/items/stats"), timeout=5)
    assert response.status_code == 500
    assert _error_body(response) == {"code": "server_error", "message": "Internal server error", "type": "DEFAULT_5XX"}


def test_body_over_10_mib_is_request_too_large(gateway: Gateway) -> None:
    calls = len(gateway.fake.calls)
    with requests.Session() as session:
        response = session.post(gateway.url("/items"), data=b"x" * (10 * 1024 * 1024 + 1), timeout=10)
        assert response.status_code == 413
        assert _error_body(response)["type"] == "REQUEST_TOO_LARGE"
        # The connection stays usable: the oversized body was drained, not parsed as a request.
        assert session.get(gateway.url("/items/stats"), timeout=5).status_code == 201
    assert len(gateway.fake.calls) == calls + 1


def test_unknown_api_is_404(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.base}/restapis/nosuchapi0/{STAGE}/_user_request_/items", timeout=5)
    assert response.status_code == 404
    assert "nosuchapi0" in response.json()["message"]


def test_builtin_default_when_nothing_is_configured() -> None:
    response = render_gateway_response(INVALID_API_KEY, {}, RenderContext(context={"requestId": "r"}))
    assert (response.status, json.loads(response.body)) == (403, {"message": "Forbidden"})


def test_configured_default_4xx_status_and_mapped_headers_apply_to_every_4xx_type() -> None:
    configured = {
        "DEFAULT_4XX": GatewayResponse(
            response_type="DEFAULT_4XX",
            status_code=400,
            response_parameters={
                "gatewayresponse.header.X-Trace": "method.request.header.X-Trace",
                "gatewayresponse.header.X-Stage": "stageVariables.env",
                "gatewayresponse.header.X-Request": "context.requestId",
                "gatewayresponse.header.X-Missing": "method.request.querystring.absent",
            },
            response_templates={},  # empty: the built-in template still renders the message
        )
    }
    ctx = RenderContext(
        context={"requestId": "r-9"}, stage_variables={"env": "dev"}, request_headers={"x-trace": "t-1"}
    )
    response = render_gateway_response(INVALID_API_KEY, configured, ctx)
    assert response.status == 400
    assert json.loads(response.body) == {"message": "Forbidden"}
    headers = dict(response.headers)
    assert (headers["X-Trace"], headers["X-Stage"], headers["X-Request"]) == ("t-1", "dev", "r-9")
    assert "X-Missing" not in headers


def test_template_rendering_quotes_message_string_and_keeps_unknown_references() -> None:
    ctx = RenderContext(
        context={"error.messageString": json.dumps('say "hi"'), "requestId": "r-1"},
        stage_variables={"env": "dev"},
    )
    rendered = render_template(
        '{"m":$context.error.messageString,"r":"${context.requestId}","e":"$stageVariables.env",'
        '"u":"$context.nope","q":"$!context.nope"}',
        ctx,
    )
    assert json.loads(rendered) == {"m": 'say "hi"', "r": "r-1", "e": "dev", "u": "$context.nope", "q": ""}


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "null",
        '"a string"',
        '{"statusCode": 200, "body": {"object": true}}',
        '{"statusCode": "abc"}',
        '{"statusCode": 200, "headers": {"X": 1}}',
        '{"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}}',
        '{"statusCode": 200, "extra": 1}',
        '{"errorMessage": "boom"}',
    ],
)
def test_malformed_proxy_responses(payload: str) -> None:
    assert parse_proxy_response(payload) is None


def test_proxy_response_defaults_and_header_merge() -> None:
    parsed = parse_proxy_response(
        '{"statusCode": "204", "headers": {"a": true, "B": "x"}, "multiValueHeaders": {"b": ["1", "2"]}}'
    )
    assert parsed is not None
    assert (parsed.status, parsed.body, parsed.is_base64_encoded) == (204, "", False)
    assert parsed.headers == [("a", "true"), ("b", "1"), ("b", "2")]


# --------------------------------------------------------------------------- routing cache and pass-through


def test_route_changes_are_served_after_redeploy(gateway: Gateway) -> None:
    client, api_id = gateway.client, gateway.api_id
    assert requests.get(gateway.url("/late"), timeout=5).status_code == 404
    root_id = next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    late_id = client.create_resource(restApiId=api_id, parentId=root_id, pathPart="late")["id"]
    client.put_method(restApiId=api_id, resourceId=late_id, httpMethod="GET", authorizationType="NONE")
    client.put_integration(
        restApiId=api_id, resourceId=late_id, httpMethod="GET", integrationHttpMethod="POST", **_aws_proxy("fn-ok")
    )
    deployment = client.create_deployment(restApiId=api_id)["id"]
    client.update_stage(
        restApiId=api_id,
        stageName=STAGE,
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )
    assert requests.get(gateway.url("/late"), timeout=5).status_code == 201
    client.delete_resource(restApiId=api_id, resourceId=late_id)
    assert requests.get(gateway.url("/late"), timeout=5).status_code == 404


def test_apis_are_found_in_any_region_and_dropped_backends_are_not_served() -> None:
    regions = apigateway_backends[ACCOUNT]
    api = regions["eu-west-3"].create_rest_api(name="elsewhere", description="")
    try:
        assert find_rest_api(api.id, REGION) is api  # not in the request's region: found by the search
        assert find_rest_api(api.id, REGION) is api  # and again from the remembered location
    finally:
        dict.pop(regions, "eu-west-3")  # as a moto reset or a test's cleanup drops a backend
    assert find_rest_api(api.id, REGION) is None


def _aws_proxy(name: str) -> dict[str, str]:
    integration = _integration(name)
    return {"type": "AWS_PROXY", "uri": integration["uri"]}


def test_other_requests_reach_moto_unchanged(gateway: Gateway) -> None:
    sentinel = [b"from the wrapped app"]

    def inner(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return sentinel

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    wrapped = wrap_wsgi_app(inner, FakeLambda())
    api = f"/restapis/{gateway.api_id}"
    for path in ("/", f"{api}/resources", f"{api}/{STAGE}/other/_user_request_"):
        assert wrapped({"PATH_INFO": path}, start_response) is sentinel
    # And through the server: a control-plane call is answered by moto itself.
    response = requests.get(f"{gateway.base}/restapis/{gateway.api_id}/resources", timeout=5)
    assert "x-amz-apigw-id" not in response.headers
    assert gateway.client.get_rest_api(restApiId=gateway.api_id)["name"] == "gateway-test"
