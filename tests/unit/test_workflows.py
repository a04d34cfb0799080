"""The GitHub workflows cannot run here; what can be checked is checked: they parse,
pin every action to a version, and call only make targets that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-zA-Z_-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_both_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "nightly.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_to_exact_versions(path: Path) -> None:
    for step in steps(yaml.safe_load(path.read_text())):
        if "uses" in step:
            assert re.search(r"@v\d+\.\d+\.\d+$|@[0-9a-f]{40}$", step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_make_targets_called_exist(path: Path) -> None:
    called = {
        target
        for step in steps(yaml.safe_load(path.read_text()))
        for target in re.findall(r"\bmake ([a-z][a-zA-Z_-]*)", step.get("run", ""))
    }
    assert called, "a workflow that calls no make target tests nothing"
    assert called <= MAKE_TARGETS, called - MAKE_TARGETS


def test_ci_runs_what_ci_script_runs() -> None:
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert any(step.get("run") == "make test" for step in steps(ci))
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_nightly_always_destroys() -> None:
    nightly = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    destroy = [step for step in steps(nightly) if "make destroy" in step.get("run", "")]
    assert destroy
    assert destroy[0].get("if") == "always()"


def test_nightly_names_the_account_of_the_aws_target_before_deploying() -> None:
    """The dev root requires allowed_account_ids (no default): the aws target passes it from a variable."""
    nightly = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    ordered = steps(nightly)
    names = [i for i, step in enumerate(ordered) if "TF_VAR_allowed_account_ids=" in step.get("run", "")]
    deploy = next(i for i, step in enumerate(ordered) if "make deploy" in step.get("run", ""))
    assert len(names) == 1
    assert names[0] < deploy
    step = ordered[names[0]]
    assert step.get("if") == "matrix.target == 'aws'", "the local root sets null: only the aws target needs it"
    assert step["env"]["ACCOUNT_ID"] == "${{ vars.AWS_ACCOUNT_ID }}"
    assert "GITHUB_ENV" in step["run"]
