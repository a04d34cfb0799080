"""Lambda's checks against the account: reserved concurrency, and a VPC function's execution role.

Reserved concurrency. moto checks a reservation only when MOTO_LAMBDA_CONCURRENCY_QUOTA is set,
and always against a minimum of 100. AWS keeps a minimum unreserved that follows the account's
limit: errors seen on AWS read "[100]" on accounts of 1,000, "[50]" on an account whose
GetAccountSettings showed ConcurrentExecutions 50, "[10]" on accounts of 10. The minimum here is
min(100, limit), the one rule that fits all of them (no AWS page states it for a limit under 100);
so an account of 100 or less can reserve nothing but 0. moto has no GetAccountSettings (its
server answers 404): it is added, answering the account's limit and what is left unreserved.

VPC execution role. When a function is created or updated with subnets, Lambda checks that the
execution role may call the EC2 actions it needs to create and manage the function's network
interfaces, and refuses with InvalidParameterValueException, "The provided execution role does
not have permissions to call <Action> on EC2". The role's inline and attached policies (and its
permissions boundary) are evaluated here, without moto's evaluator: it denies an Allow whose
condition fails instead of ignoring it. Lambda's check supplies no condition context (a statement
with a Condition never matches: reported on AWS for ``ec2:Subnet`` conditions on Create and
Delete), and per action:

- ec2:CreateNetworkInterface on every resource the call names: ``network-interface/*``, each
  subnet, each security group (ARN-scoped statements are reported to pass on AWS);
- ec2:DescribeNetworkInterfaces on ``*`` only;
- ec2:DeleteNetworkInterface on ``network-interface/*`` (the page's own example,
  ``arn:aws:ec2:us-west-2:123456789012:*/*``, covers it).

The order of the three checks on AWS is not documented; here Create, Describe, Delete.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.iam.models import IAMBackend, iam_backends
from moto.utilities.utils import get_partition
from werkzeug.exceptions import NotFound

from localcloud import aws_rules

# "Configuring reserved concurrency for a function" (Lambda developer guide): "You can reserve up
# to the Unreserved account concurrency value minus 100. The remaining 100 units of concurrency
# are for functions that aren't using reserved concurrency." On accounts with a lower limit AWS
# answers a lower minimum (see above).
UNRESERVED_MINIMUM = 100

# "Lambda quotas" (Lambda developer guide): "Storage for uploaded functions (.zip file archives)
# and layers [...] 75 GB"; "Deployment package (.zip file archive) size: 50 MB (zipped), 250 MB
# (unzipped)". What GetAccountSettings answers for them.
TOTAL_CODE_SIZE = 80_530_636_800
CODE_SIZE_UNZIPPED = 262_144_000
CODE_SIZE_ZIPPED = 52_428_800

# "Giving Lambda functions access to resources in an Amazon VPC" (Lambda developer guide), the
# execution role's permissions: "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces -
# This action only works if it's allowed on all resources ("Resource": "*")", and
# "ec2:DeleteNetworkInterface - If you don't specify a resource ID for DeleteNetworkInterface in
# the execution role, your function may not be able to access the VPC. Either specify a unique
# resource ID, or include all resource IDs, for example,
# "Resource": "arn:aws:ec2:us-west-2:123456789012:*/*"."
VPC_ACTIONS = ("CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface")


def minimum_unreserved(limit: int) -> int:
    return min(UNRESERVED_MINIMUM, limit)


def _reservations(backend: LambdaBackend, except_name: str | None = None) -> int:
    return sum(
        int(fn.reserved_concurrency)
        for fn in backend.list_functions()
        if fn.reserved_concurrency is not None and fn.function_name != except_name
    )


def _put_function_concurrency(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_function_concurrency(self: LambdaBackend, function_name: str, reserved_concurrency: Any) -> Any:
        if aws_rules.active():
            fn = self.get_function(function_name)
            limit = aws_rules.account().lambda_concurrency_limit
            minimum = minimum_unreserved(limit)
            # The function's own reservation is replaced, so it does not count against the new one.
            left = limit - _reservations(self, except_name=fn.function_name) - int(reserved_concurrency)
            if left < minimum:
                raise InvalidParameterValueException(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
                )
        return original(self, function_name, reserved_concurrency)

    return put_function_concurrency


def account_settings(backend: LambdaBackend) -> dict[str, Any]:
    """GetAccountSettings' answer (Lambda API reference, AccountLimit and AccountUsage)."""
    limit = aws_rules.account().lambda_concurrency_limit
    functions = list(backend.list_functions())
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - _reservations(backend),
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions),
            "FunctionCount": len(functions),
        },
    }


def _get_account_settings(self: LambdaResponse) -> TYPE_RESPONSE:
    if not aws_rules.active():
        raise NotFound  # moto's own answer: it routes no such path
    return 200, {}, json.dumps(account_settings(self.backend))


# -- VPC execution role -------------------------------------------------------------------------


