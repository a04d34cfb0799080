"""Parliament's findings placed in their statements, and the allow-list's judgement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tooling.iamlint.extract import Attachment, Document, documents
from tooling.iamlint.lint import (
    ALLOW_LIST,
    Allowance,
    AllowListError,
    Finding,
    judge,
    lint_attachment,
    lint_document,
    load_allow_list,
)

PLAN = Path(__file__).with_name("fixtures") / "plan.json"


def _document(statements: list[dict[str, object]], name: str = "aws_iam_role_policy.r.policy") -> Document:
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return Document(
        name=name, address=name.rsplit(".", 1)[0], resource_type="aws_iam_role_policy", kind="identity", text=text
    )


def _finding(policy: str = "p.policy", issue: str = "RESOURCE_STAR", statement: str | None = None) -> Finding:
    return Finding(policy, issue, "LOW", statement, "")


def test_a_finding_is_placed_in_its_statement() -> None:
    document = _document(
        [
            {
                "Sid": "Scoped",
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
            },
            {"Sid": "Everywhere", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
        ]
    )
    assert [(f.issue, f.statement) for f in lint_document(document)] == [("RESOURCE_STAR", "Everywhere")]


def test_a_scoped_policy_has_no_finding() -> None:
    document = _document(
        [
            {
                "Sid": "OwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*",
            }
        ]
    )
    assert lint_document(document) == []


def test_an_action_that_takes_no_resource_may_have_every_resource() -> None:
    document = _document([{"Sid": "Traces", "Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}])
    assert lint_document(document) == []


def test_an_unknown_action_is_a_finding_with_its_severity() -> None:
    document = _document([{"Sid": "Typo", "Effect": "Allow", "Action": "dynamodb:GetItems", "Resource": "*"}])
    findings = lint_document(document)
    assert [(f.issue, f.statement, f.severity) for f in findings] == [("UNKNOWN_ACTION", "Typo", "LOW")]


def test_the_fixture_plans_documents_and_attachments() -> None:
    plan = json.loads(PLAN.read_text())
    findings = {(f.policy, f.issue, f.statement) for d in documents(plan) for f in lint_document(d)}
    assert (
        'module.functions.aws_iam_role_policy.this["api"].policy',
        "RESOURCE_STAR",
        "EverythingEverywhere",
    ) in findings
    assert ('module.messaging.aws_sqs_queue.this["standard"].policy', "UNRENDERED", None) in findings
    assert ('module.functions.aws_iam_role.this["api"].assume_role_policy', "MALFORMED", None) in findings
    assert ("aws_kms_key.this.policy", "RESOURCE_STAR", "AccountAdministersKeyThroughIam") in findings
    # A single statement (not a list) is still placed.
    assert ("module.network.aws_vpc_endpoint.sqs.policy", "RESOURCE_STAR", "ThisAccountOnly") in findings


def test_an_aws_managed_policy_is_a_finding_an_accounts_own_is_not() -> None:
    managed = Attachment("a.basic", "role", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    own = Attachment("a.own", "role", "arn:aws:iam::123456789012:policy/own")
    assert [(f.policy, f.issue) for f in lint_attachment(managed)] == [("a.basic", "AWS_MANAGED_POLICY")]
    assert lint_attachment(own) == []


@pytest.mark.parametrize(
    ("allowance", "finding", "matches"),
    [
        (Allowance('m.this["a"].policy', "RESOURCE_STAR", "r"), _finding('m.this["a"].policy'), True),
        (Allowance('m.this["a"].policy', "RESOURCE_STAR", "r"), _finding('m.this["b"].policy'), False),
        (
            Allowance("*.assume_role_policy", "MALFORMED", "r"),
            _finding('x.this["a"].assume_role_policy', "MALFORMED"),
            True,
        ),
        (Allowance("*.assume_role_policy", "MALFORMED", "r"), _finding("x.this.policy", "MALFORMED"), False),
        (Allowance("p.policy", "RESOURCE_STAR", "r", "Sid"), _finding(statement="Sid"), True),
        (Allowance("p.policy", "RESOURCE_STAR", "r", "Sid"), _finding(statement="Other"), False),
        (Allowance("p.policy", "RESOURCE_STAR", "r", "Sid"), _finding(statement=None), False),
        (Allowance("p.policy", "RESOURCE_STAR", "r"), _finding(issue="MALFORMED"), False),
        # Brackets are literal, not a character class.
        (Allowance("m.this[a].policy", "RESOURCE_STAR", "r"), _finding("m.thisa.policy"), False),
    ],
)
def test_an_allowance_matches_its_policy_finding_and_statement(
    allowance: Allowance, finding: Finding, matches: bool
) -> None:
    assert allowance.matches(finding) is matches


def test_judge_splits_justified_unjustified_and_unused() -> None:
    used = Allowance("p.policy", "RESOURCE_STAR", "why")
    unused = Allowance("q.policy", "MALFORMED", "why")
    justified, unjustified = _finding(), _finding(issue="UNKNOWN_ACTION")
    verdict = judge([justified, unjustified], [used, unused])
    assert verdict.justified == {used: [justified]}
    assert verdict.unjustified == [unjustified]
    assert verdict.unused == [unused]
    assert not verdict.passed
    assert judge([justified], [used]).passed


def test_the_allow_list_beside_the_tool_reads_and_gives_every_entry_a_reason() -> None:
    allowances = load_allow_list(ALLOW_LIST)
    assert allowances
    assert all(len(a.reason) > 40 for a in allowances)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- policy: p\n  finding: RESOURCE_STAR\n", "must have policy, finding, reason"),
        ("- policy: p\n  finding: RESOURCE_STAR\n  reason: ''\n", "non-empty string"),
        ("- policy: p\n  finding: NO_SUCH_ISSUE\n  reason: because\n", "no finding parliament or this tool reports"),
        ("- policy: p\n  finding: RESOURCE_STAR\n  reason: because\n  sid: S\n", "must have policy, finding, reason"),
        ("policy: p\n", "a list of entries"),
    ],
)
def test_a_bad_allow_list_is_refused(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "allowed.yaml"
    path.write_text(text)
    with pytest.raises(AllowListError, match=message):
        load_allow_list(path)
