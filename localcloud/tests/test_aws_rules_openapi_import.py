"""API Gateway's OpenAPI importer: warnings in the answer, failOnWarnings refusing them, bad input.

Against a running local cloud. The warnings' wording is AWS's (see ``aws_rules.openapi_import``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.aws_rules.openapi_import import INVALID_INPUT_MESSAGE
from localcloud.testing import Cloud

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fn"
INTEGRATION = {
    "type": "aws_proxy",
    "httpMethod": "POST",
    "uri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations",
}
CLEAN: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "clean", "version": "1"},
    "paths": {
        "/test": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}},
                    }
                },
                "x-amazon-apigateway-integration": {
                    **INTEGRATION,
                    "requestParameters": {"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
                },
            }
        }
    },
    "components": {"schemas": {"Empty": {"type": "object"}}},
}

# A request parameter that is not a string, as in LocalStack's AWS-recorded import.
PARAMETER_WARNING = (
    "Invalid format for 'requestParameters'. Expected type string for property "
    "'integration.request.header.nothing' of resource '/test' and method 'GET' but got 'true'"
)
MISSING_MODEL_WARNING = (
    "Parse issue: attribute paths.'/test'(get).responses.200.content.schema.#/components/schemas/Gone is missing"
)


def _warning_body(missing_model: bool = True) -> dict[str, Any]:
    body = copy.deepcopy(CLEAN)
    body["info"]["title"] = "warns"
    get = body["paths"]["/test"]["get"]
    get["x-amazon-apigateway-integration"]["requestParameters"]["integration.request.header.nothing"] = True
    if missing_model:
        get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/Gone"
    return body


def _encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def _api_names(client: Any) -> list[str]:
    return sorted(str(api["name"]) for api in client.get_rest_apis()["items"])


def _paths(client: Any, api_id: str) -> set[str]:
    return {str(r["path"]) for r in client.get_resources(restApiId=api_id)["items"]}


EXPECTED_REFUSAL = (
    "BadRequestException",
    f"Warnings found during import:\n\t{PARAMETER_WARNING}\n\t{MISSING_MODEL_WARNING}",
)


def test_import_with_fail_on_warnings_refuses_and_creates_nothing(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    with pytest.raises(ClientError) as refused:
        client.import_rest_api(body=_encoded(_warning_body()), failOnWarnings=True)
    assert _refusal(refused) == EXPECTED_REFUSAL
    assert _api_names(client) == []


def test_import_without_fail_on_warnings_answers_the_warnings(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    unset = client.import_rest_api(body=_encoded(_warning_body()))
    false = client.import_rest_api(body=_encoded(_warning_body()), failOnWarnings=False)
    for answer in (unset, false):
        assert answer["warnings"] == [PARAMETER_WARNING, MISSING_MODEL_WARNING]
        assert "/test" in _paths(client, answer["id"])


def test_put_with_fail_on_warnings_refuses_and_leaves_the_api_as_it_was(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    api_id = client.import_rest_api(body=_encoded(CLEAN), failOnWarnings=True)["id"]
    moved = _warning_body()
    moved["paths"]["/moved"] = moved["paths"].pop("/test")
    expected = (
        "BadRequestException",
        EXPECTED_REFUSAL[1].replace("'/test'", "'/moved'"),
    )
    for mode in ("overwrite", "merge"):
        with pytest.raises(ClientError) as refused:
            client.put_rest_api(restApiId=api_id, mode=mode, failOnWarnings=True, body=_encoded(moved))
        assert _refusal(refused) == expected, mode
        assert _paths(client, api_id) == {"/", "/test"}
    answer = client.put_rest_api(restApiId=api_id, mode="overwrite", body=_encoded(moved))
    assert len(answer["warnings"]) == 2
    assert _paths(client, api_id) == {"/", "/moved"}


def test_a_clean_definition_imports_with_fail_on_warnings(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    with pytest.raises(ClientError) as refused:  # the same API with warnings, to tell them apart
        client.import_rest_api(body=_encoded(_warning_body()), failOnWarnings=True)
    assert _refusal(refused) == EXPECTED_REFUSAL
    answer = client.import_rest_api(body=_encoded(CLEAN), failOnWarnings=True)
    assert "warnings" not in answer
    put = client.put_rest_api(restApiId=answer["id"], mode="overwrite", failOnWarnings=True, body=_encoded(CLEAN))
    assert "warnings" not in put
    assert _paths(client, answer["id"]) == {"/", "/test"}


def test_a_body_that_is_neither_json_nor_yaml_is_invalid_input(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    api_id = client.import_rest_api(body=_encoded(CLEAN))["id"]
    for bad in (b"{'key:value}", b'test:\n    value:\n        - "value ... \\"escaped\\": $(var +"%a")}\\"\n'):
        with pytest.raises(ClientError) as refused:
            client.import_rest_api(body=bad)
        assert _refusal(refused) == ("BadRequestException", INVALID_INPUT_MESSAGE)
        with pytest.raises(ClientError) as refused:
            client.put_rest_api(restApiId=api_id, body=bad)
        assert _refusal(refused) == ("BadRequestException", INVALID_INPUT_MESSAGE)


def test_an_openapi_3_1_definition_is_invalid_input(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    api_id = client.import_rest_api(body=_encoded(CLEAN))["id"]
    newer = {**CLEAN, "openapi": "3.1.0"}
    with pytest.raises(ClientError) as refused:
        client.import_rest_api(body=_encoded(newer))
    assert _refusal(refused) == ("BadRequestException", INVALID_INPUT_MESSAGE)
    with pytest.raises(ClientError) as refused:
        client.put_rest_api(restApiId=api_id, mode="overwrite", body=_encoded(newer))
    assert _refusal(refused) == ("BadRequestException", INVALID_INPUT_MESSAGE)
    assert [api["name"] for api in client.get_rest_apis()["items"]] == ["clean"]


def test_with_the_rules_off_moto_imports_without_warnings(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    body = _encoded(_warning_body(missing_model=False))
    with pytest.raises(ClientError) as refused:
        client.import_rest_api(body=body, failOnWarnings=True)
    assert _refusal(refused) == ("BadRequestException", f"Warnings found during import:\n\t{PARAMETER_WARNING}")
    with aws_rules.suspended():
        # moto's own failOnWarnings check (an OpenAPI validator) fails on a missing $ref with a 500.
        answer = client.import_rest_api(body=body, failOnWarnings=True)
    assert "warnings" not in answer
    assert "/test" in _paths(client, answer["id"])
