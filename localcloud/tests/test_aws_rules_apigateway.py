"""API Gateway refuses stage logging until the account has a CloudWatch role it can assume.

Against a running local cloud, which starts as a new account does: no role in account settings.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.aws_rules.apigateway import NO_ROLE_MESSAGE, ROLE_NOT_ASSUMABLE_MESSAGE
from localcloud.testing import ROLE_POLICY, Cloud

LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:access"
API_GATEWAY_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

# The patch operations of Terraform's aws_api_gateway_stage (access_log_settings, sent in the
# UpdateStage after CreateStage) and aws_api_gateway_method_settings (logging_level, data_trace).
ACCESS_LOGS = [
    {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": LOG_GROUP},
    {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
]
EXECUTION_LOGS_INFO = [{"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}]
EXECUTION_LOGS_ERROR = [{"op": "replace", "path": "/items/GET/logging/loglevel", "value": "ERROR"}]
DATA_TRACE = [{"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"}]
LOGGING_ON = [ACCESS_LOGS, EXECUTION_LOGS_INFO, EXECUTION_LOGS_ERROR, DATA_TRACE]


def _api_with_stage(cloud: Cloud) -> tuple[Any, str]:
    """A REST API with one MOCK method, deployed to stage ``live`` by CreateStage (as Terraform does)."""
    client = cloud.client("apigateway")
    api_id = client.create_rest_api(name="logs")["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    client.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = client.create_deployment(restApiId=api_id)["id"]
    client.create_stage(restApiId=api_id, stageName="live", deploymentId=deployment)
    return client, api_id


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def _role(cloud: Cloud, name: str, trust: str) -> str:
    # IAM outlives each test's cloud in this process (testing.running_cloud): unique names.
    unique = f"{name}-{uuid.uuid4().hex[:6]}"
    return str(cloud.client("iam").create_role(RoleName=unique, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def _set_account_role(client: Any, arn: str) -> dict[str, Any]:
    ops = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    return dict(client.update_account(patchOperations=ops))


def _refused_without_role(client: Any, api_id: str, ops: list[dict[str, str]]) -> None:
    with pytest.raises(ClientError) as refused:
        client.update_stage(restApiId=api_id, stageName="live", patchOperations=ops)
    assert _refusal(refused) == ("BadRequestException", NO_ROLE_MESSAGE), ops


def test_a_new_account_refuses_every_way_of_turning_stage_logging_on_and_nothing_else(cloud: Cloud) -> None:
    client, api_id = _api_with_stage(cloud)
    assert not client.get_account().get("cloudwatchRoleArn")
    for ops in LOGGING_ON:
        _refused_without_role(client, api_id, ops)
    stage = client.get_stage(restApiId=api_id, stageName="live")
    assert not stage.get("accessLogSettings", {}).get("destinationArn")
    assert not stage.get("methodSettings")
    # AWS refuses logging, not every stage update: these need no role.
    quiet = [
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        {"op": "replace", "path": "/description", "value": "no logs"},
    ]
    stage = client.update_stage(restApiId=api_id, stageName="live", patchOperations=quiet)
    assert stage["description"] == "no logs"
    assert stage["tracingEnabled"] is True


def test_update_account_refuses_a_role_api_gateway_cannot_assume(cloud: Cloud) -> None:
    client = cloud.client("apigateway")
    missing = "arn:aws:iam::123456789012:role/no-such-role"
    lambda_only = _role(cloud, "apigw-rules-lambda-only", ROLE_POLICY)
    for arn in (missing, lambda_only):
        with pytest.raises(ClientError) as refused:
            _set_account_role(client, arn)
        assert _refusal(refused) == ("BadRequestException", ROLE_NOT_ASSUMABLE_MESSAGE), arn
    assert not client.get_account().get("cloudwatchRoleArn")


def test_once_the_account_role_is_set_logging_stages_are_accepted(cloud: Cloud) -> None:
    client, api_id = _api_with_stage(cloud)
    _refused_without_role(client, api_id, ACCESS_LOGS)
    role = _role(cloud, "apigw-rules-cloudwatch", API_GATEWAY_TRUST)
    assert _set_account_role(client, role)["cloudwatchRoleArn"] == role
    assert client.get_account()["cloudwatchRoleArn"] == role
    for ops in LOGGING_ON:
        client.update_stage(restApiId=api_id, stageName="live", patchOperations=ops)
    stage = client.get_stage(restApiId=api_id, stageName="live")
    assert stage["accessLogSettings"]["destinationArn"] == LOG_GROUP
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    assert stage["methodSettings"]["*/*"]["dataTraceEnabled"] is True


def test_with_the_rules_off_moto_accepts_logging_and_any_role(cloud: Cloud) -> None:
    client, api_id = _api_with_stage(cloud)
    _refused_without_role(client, api_id, ACCESS_LOGS)
    with aws_rules.suspended():
        client.update_stage(restApiId=api_id, stageName="live", patchOperations=ACCESS_LOGS)
        missing = "arn:aws:iam::123456789012:role/no-such-role"
        assert _set_account_role(client, missing)["cloudwatchRoleArn"] == missing
    assert client.get_stage(restApiId=api_id, stageName="live")["accessLogSettings"]["destinationArn"] == LOG_GROUP