def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{regex}$", re.IGNORECASE if ignore_case else 0)


def _listed(values: Any) -> list[str]:
    return [values] if isinstance(values, str) else list(values or [])


def _matches(statement: dict[str, Any], key: str, value: str, ignore_case: bool) -> bool:
    """Whether the statement's ``key`` (or its ``Not`` form) covers ``value``."""
    if key in statement:
        return any(_pattern(p, ignore_case).match(value) for p in _listed(statement[key]))
    negated = f"Not{key}"
    if negated in statement:
        return not any(_pattern(p, ignore_case).match(value) for p in _listed(statement[negated]))
    return False


def allowed(documents: Iterable[dict[str, Any]], action: str, resource: str) -> bool:
    """Whether the policies allow ``action`` on ``resource`` with no request context: an explicit
    Deny wins; a statement with a Condition cannot be satisfied without context and never applies."""
    allow = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            if "Condition" in statement:
                continue
            if not (_matches(statement, "Action", action, True) and _matches(statement, "Resource", resource, False)):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allow = allow or statement.get("Effect") == "Allow"
    return allow


def _document(policy: Any) -> dict[str, Any]:
    text = next(v.document for v in policy.versions if v.is_default)
    parsed = json.loads(text) if isinstance(text, str) else text
    return parsed if isinstance(parsed, dict) else {}


def _role_policies(iam: IAMBackend, role_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None] | None:
    """The role's inline and attached policy documents and its permissions boundary, or None if
    moto knows no such role (moto's own checks answer for it)."""
    role = next((r for r in iam.get_roles() if r.arn == role_arn), None)
    if role is None:
        return None
    documents = [json.loads(text) for text in role.policies.values()]
    documents += [_document(policy) for policy in role.managed_policies.values()]
    boundary = None
    if role.permissions_boundary_arn:
        policy = iam.managed_policies.get(role.permissions_boundary_arn)
        boundary = _document(policy) if policy is not None else {}
    return documents, boundary


def _resources(prefix: str, action: str, subnets: list[str], groups: list[str]) -> list[str]:
    if action == "DescribeNetworkInterfaces":
        return ["*"]
    if action == "DeleteNetworkInterface":
        return [f"{prefix}:network-interface/*"]
    return (
        [f"{prefix}:network-interface/*"]
        + [f"{prefix}:subnet/{subnet}" for subnet in subnets]
        + [f"{prefix}:security-group/{group}" for group in groups]
    )


def check_vpc_role(backend: LambdaBackend, role_arn: str | None, vpc_config: dict[str, Any] | None) -> None:
    """Refuse, as Lambda does, a VPC function whose execution role cannot manage its network interfaces."""
    subnets = list((vpc_config or {}).get("SubnetIds") or [])
    if not subnets or not role_arn:
        return
    groups = list((vpc_config or {}).get("SecurityGroupIds") or [])
    partition = get_partition(backend.region_name)
    found = _role_policies(iam_backends[backend.account_id][partition], role_arn)
    if found is None:
        return
    documents, boundary = found
    prefix = f"arn:{partition}:ec2:{backend.region_name}:{backend.account_id}"
    for action in VPC_ACTIONS:
        for resource in _resources(prefix, action, subnets, groups):
            granted = allowed(documents, f"ec2:{action}", resource)
            if granted and boundary is not None:
                granted = allowed([boundary], f"ec2:{action}", resource)
            if not granted:
                raise InvalidParameterValueException(
                    f"The provided execution role does not have permissions to call {action} on EC2"
                )


def _create_function(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        if aws_rules.active():
            check_vpc_role(self, spec.get("Role"), spec.get("VpcConfig"))
        return original(self, spec)

    return create_function


def _update_function_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_function_configuration(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        if aws_rules.active() and ("VpcConfig" in body or "Role" in body):
            fn = self.get_function(function_name, qualifier)
            vpc_config = body["VpcConfig"] if "VpcConfig" in body else getattr(fn, "_vpc_config", None)
            check_vpc_role(self, body.get("Role") or fn.role, vpc_config)
        return original(self, function_name, qualifier, body)

    return update_function_configuration


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
    LambdaBackend.put_function_concurrency = _put_function_concurrency(LambdaBackend.put_function_concurrency)  # type: ignore[method-assign]  # a wrapper with moto's signature
    LambdaBackend.create_function = _create_function(LambdaBackend.create_function)  # type: ignore[method-assign]  # a wrapper with moto's signature
    LambdaBackend.update_function_configuration = _update_function_configuration(  # type: ignore[method-assign]  # a wrapper with moto's signature
        LambdaBackend.update_function_configuration
    )
    # GetAccountSettings: GET /2016-08-19/account-settings/, routed to LambdaResponse by moto's
    # dispatcher once the path is known (read when the service's app is built, after this).
    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _get_account_settings  # type: ignore[attr-defined]  # moto's responder has no such operation
