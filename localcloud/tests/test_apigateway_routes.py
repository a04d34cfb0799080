"""Routes and API keys from moto's state: matching, keys per stage plan, the cache after a
redeploy, APIs in any region, and what is not the data plane reaching moto unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from moto.apigateway.models import apigateway_backends

from apigateway_support import (
    ACCOUNT,
    DISABLED_KEY_VALUE,
    KEY_VALUE,
    OTHER_STAGE_KEY_VALUE,
    REGION,
    STAGE,
    FakeLambda,
    Gateway,
    aws_proxy,
    error_body,
)
from localcloud.apigateway.data_plane import wrap_wsgi_app
from localcloud.apigateway.routes import find_rest_api


def test_literal_segment_beats_path_parameter(gateway: Gateway) -> None:
    requests.get(gateway.url("/items/stats"), timeout=5)
    assert gateway.fake.last_event()["resource"] == "/items/stats"
    assert gateway.fake.last_event()["pathParameters"] is None


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "not-a-key"}, {"x-api-key": DISABLED_KEY_VALUE}, {"x-api-key": OTHER_STAGE_KEY_VALUE}],
    ids=["missing", "unknown", "disabled", "other-stage-plan"],
)
def test_key_required_rejects_through_default_4xx(gateway: Gateway, headers: dict[str, str]) -> None:
    calls = len(gateway.fake.calls)
    response = requests.post(gateway.url("/items"), json={}, headers=headers, timeout=5)
    assert response.status_code == 403
    assert error_body(response) == {"code": "client_error", "message": "Forbidden", "type": "INVALID_API_KEY"}
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert len(gateway.fake.calls) == calls  # the function never ran


def test_key_for_the_stage_plan_is_accepted_and_other_stage_key_works_there(gateway: Gateway) -> None:
    own = requests.post(gateway.url("/items"), json={}, headers={"x-api-key": KEY_VALUE}, timeout=5)
    assert own.status_code == 201
    other = requests.post(
        gateway.url("/items", stage="other"), json={}, headers={"x-api-key": OTHER_STAGE_KEY_VALUE}, timeout=5
    )
    assert other.status_code == 201


def test_route_changes_are_served_after_redeploy(gateway: Gateway) -> None:
    client, api_id = gateway.client, gateway.api_id
    assert requests.get(gateway.url("/late"), timeout=5).status_code == 404
    root_id = next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    late_id = client.create_resource(restApiId=api_id, parentId=root_id, pathPart="late")["id"]
    client.put_method(restApiId=api_id, resourceId=late_id, httpMethod="GET", authorizationType="NONE")
    client.put_integration(
        restApiId=api_id, resourceId=late_id, httpMethod="GET", integrationHttpMethod="POST", **aws_proxy("fn-ok")
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


def test_unknown_api_is_404(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.base}/restapis/nosuchapi0/{STAGE}/_user_request_/items", timeout=5)
    assert response.status_code == 404
    assert "nosuchapi0" in response.json()["message"]


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
