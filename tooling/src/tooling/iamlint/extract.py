"""The IAM policy documents and managed-policy attachments of a plan (``terraform show -json``).

Pure functions of the plan's ``resource_changes``: what each managed resource will be after the plan
(``change.after``). A resource the plan deletes renders nothing; data sources (``aws_iam_policy_document``)
are left out, since a resource that uses their JSON carries it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["identity", "resource", "trust"]

# Resources whose policy is attached to a principal; any other resource's policy governs the resource.
IDENTITY_POLICY_TYPES = frozenset(
    {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
)
# Attribute names that hold an IAM document when they are known; an unknown one is still reported.
DOCUMENT_ATTRIBUTES = frozenset({"policy", "assume_role_policy", "policy_document", "access_policies"})
AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/")


@dataclass(frozen=True)
class Document:
    """One rendered policy document: ``name`` is the resource address and the attribute's path."""

    name: str
    address: str
    resource_type: str
    kind: Kind
    text: str | None  # None: the plan does not know it yet (a real plan of resources not yet created)


@dataclass(frozen=True)
class Attachment:
    """A managed policy a role gets, from an attachment resource or the role's managed_policy_arns."""

    address: str
    role: str
    policy_arn: str

    @property
    def aws_managed(self) -> bool:
        return bool(AWS_MANAGED_POLICY.match(self.policy_arn))


def _planned(plan: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any], Any]]:
    """(resource change, after, after_unknown) of every managed resource the plan keeps or creates."""
    for change in plan.get("resource_changes", []):
        after = change.get("change", {}).get("after")
        if change.get("mode") != "managed" or after is None:
            continue
        yield change, after, change["change"].get("after_unknown") or {}


def _is_document(value: str) -> bool:
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "Statement" in parsed


def _kind(resource_type: str, path: tuple[str, ...]) -> Kind:
    if path[-1] == "assume_role_policy":
        return "trust"
    if resource_type in IDENTITY_POLICY_TYPES or path[0] == "inline_policy":
        return "identity"
    return "resource"


def _walk(value: Any, unknown: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str | None]]:
    """(attribute path, document text or None when unknown) under one value of ``after``."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _walk(inner, unknown.get(key) if isinstance(unknown, Mapping) else None, (*path, key))
        if isinstance(unknown, Mapping):
            for key, flag in unknown.items():
                if flag is True and key in DOCUMENT_ATTRIBUTES and value.get(key) is None:
                    yield (*path, key), None
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            marks = unknown[index] if isinstance(unknown, list) and index < len(unknown) else None
            yield from _walk(inner, marks, (*path, f"[{index}]"))
    elif isinstance(value, str) and path and _is_document(value):
        yield path, value


def _name(address: str, path: tuple[str, ...]) -> str:
    return address + "".join(part if part.startswith("[") else f".{part}" for part in path)


def documents(plan: Mapping[str, Any]) -> list[Document]:
    """Every IAM document the plan's resources render, in the plan's order."""
    found = []
    for change, after, unknown in _planned(plan):
        for path, text in _walk(after, unknown, ()):
            found.append(
                Document(
                    name=_name(change["address"], path),
                    address=change["address"],
                    resource_type=change["type"],
                    kind=_kind(change["type"], path),
                    text=text,
                )
            )
    return found


def attachments(plan: Mapping[str, Any]) -> list[Attachment]:
    """Every managed policy the plan attaches to a role."""
    found = []
    for change, after, _ in _planned(plan):
        kind, address = change["type"], change["address"]
        if kind == "aws_iam_role_policy_attachment" and after.get("policy_arn"):
            found.append(Attachment(address, str(after.get("role")), after["policy_arn"]))
        elif kind == "aws_iam_role_policy_attachments_exclusive":
            found += [Attachment(address, str(after.get("role_name")), arn) for arn in after.get("policy_arns") or []]
        elif kind == "aws_iam_role":
            found += [
                Attachment(address, str(after.get("name")), arn) for arn in after.get("managed_policy_arns") or []
            ]
    return found
