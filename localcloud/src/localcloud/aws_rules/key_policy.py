"""Whether a KMS key policy lets an AWS service principal use the key: AWS's evaluation, in small.

Written here because nothing at hand evaluates a resource policy for a service principal:
moto's ``IAMPolicyStatement`` matches only ``AWS`` principals, turns a statement whose principal
differs into an explicit deny and knows ``StringEquals`` alone; moto's KMS ``policy_validator``
ignores principals and conditions; the PyPI list holds no maintained evaluator.

Only the key policy is read. A statement for the account's root (``arn:aws:iam::<acct>:root``)
delegates to IAM and admits no service principal. KMS developer guide, "Key policies in AWS KMS":
"No AWS principal, including the account root user or key creator, has any permissions to a KMS
key unless they are explicitly allowed, and never denied, in a key policy, IAM policy, or grant."
A service principal has no IAM policy: only a statement naming it (or ``*``) admits it.

Where this evaluator cannot tell (an operator it does not know), it decides for the caller:
the local cloud must never refuse what AWS would accept.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceRequest:
    """One KMS call an AWS service makes with a key, as the key policy sees it."""

    service: str  # the service principal, e.g. ``logs.us-east-1.amazonaws.com``
    action: str  # e.g. ``kms:GenerateDataKey``
    key_arn: str
    context: Mapping[str, str] = field(default_factory=dict)  # condition keys, e.g. aws:SourceArn


def allows(policy: str | Mapping[str, Any], request: ServiceRequest) -> bool:
    """AWS's policy logic: an explicit Deny wins, else some Allow must match, else denied."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not _applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _applies(statement: Mapping[str, Any], request: ServiceRequest) -> bool:
    principal = _listed(statement, "Principal", lambda p: _principal_matches(p, request.service))
    action = _listed(statement, "Action", lambda p: any(_glob(a, request.action, True) for a in _values(p)))
    # In a key policy "Resource": "*" means this key; a named resource is matched as written.
    resource = "Resource" not in statement and "NotResource" not in statement
    resource = resource or _listed(statement, "Resource", lambda p: any(_glob(r, request.key_arn) for r in _values(p)))
    if not (principal and action and resource):
        return False
    return _conditions_hold(statement.get("Condition") or {}, request.context, statement.get("Effect") == "Deny")


def _listed(statement: Mapping[str, Any], element: str, matches: Callable[[Any], bool]) -> bool:
    """``Element`` must match the request; ``NotElement``, if given instead, must not."""
    if f"Not{element}" in statement:
        return not matches(statement[f"Not{element}"])
    return matches(statement.get(element))


def _principal_matches(principal: Any, service: str) -> bool:
    if principal is None:
        return False
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if "*" in _values(principal.get("AWS")):
        return True
    return service in _values(principal.get("Service"))


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_text(item) for item in value]
    return [_text(value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """IAM user guide, "IAM JSON policy elements: Condition operators": "Each of the six
    colon-delimited components of the ARN is checked separately and each can include
    multi-character match wildcards (*) or single-character match wildcards (?)."
    """
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(actual) and all(_glob(w, a) for w, a in zip(wanted, actual, strict=True))


def _equals(pattern: str, value: str) -> bool:
    return pattern == value


def _equals_ignore_case(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


def _like(pattern: str, value: str) -> bool:
    return _glob(pattern, value)


# Each operator: how one policy value matches the request's value, and whether it is negated.
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_equals, False),
    "StringNotEquals": (_equals, True),
    "StringEqualsIgnoreCase": (_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_equals_ignore_case, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_equals_ignore_case, False),
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str], deny: bool) -> bool:
    """Every operator and every key must hold (AND); any listed value may match (OR)."""
    for raw_operator, keys in conditions.items():
        operator = raw_operator.split(":", 1)[1] if ":" in raw_operator else raw_operator
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        known = _OPERATORS.get(operator)
        if known is None or not isinstance(keys, Mapping):
            log.warning("key policy condition %s is not evaluated here: treated as the caller's way", raw_operator)
            if deny:
                return False
            continue
        match, negated = known
        for key, wanted in keys.items():
            actual = _context_value(context, key)
            if actual is None:
                # IAM user guide, "...IfExists condition operators" and "Condition operators":
                # a key absent from the request matches only IfExists and the negated operators.
                if if_exists or negated:
                    continue
                return False
            hit = any(match(pattern, actual) for pattern in _values(wanted))
            if hit == negated:
                return False
    return True


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    # Condition keys are case-insensitive; their values are not.
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None
