"""Request validators, as API Gateway applies them before the integration: what the import keeps
(models, validators, each method's parameters and models), required parameters, JSON bodies
against their models, which checks each validator turns on, and the order against the API key.

Every refused request must leave the function uninvoked: the Lambda double records each call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from moto.apigateway.models import GatewayResponse

from apigateway_support import KEY_VALUE, OPENAPI, STAGE, Gateway, error_body, json_body, operation
from localcloud.apigateway.gateway_responses import RenderContext, bad_request_body, render_gateway_response
from localcloud.apigateway.request_validation import model_url

TENANT = {"X-Tenant": "acme"}
KEYED = {"x-api-key": KEY_VALUE, **TENANT}
GOOD_ORDER = {"item": "book", "quantity": 2}


def _send(gateway: Gateway, method: str, path: str, **kwargs: Any) -> tuple[requests.Response, int]:
    """The response and how many times the function ran for it."""
    before = len(gateway.fake.calls)
    response = requests.request(method, gateway.url(path), timeout=5, **kwargs)
    return response, len(gateway.fake.calls) - before


def _refused(response: requests.Response, invocations: int, response_type: str) -> dict[str, Any]:
    assert invocations == 0, "a request the validator refuses never reaches the function"
    assert response.status_code == 400, response.text
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    body = error_body(response)  # the API's DEFAULT_4XX template renders both types
    assert body["type"] == response_type
    return body


# -- what the import keeps -------------------------------------------------------------------------


def test_import_makes_a_model_per_schema_with_references_to_models(gateway: Gateway) -> None:
    models = {m["name"]: m for m in gateway.client.get_models(restApiId=gateway.api_id)["items"]}
    assert {"NewOrder", "Quantity"} <= set(models)
    new_order = json.loads(models["NewOrder"]["schema"])
    assert new_order["properties"]["quantity"] == {"$ref": model_url(gateway.api_id, "Quantity")}
    assert models["Quantity"]["description"] == "how many"
    assert models["NewOrder"]["contentType"] == "application/json"


def test_import_keeps_validators_and_each_method_s_parameters_and_models(gateway: Gateway) -> None:
    validators = {v["name"]: v for v in gateway.client.get_request_validators(restApiId=gateway.api_id)["items"]}
    assert set(validators) == {"all", "params-only", "body-only"}
    assert (
        validators["params-only"]["validateRequestBody"],
        validators["params-only"]["validateRequestParameters"],
    ) == (
        False,
        True,
    )
    resources = gateway.client.get_resources(restApiId=gateway.api_id, embed=["methods"])["items"]
    orders = next(r for r in resources if r["path"] == "/orders")["resourceMethods"]
    assert orders["POST"]["requestValidatorId"] == validators["all"]["id"]
    assert orders["POST"]["requestModels"] == {"application/json": "NewOrder"}
    assert orders["GET"]["requestParameters"] == {
        "method.request.header.X-Tenant": True,  # the path item's, by reference
        "method.request.querystring.customer": True,
        "method.request.querystring.page": False,
    }


def test_an_operation_without_a_validator_checks_nothing(gateway: Gateway) -> None:
    response, invocations = _send(gateway, "POST", "/orders/unchecked", json={"not": "an order"})
    assert (response.status_code, invocations) == (201, 1)


# -- parameters ------------------------------------------------------------------------------------


def test_missing_required_parameters_are_named(gateway: Gateway) -> None:
    response, invocations = _send(gateway, "GET", "/orders")
    body = _refused(response, invocations, "BAD_REQUEST_PARAMETERS")
    assert body["message"] == "Missing required request parameters: [X-Tenant, customer]"


@pytest.mark.parametrize(
    ("query", "headers"),
    [("customer=", TENANT), ("customer=%20", TENANT), ("customer=c1", {"X-Tenant": ""})],
    ids=["empty-query", "blank-query", "empty-header"],
)
def test_a_blank_required_parameter_is_missing(gateway: Gateway, query: str, headers: dict[str, str]) -> None:
    response, invocations = _send(gateway, "GET", f"/orders?{query}", headers=headers)
    _refused(response, invocations, "BAD_REQUEST_PARAMETERS")


def test_required_parameters_present_reach_the_function(gateway: Gateway) -> None:
    # Header names are case-insensitive; an optional parameter may be left out.
    response, invocations = _send(gateway, "GET", "/orders?customer=c1", headers={"x-tenant": "acme"})
    assert (response.status_code, invocations) == (201, 1)
    assert gateway.fake.last_event()["queryStringParameters"] == {"customer": "c1"}


def test_a_body_only_validator_does_not_check_parameters(gateway: Gateway) -> None:
    # PATCH /orders/{id} declares no required header; its validator checks the body only.
    response, invocations = _send(gateway, "PATCH", "/orders/o1", json={"note": "n"})
    assert (response.status_code, invocations) == (201, 1)


# -- body ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [{"item": "book"}, {"item": "book", "quantity": 11}, {"item": "", "quantity": 1}, {**GOOD_ORDER, "extra": 1}, []],
    ids=["missing-property", "nested-model-maximum", "min-length", "additional-property", "not-an-object"],
)
def test_a_body_that_fails_its_model_is_refused(gateway: Gateway, order: Any) -> None:
    response, invocations = _send(gateway, "POST", "/orders", json=order, headers=KEYED)
    body = _refused(response, invocations, "BAD_REQUEST_BODY")
    assert body["message"] == "Invalid request body"


@pytest.mark.parametrize("data", [b"{not json", b"", b"\xff\xfe"], ids=["not-json", "empty", "not-utf8"])
def test_a_body_that_is_not_json_is_refused(gateway: Gateway, data: bytes) -> None:
    headers = {**KEYED, "Content-Type": "application/json"}
    response, invocations = _send(gateway, "POST", "/orders", data=data, headers=headers)
    _refused(response, invocations, "BAD_REQUEST_BODY")


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON", None]
)
def test_the_json_model_applies_to_json_and_to_a_body_without_content_type(
    gateway: Gateway, content_type: str | None
) -> None:
    headers = {**KEYED, **({"Content-Type": content_type} if content_type else {})}
    bad, refused_invocations = _send(gateway, "POST", "/orders", data=b'{"item": "book"}', headers=headers)
    _refused(bad, refused_invocations, "BAD_REQUEST_BODY")
    good, invocations = _send(gateway, "POST", "/orders", data=json.dumps(GOOD_ORDER).encode(), headers=headers)
    assert (good.status_code, invocations) == (201, 1)
    assert json.loads(gateway.fake.last_event()["body"]) == GOOD_ORDER  # passed on unchanged


def test_a_media_type_without_a_model_is_not_checked(gateway: Gateway) -> None:
    headers = {**KEYED, "Content-Type": "text/plain"}
    response, invocations = _send(gateway, "POST", "/orders", data=b"not an order", headers=headers)
    assert (response.status_code, invocations) == (201, 1)


def test_an_inline_schema_is_checked_only_by_a_validator_that_checks_bodies(gateway: Gateway) -> None:
    refused, refused_invocations = _send(gateway, "PATCH", "/orders/o1", json={"other": 1})
    _refused(refused, refused_invocations, "BAD_REQUEST_BODY")
    unchecked, invocations = _send(gateway, "PUT", "/orders/o1", json={"other": 1})
    assert (unchecked.status_code, invocations) == (201, 1)


def test_parameters_are_checked_before_the_body(gateway: Gateway) -> None:
    response, invocations = _send(gateway, "POST", "/orders", json={}, headers={"x-api-key": KEY_VALUE})
    _refused(response, invocations, "BAD_REQUEST_PARAMETERS")


def test_the_api_key_is_checked_before_the_request(gateway: Gateway) -> None:
    response, invocations = _send(gateway, "POST", "/orders", json={})
    assert (response.status_code, invocations) == (403, 0)
    assert error_body(response)["type"] == "INVALID_API_KEY"


# -- what a validation error says -----------------------------------------------------------------


def test_validation_error_string_reaches_the_template() -> None:
    template = '{"message":$context.error.messageString,"detail":"$context.error.validationErrorString"}'
    response = render_gateway_response(
        bad_request_body(["quantity: 11 is greater than the maximum of 10"]),
        {"BAD_REQUEST_BODY": _configured(template)},
        RenderContext(context={}),
    )
    assert json.loads(response.body) == {
        "message": "Invalid request body",
        "detail": "[quantity: 11 is greater than the maximum of 10]",
    }


def _configured(template: str) -> GatewayResponse:
    return GatewayResponse(
        response_type="BAD_REQUEST_BODY",
        status_code=400,
        response_parameters={},
        response_templates={"application/json": template},
    )


# -- a new deployment of another body --------------------------------------------------------------


@pytest.fixture
def second_api(gateway: Gateway) -> Iterator[str]:
    api_id: str = gateway.client.create_rest_api(name="validated")["id"]
    try:
        yield api_id
    finally:
        gateway.client.delete_rest_api(restApiId=api_id)


def _deploy(gateway: Gateway, api_id: str, maximum: int) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "validated", "version": "1"},
        "components": {"schemas": {"Small": {"type": "integer", "maximum": maximum}}},
        "x-amazon-apigateway-request-validators": OPENAPI["x-amazon-apigateway-request-validators"],
        # The document's default validator applies to every operation without one of its own.
        "x-amazon-apigateway-request-validator": "all",
        "paths": {"/n": {"post": operation("fn-ok", **json_body({"$ref": "#/components/schemas/Small"}))}},
    }
    gateway.client.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(document).encode())
    deployment_id = gateway.client.create_deployment(restApiId=api_id)["id"]
    try:
        gateway.client.create_stage(restApiId=api_id, stageName=STAGE, deploymentId=deployment_id)
    except gateway.client.exceptions.ConflictException:
        gateway.client.update_stage(
            restApiId=api_id,
            stageName=STAGE,
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment_id}],
        )


def test_a_new_body_s_models_apply_at_once(gateway: Gateway, second_api: str) -> None:
    url = f"{gateway.base}/restapis/{second_api}/{STAGE}/_user_request_/n"
    _deploy(gateway, second_api, maximum=5)
    assert requests.post(url, json=7, timeout=5).status_code == 400
    _deploy(gateway, second_api, maximum=10)  # the compiled model must not outlive its body
    assert requests.post(url, json=7, timeout=5).status_code == 201
    assert len(gateway.client.get_request_validators(restApiId=second_api)["items"]) == 3  # replaced, not added
