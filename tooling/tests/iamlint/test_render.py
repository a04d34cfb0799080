"""The copy of a root that render plans, and the plan read from `terraform test -json -verbose`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tooling.iamlint.render import RenderError, plan_from_test_output, prepare
from tooling.repository import ROOT


def test_prepare_copies_the_root_and_points_it_at_the_repositorys_modules(tmp_path: Path) -> None:
    root = prepare("local", tmp_path)
    main = (root / "main.tf").read_text()
    assert '"../../modules/stack"' not in main
    source = main.split('source = "', 1)[1].split('"', 1)[0]
    assert (root / source).resolve() == ROOT / "terraform" / "modules" / "stack"
    assert not (root / "main.tf").is_symlink()
    assert (root / "terraform.tfvars").read_text() == (
        ROOT / "terraform" / "envs" / "local" / "terraform.tfvars"
    ).read_text()
    test = (root / "tests" / "plan.tftest.hcl").read_text()
    mocks = test.split('source          = "', 1)[1].split('"', 1)[0]
    assert (root / mocks).resolve() == ROOT / "terraform" / "tests" / "mocks"
    for name in ("lambda_zip_path", "openapi_path"):
        match = re.search(rf'{name}\s*=\s*"([^"]+)"', test)
        assert match, name
        assert (root / match.group(1)).is_file(), name
    assert "command = plan" in test


def test_prepare_refuses_an_unknown_environment(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="no Terraform root"):
        prepare("nowhere", tmp_path)


def test_the_plan_is_the_test_plan_message() -> None:
    lines = [
        json.dumps({"type": "version", "terraform": "1.11.4"}),
        "not json: a warning",
        json.dumps({"type": "test_run", "test_run": {"run": "plan", "progress": "complete"}}),
        json.dumps({"type": "test_plan", "test_plan": {"resource_changes": [{"address": "a"}]}}),
    ]
    assert plan_from_test_output("\n".join(lines)) == {"resource_changes": [{"address": "a"}]}


def test_no_plan_message_is_an_error() -> None:
    with pytest.raises(RenderError, match="no plan"):
        plan_from_test_output(json.dumps({"type": "test_summary"}))
