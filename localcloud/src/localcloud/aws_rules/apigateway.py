"""API Gateway's account-level rules: stage logging needs the account's CloudWatch role.

A new account has no ``cloudwatchRoleArn`` in API Gateway's account settings (one per region),
and the local cloud starts as one. Until it is set, API Gateway refuses a stage update that turns
logging on; ``UpdateAccount`` in turn refuses a role API Gateway could not assume.

Where the rules meet the API:

- ``UpdateStage`` patch operations that turn on execution logging (``/{resource}/{method}/
  logging/loglevel`` to ``INFO`` or ``ERROR``, ``.../logging/dataTrace`` to ``true``) or access
  logging (``/accessLogSettings/destinationArn`` to a log group). Terraform's
  ``aws_api_gateway_stage`` sends the latter in the UpdateStage that follows its CreateStage
  whenever ``access_log_settings`` is set; ``aws_api_gateway_method_settings`` sends the former.
  ``CreateStage`` of a REST API takes no logging settings at all (its request has no
  ``methodSettings`` or ``accessLogSettings``), so nothing here applies to it.
- ``UpdateAccount`` with ``/cloudwatchRoleArn``: the role must exist in the account and trust
  ``apigateway.amazonaws.com``. moto already stores the ARN and answers it from ``GetAccount``.
  Not checked: whether the role may write to CloudWatch Logs (AWS's "API Gateway could not
  successfully write to CloudWatch Logs using the ARN specified"), which needs IAM policy
  evaluation the local cloud does not do.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, Stage
from moto.iam.models import iam_backends

from localcloud import aws_rules

# "Set up CloudWatch logging for REST APIs" (API Gateway developer guide): "To enable CloudWatch
# Logs, you must grant API Gateway permission to read and write logs to CloudWatch for your
# account. [...] set the IAM role ARN on the cloudWatchRoleArn property for your Account."
# The answer AWS gives a stage that logs before that, as CloudFormation and Terraform report it.
NO_ROLE_MESSAGE = "CloudWatch Logs role ARN must be set in account settings to enable logging"

# Same page: "create an IAM role with apigateway.amazonaws.com as its trusted entity". AWS's
# answer to an UpdateAccount whose role is missing or does not trust API Gateway (the message
# Terraform's aws_api_gateway_account retries on while IAM catches up).
ROLE_NOT_ASSUMABLE_MESSAGE = "The role ARN does not have required permissions set to API Gateway"

_API_GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
_EXECUTION_LOG_LEVELS = frozenset({"INFO", "ERROR"})
_SETTING_OPS = frozenset({"add", "replace"})


def _turns_logging_on(operation: dict[str, Any]) -> bool:
    """Whether one UpdateStage patch operation enables execution or access logging."""
    if str(operation.get("op", "")).lower() not in _SETTING_OPS:
        return False
    path = str(operation.get("path", ""))
    value = operation.get("value")
    text = "" if value is None else str(value)
    # "Execution logging - API Gateway logs the actions taken to process API requests" (INFO or
    # ERROR; OFF turns it off) and full request/response data logging, which is execution logging.
    if path.endswith("/logging/loglevel"):
        return text.upper() in _EXECUTION_LOG_LEVELS
    if path.endswith("/logging/dataTrace"):
        return text.lower() == "true"
    # "Access logging - You log who accessed your API and how": on once the stage names a log group.
    return path == "/accessLogSettings/destinationArn" and bool(text)


def _role_arn(backend: APIGatewayBackend) -> str | None:
    arn = backend.account.cloudwatch_role_arn
    return arn or None


def _guard_update_stage(original: Callable[..., Stage]) -> Callable[..., Stage]:
    @functools.wraps(original)
    def update_stage(self: APIGatewayBackend, function_id: str, stage_name: str, patch_operations: Any) -> Stage:
        if (
            aws_rules.active()
            and _role_arn(self) is None
            and any(_turns_logging_on(op) for op in patch_operations or [] if isinstance(op, dict))
        ):
            raise BadRequestException(NO_ROLE_MESSAGE)
        return original(self, function_id, stage_name, patch_operations)

    return update_stage


def _trust_statements(document: str) -> list[dict[str, Any]]:
    try:
        policy = json.loads(document)
    except ValueError:
        try:
            policy = json.loads(unquote(document))
        except ValueError:
            return []
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    return [s for s in statements if isinstance(s, dict)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusts_api_gateway(document: str) -> bool:
    for statement in _trust_statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = {str(a).lower() for a in _as_list(statement.get("Action"))}
        if not actions & {"sts:assumerole", "sts:*", "*"}:
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict) and _API_GATEWAY_PRINCIPAL in _as_list(principal.get("Service")):
            return True
    return False


def _assumable_by_api_gateway(backend: APIGatewayBackend, arn: str) -> bool:
    partition = getattr(backend, "partition", "aws")
    iam = iam_backends[backend.account_id][partition]
    role = next((r for r in iam.roles.values() if r.arn == arn), None)
    return role is not None and _trusts_api_gateway(role.assume_role_policy_document)


def _guard_update_account(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_account(self: APIGatewayBackend, patch_operations: list[dict[str, Any]]) -> Any:
        if aws_rules.active():
            for op in patch_operations or []:
                arn = op.get("value") if isinstance(op, dict) else None
                sets_role = "/cloudwatchRoleArn" in str(op.get("path", "")) and bool(arn)
                if sets_role and not _assumable_by_api_gateway(self, str(arn)):
                    raise BadRequestException(ROLE_NOT_ASSUMABLE_MESSAGE)
        return original(self, patch_operations)

    return update_account


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
    backend: Any = APIGatewayBackend
    backend.update_stage = _guard_update_stage(backend.update_stage)
    backend.update_account = _guard_update_account(backend.update_account)
