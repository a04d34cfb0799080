"""The command line on the fixed plan: what is not justified fails, and so does an unused entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.iamlint.__main__ import main

PLAN = Path(__file__).with_name("fixtures") / "plan.json"
# What the fixture plan's findings need, each with a reason.
EVERY_FINDING = """
- policy: aws_kms_key.this.policy
  finding: RESOURCE_STAR
  reason: a key policy's Resource is the key
- policy: aws_kms_key.this.policy
  finding: PERMISSIONS_MANAGEMENT_ACTIONS
  reason: the account administers its key
- policy: "*.assume_role_policy"
  finding: MALFORMED
  reason: a trust policy has no Resource
- policy: module.functions.aws_iam_role*.policy
  finding: RESOURCE_STAR
  statement: EverythingEverywhere
  reason: a fixture of a bad statement
- policy: module.messaging.*
  finding: UNRENDERED
  reason: the fixture's queue policy is unknown
- policy: module.network.aws_vpc_endpoint.sqs.policy
  finding: RESOURCE_STAR
  reason: an endpoint policy is a perimeter
- policy: module.functions.aws_iam_role_policy_attachment.*
  finding: AWS_MANAGED_POLICY
  reason: a fixture of a managed attachment
"""


def _allow_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "allowed.yaml"
    path.write_text(text)
    return path


def test_everything_justified_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--plan", str(PLAN), "--allow-list", str(_allow_list(tmp_path, EVERY_FINDING))]) == 0
    out = capsys.readouterr().out
    assert "iamlint: 6 policy documents" in out
    assert "0 not justified, 0 unused entries" in out


def test_a_finding_without_a_reason_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    without_managed = EVERY_FINDING.split("- policy: module.functions.aws_iam_role_policy_attachment.*", maxsplit=1)[0]
    assert main(["--plan", str(PLAN), "--allow-list", str(_allow_list(tmp_path, without_managed))]) == 1
    out = capsys.readouterr().out
    assert 'NOT JUSTIFIED module.functions.aws_iam_role_policy_attachment.this["api/basic"]: AWS_MANAGED_POLICY' in out


def test_an_entry_that_justifies_nothing_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = EVERY_FINDING + "- policy: nowhere.policy\n  finding: RESOURCE_STAR\n  reason: long gone\n"
    assert main(["--plan", str(PLAN), "--allow-list", str(_allow_list(tmp_path, stale))]) == 1
    assert "UNUSED ALLOW-LIST ENTRY nowhere.policy: RESOURCE_STAR" in capsys.readouterr().out


def test_an_unreadable_plan_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{not json")
    assert main(["--plan", str(tmp_path / "plan.json"), "--allow-list", str(_allow_list(tmp_path, "[]"))]) == 2
