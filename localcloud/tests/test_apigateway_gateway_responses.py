"""Gateway responses rendered from their templates, and the proxy response parsed: unknown
routes, function errors and malformed output, executor and gateway failures, the size limit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from moto.apigateway.models import GatewayResponse

from apigateway_support import STAGE, Gateway, error_body
from localcloud.apigateway.gateway_responses import (
    INVALID_API_KEY,
    RenderContext,
    parse_proxy_response,
    render_gateway_response,
    render_template,
)


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
    body = error_body(response)
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
        assert error_body(response) == {
            "code": "server_error",
            "message": "Internal server error",
            "type": "DEFAULT_5XX",
        }


def test_executor_failure_is_an_integration_failure(gateway: Gateway) -> None:
    response = requests.get(gateway.url("/unreachable"), timeout=5)
    assert response.status_code == 500
    assert error_body(response)["type"] == "INTEGRATION_FAILURE"


def test_a_fault_in_the_gateway_is_a_500_not_a_traceback(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    from localcloud.apigateway import data_plane

    def broken(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(data_plane, "route_table", broken)
    response = requests.get(gateway.url("/items/stats"), timeout=5)
    assert response.status_code == 500
    assert error_body(response) == {"code": "server_error", "message": "Internal server error", "type": "DEFAULT_5XX"}


def test_body_over_10_mib_is_request_too_large(gateway: Gateway) -> None:
    calls = len(gateway.fake.calls)
    with requests.Session() as session:
        response = session.post(gateway.url("/items"), data=b"x" * (10 * 1024 * 1024 + 1), timeout=10)
        assert response.status_code == 413
        assert error_body(response)["type"] == "REQUEST_TOO_LARGE"
        # The connection stays usable: the oversized body was drained, not parsed as a request.
        assert session.get(gateway.url("/items/stats"), timeout=5).status_code == 201
    assert len(gateway.fake.calls) == calls + 1


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
