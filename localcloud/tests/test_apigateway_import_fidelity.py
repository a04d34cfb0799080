"""moto's OpenAPI import made to keep what the data plane needs: API key requirements from the
effective security, path-level keys that are not operations, the root resource.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.apigateway.models import APIGatewayBackend

from apigateway_support import OPENAPI, Gateway, operation
from localcloud.apigateway.data_plane import install_import_fidelity
from localcloud.apigateway.import_fidelity import operations_only, requires_api_key


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
        "paths": {"/things": {"parameters": [], "summary": "s", "put": operation("fn-ok", security=[{"api_key": []}])}},
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


def test_a_valid_body_with_any_method_imports_with_fail_on_warnings(gateway: Gateway) -> None:
    """The check failOnWarnings asks for reads the document as written, not the import's rewrite of
    ``x-amazon-apigateway-any-method`` (moto's ``any`` is no OpenAPI method)."""
    gateway.client.put_rest_api(
        restApiId=gateway.api_id, mode="overwrite", failOnWarnings=True, body=json.dumps(OPENAPI).encode()
    )
    assert set(_methods(gateway)["/files/{proxy+}"]) == {"ANY"}


def test_fail_on_warnings_still_refuses_a_body_that_is_not_openapi(gateway: Gateway) -> None:
    body = {**OPENAPI, "paths": {"/broken": {"get": {"responses": "none"}}}}
    with pytest.raises(ClientError) as refused:
        gateway.client.put_rest_api(
            restApiId=gateway.api_id, mode="merge", failOnWarnings=True, body=json.dumps(body).encode()
        )
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert "Failed to parse the uploaded OpenAPI document" in refused.value.response["Error"]["Message"]
    assert "/broken" not in _methods(gateway)
