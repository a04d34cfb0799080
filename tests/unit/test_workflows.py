"""The GitHub workflows cannot run here; what can be checked is checked: they parse, pin every
action to a commit (its release tag beside it), grant each job the least it needs (an OIDC token to
the AWS job alone, in its protected environment), keep secrets out of shell scripts, and call only
make targets that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-zA-Z_-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


# `uses: owner/repo@<commit> # v1.2.3`: the commit is what runs, the tag is for the reader.
PINNED_ACTION = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<tag>v\d+\.\d+\.\d+)$"
)
# The environment whose token the AWS role trusts (README, *CI for a fork*).
AWS_ENVIRONMENT = "nightly-aws"


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_both_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "nightly.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_by_commit_with_the_release_tag_beside_it(path: Path) -> None:
    uses_lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert uses_lines
    assert [line.strip() for line in uses_lines if not PINNED_ACTION.match(line)] == []
    # The parsed workflow agrees: every step's action is the commit, nothing else.
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", s["uses"]) for s in steps(load(path)) if "uses" in s)


def test_one_action_release_is_one_commit_everywhere() -> None:
    seen: dict[tuple[str, str], set[str]] = {}
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = PINNED_ACTION.match(line)
            if match:
                seen.setdefault((match["action"], match["tag"]), set()).add(match["sha"])
    assert {release: shas for release, shas in seen.items() if len(shas) > 1} == {}
    commits: dict[tuple[str, str], set[str]] = {}
    for (action, tag), shas in seen.items():
        for sha in shas:
            commits.setdefault((action, sha), set()).add(tag)
    assert {commit: tags for commit, tags in commits.items() if len(tags) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_job_reads_the_repository_and_only_the_aws_job_may_ask_for_an_oidc_token(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        if job.get("environment") == AWS_ENVIRONMENT:
            assert job["permissions"] == {"contents": "read", "id-token": "write"}, name
        else:
            assert job["permissions"] == {"contents": "read"}, name


def test_the_oidc_token_goes_to_the_one_job_that_assumes_the_aws_role_in_its_environment() -> None:
    jobs = {(path.name, name): job for path in WORKFLOWS for name, job in load(path)["jobs"].items()}
    with_token = [key for key, job in jobs.items() if job["permissions"].get("id-token")]
    assuming = [
        key
        for key, job in jobs.items()
        if any(step.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for step in job["steps"])
    ]
    assert with_token == assuming == [("nightly.yml", "aws")]
    assert jobs["nightly.yml", "aws"]["environment"] == AWS_ENVIRONMENT


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_checkouts_leave_no_token_behind(path: Path) -> None:
    checkouts = [step for step in steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_secrets_reach_scripts_through_the_environment_not_the_script_text(path: Path) -> None:
    """A secret expanded into `run:` text is part of the script (and of its logs on a syntax error)."""
    assert [step["run"] for step in steps(load(path)) if "${{" in step.get("run", "")] == []


def test_the_localstack_image_is_an_exact_release_pinned_by_digest() -> None:
    services = [
        service
        for job in load(ROOT / ".github" / "workflows" / "nightly.yml")["jobs"].values()
        for service in job.get("services", {}).values()
    ]
    assert [service["image"] for service in services]
    for service in services:
        assert re.fullmatch(r"localstack/localstack:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", service["image"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_make_targets_called_exist(path: Path) -> None:
    called = {
        target for step in steps(load(path)) for target in re.findall(r"\bmake ([a-z][a-zA-Z_-]*)", step.get("run", ""))
    }
    assert called, "a workflow that calls no make target tests nothing"
    assert called <= MAKE_TARGETS, called - MAKE_TARGETS


def test_ci_runs_what_ci_script_runs() -> None:
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert any(step.get("run") == "make test" for step in steps(ci))
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_nightly_always_destroys() -> None:
    for name, job in load(ROOT / ".github" / "workflows" / "nightly.yml")["jobs"].items():
        destroy = [step for step in job["steps"] if "make destroy" in step.get("run", "")]
        assert [step.get("if") for step in destroy] == ["always()"], name


def test_nightly_names_the_account_of_the_aws_target_before_deploying() -> None:
    """The dev root requires allowed_account_ids (no default): the aws job passes it from a variable."""
    job = load(ROOT / ".github" / "workflows" / "nightly.yml")["jobs"]["aws"]
    ordered = job["steps"]
    names = [i for i, step in enumerate(ordered) if "TF_VAR_allowed_account_ids=" in step.get("run", "")]
    deploy = next(i for i, step in enumerate(ordered) if "make deploy" in step.get("run", ""))
    assert len(names) == 1
    assert names[0] < deploy
    step = ordered[names[0]]
    assert step["env"]["ACCOUNT_ID"] == "${{ vars.AWS_ACCOUNT_ID }}"
    assert "GITHUB_ENV" in step["run"]
