"""The documents and attachments found in a small fixed plan (fixtures/plan.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tooling.iamlint.extract import Attachment, attachments, documents

PLAN = Path(__file__).with_name("fixtures") / "plan.json"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PLAN.read_text())
    return loaded


def test_every_document_of_the_plan_is_found_with_its_kind(plan: dict[str, Any]) -> None:
    found = {d.name: d.kind for d in documents(plan)}
    assert found == {
        'module.functions.aws_iam_role.this["api"].assume_role_policy': "trust",
        'module.functions.aws_iam_role.this["api"].inline_policy[0].policy': "identity",
        'module.functions.aws_iam_role_policy.this["api"].policy': "identity",
        "aws_kms_key.this.policy": "resource",
        'module.messaging.aws_sqs_queue.this["standard"].policy': "resource",
        "module.network.aws_vpc_endpoint.sqs.policy": "resource",
    }


def test_json_that_is_no_iam_document_is_left_out(plan: dict[str, Any]) -> None:
    """A redrive policy is JSON, but no IAM document: it has no Statement."""
    assert not [d for d in documents(plan) if "redrive_policy" in d.name]


def test_a_document_the_plan_does_not_know_yet_is_reported_without_text(plan: dict[str, Any]) -> None:
    queue = next(d for d in documents(plan) if d.resource_type == "aws_sqs_queue")
    assert queue.text is None
    assert queue.address == 'module.messaging.aws_sqs_queue.this["standard"]'


def test_known_documents_keep_the_plans_text(plan: dict[str, Any]) -> None:
    key = next(d for d in documents(plan) if d.address == "aws_kms_key.this")
    assert key.text is not None
    assert json.loads(key.text)["Statement"][0]["Sid"] == "AccountAdministersKeyThroughIam"


def test_deleted_resources_and_data_sources_render_nothing(plan: dict[str, Any]) -> None:
    addresses = {d.address for d in documents(plan)} | {a.address for a in attachments(plan)}
    assert "module.old.aws_iam_role.gone" not in addresses
    assert not [a for a in addresses if a.startswith("data.")]


def test_attachments_tell_aws_managed_policies_from_the_accounts(plan: dict[str, Any]) -> None:
    found = attachments(plan)
    assert found == [
        Attachment(
            'module.functions.aws_iam_role_policy_attachment.this["api/basic"]',
            "events-test-api",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ),
        Attachment(
            'module.functions.aws_iam_role_policy_attachment.this["api/own"]',
            "events-test-api",
            "arn:aws:iam::123456789012:policy/events-test-api",
        ),
    ]
    assert [a.aws_managed for a in found] == [True, False]


def test_a_roles_managed_policy_arns_are_attachments_too() -> None:
    plan = {
        "resource_changes": [
            {
                "address": "aws_iam_role.r",
                "mode": "managed",
                "type": "aws_iam_role",
                "change": {
                    "actions": ["create"],
                    "after": {"name": "r", "managed_policy_arns": ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]},
                },
            }
        ]
    }
    assert [a.aws_managed for a in attachments(plan)] == [True]
