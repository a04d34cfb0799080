"""A COGNITO_USER_POOLS authorizer from the OpenAPI body, enforced as API Gateway enforces it:
signature, issuer, expiry, token use and scopes, before the API key; UNAUTHORIZED through the
configured gateway response; the claims in the proxy event."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from apigateway_support import STAGE, Gateway, operation
from cognitoidp_support import MachineClient, foreign_key, machine_client, pool_key, signed

KEY = "authorizer-test-key-0123456789abcdef"
UNAUTHORIZED_TEMPLATE = (
    '{"error":{"code":"Unauthorized","message":$context.error.messageString,"request_id":"$context.requestId"}}'
)


@dataclass(frozen=True)
class Secured:
    gateway: Gateway
    api_id: str
    client: MachineClient

    def url(self, path: str) -> str:
        return f"{self.gateway.base}/restapis/{self.api_id}/{STAGE}/_user_request_{path}"

    def call(self, method: str, path: str, token: str | None, key: str | None = KEY) -> requests.Response:
        headers = {}
        if token is not None:
            headers["Authorization"] = token
        if key is not None:
            headers["x-api-key"] = key
        return requests.request(method, self.url(path), headers=headers, json={}, timeout=5)


def body(pool_arns: list[str], with_pool: bool = True) -> dict[str, Any]:
    schemes: dict[str, Any] = {
        "api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "sigv4": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    }
    if with_pool:
        schemes["pool"] = {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": pool_arns},
        }
    pool = "pool" if with_pool else "api_key"
    return {
        "openapi": "3.0.1",
        "info": {"title": "authorizer-test", "version": "1"},
        "components": {"securitySchemes": schemes},
        "paths": {
            "/read": {"get": operation("fn-ok", security=[{"api_key": [], pool: ["things/read"]}])},
            "/write": {"post": operation("fn-ok", security=[{"api_key": [], pool: ["things/write"]}])},
            "/ids": {"get": operation("fn-ok", security=[{pool: []}])},
            "/signed": {"get": operation("fn-ok", security=[{"api_key": [], "sigv4": []}])},
        },
    }


@pytest.fixture(scope="module")
def secured(gateway: Gateway) -> Iterator[Secured]:
    client, apigw = machine_client(gateway.base, "authorizer"), gateway.client
    api_id = apigw.create_rest_api(name="authorizer-test")["id"]
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(body([client.pool_arn])).encode())
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="UNAUTHORIZED",
        statusCode="401",
        responseTemplates={"application/json": UNAUTHORIZED_TEMPLATE},
    )
    apigw.create_stage(restApiId=api_id, stageName=STAGE, deploymentId=apigw.create_deployment(restApiId=api_id)["id"])
    plan = apigw.create_usage_plan(name="authorizer-plan", apiStages=[{"apiId": api_id, "stage": STAGE}])["id"]
    key_id = apigw.create_api_key(name="authorizer", value=KEY, enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=key_id, keyType="API_KEY")
    try:
        yield Secured(gateway, api_id, client)
    finally:
        apigw.delete_api_key(apiKey=key_id)
        apigw.delete_usage_plan(usagePlanId=plan)
        apigw.delete_rest_api(restApiId=api_id)


def assert_unauthorized(secured: Secured, response: requests.Response, calls_before: int) -> None:
    assert response.status_code == 401, response.text
    payload = response.json()
    assert set(payload) == {"error"}
    assert payload["error"]["code"] == "Unauthorized"
    assert payload["error"]["message"] == "Unauthorized"
    assert payload["error"]["request_id"] == response.headers["x-amzn-RequestId"]
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert len(secured.gateway.fake.calls) == calls_before, "the function must not run"


def test_a_valid_access_token_with_the_scope_reaches_the_function_with_its_claims(secured: Secured) -> None:
    token = secured.client.token()
    response = secured.call("POST", "/write", token)
    assert response.status_code == 201, response.text
    claims = secured.gateway.fake.last_event()["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] == claims["client_id"] == secured.client.client_id
    assert claims["scope"] == "things/read things/write"
    assert claims["iss"] == secured.client.issuer
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["version"] == "2"
    assert claims["exp"].endswith(f"UTC {time.gmtime().tm_year}") or claims["exp"].endswith(
        f"UTC {time.gmtime().tm_year + 1}"
    )


def test_bearer_and_one_of_the_method_s_scopes_are_enough(secured: Secured) -> None:
    assert secured.call("GET", "/read", "Bearer " + secured.client.token("things/read")).status_code == 201


def test_without_an_authorizer_the_event_has_no_authorizer(secured: Secured) -> None:
    assert secured.call("GET", "/signed", None).status_code == 201
    assert "authorizer" not in secured.gateway.fake.last_event()["requestContext"]


def _refused_tokens(client: MachineClient, other: MachineClient) -> dict[str, str | None]:
    now = int(time.time())
    key = pool_key(client)
    return {
        "missing": None,
        "empty": "Bearer ",
        "not_a_jwt": "not-a-token",
        "expired": signed(client.claims(exp=now - 1, iat=now - 3601), key),
        "without_expiry": signed({k: v for k, v in client.claims().items() if k != "exp"}, key),
        "signed_by_another_key": signed(client.claims(), foreign_key()),
        "without_a_kid": signed(client.claims(), key, kid=None),
        "of_another_pool": other.token(),
        "with_the_issuer_of_another_pool": signed(client.claims(iss=other.issuer), key),
        "an_id_token": signed(client.claims(token_use="id", aud=client.client_id), key),
        "without_the_method_s_scope": client.token("things/read"),
        "with_an_unsigned_header": "eyJhbGciOiJub25lIn0." + signed(client.claims(), key).split(".")[1] + ".",
    }


@pytest.fixture(scope="module")
def refused(secured: Secured) -> dict[str, str | None]:
    return _refused_tokens(secured.client, machine_client(secured.gateway.base, "other-pool"))


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "not_a_jwt",
        "expired",
        "without_expiry",
        "signed_by_another_key",
        "without_a_kid",
        "of_another_pool",
        "with_the_issuer_of_another_pool",
        "an_id_token",
        "without_the_method_s_scope",
        "with_an_unsigned_header",
    ],
)
def test_a_refused_token_is_a_401_through_the_gateway_response(
    secured: Secured, refused: dict[str, str | None], case: str
) -> None:
    calls = len(secured.gateway.fake.calls)
    assert_unauthorized(secured, secured.call("POST", "/write", refused[case]), calls)


def test_the_authorizer_runs_before_the_api_key(secured: Secured) -> None:
    calls = len(secured.gateway.fake.calls)
    assert_unauthorized(secured, secured.call("POST", "/write", None, key=None), calls)
    no_key = secured.call("POST", "/write", secured.client.token(), key=None)
    assert no_key.status_code == 403
    assert no_key.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_a_method_without_scopes_takes_id_tokens_only(secured: Secured) -> None:
    client, key = secured.client, pool_key(secured.client)
    id_token = signed(client.claims(token_use="id", aud=client.client_id, scope=None), key)
    assert secured.call("GET", "/ids", id_token, key=None).status_code == 201
    assert secured.gateway.fake.last_event()["requestContext"]["authorizer"]["claims"]["token_use"] == "id"
    calls = len(secured.gateway.fake.calls)
    assert_unauthorized(secured, secured.call("GET", "/ids", client.token(), key=None), calls)


def test_the_import_records_each_method_s_authorization(secured: Secured) -> None:
    apigw, api_id = secured.gateway.client, secured.api_id
    authorizers = apigw.get_authorizers(restApiId=api_id)["items"]
    assert [(a["name"], a["type"], a["providerARNs"], a["identitySource"]) for a in authorizers] == [
        ("pool", "COGNITO_USER_POOLS", [secured.client.pool_arn], "method.request.header.Authorization")
    ]
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api_id)["items"]}
    write = apigw.get_method(restApiId=api_id, resourceId=resources["/write"]["id"], httpMethod="POST")
    assert write["authorizationType"] == "COGNITO_USER_POOLS"
    assert write["authorizerId"] == authorizers[0]["id"]
    assert write["authorizationScopes"] == ["things/write"]
    assert write["apiKeyRequired"] is True
    signed_method = apigw.get_method(restApiId=api_id, resourceId=resources["/signed"]["id"], httpMethod="GET")
    assert signed_method["authorizationType"] == "AWS_IAM"  # recorded; IAM is not enforced locally


def test_an_overwrite_without_the_scheme_drops_the_authorizer(gateway: Gateway) -> None:
    client, apigw = machine_client(gateway.base, "overwrite"), gateway.client
    api_id = apigw.create_rest_api(name="authorizer-overwrite")["id"]
    try:
        apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(body([client.pool_arn])).encode())
        assert len(apigw.get_authorizers(restApiId=api_id)["items"]) == 1
        apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(body([], with_pool=False)).encode())
        assert apigw.get_authorizers(restApiId=api_id)["items"] == []
        resources = {r["path"]: r for r in apigw.get_resources(restApiId=api_id)["items"]}
        read = apigw.get_method(restApiId=api_id, resourceId=resources["/read"]["id"], httpMethod="GET")
        assert read["authorizationType"] == "NONE"
    finally:
        apigw.delete_rest_api(restApiId=api_id)
