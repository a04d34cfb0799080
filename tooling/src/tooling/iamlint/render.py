"""The plan of an environment root with the AWS provider mocked: every document known, no cloud.

A copy of ``terraform/envs/<env>`` (its files, symlinks followed, no backend) goes to a work directory,
its ``module "stack"`` pointed back at the repository's module, with one ``terraform test`` file: a
plan against the mocks the modules' own tests use (``terraform/tests/mocks``), from the stack's test
zip, so nothing has to be built. ``terraform test -json -verbose`` prints that run's plan as one
``test_plan`` message, in the format of ``terraform show -json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tooling.repository import CONTRACT, ROOT

ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "terraform.tfvars")
STACK_SOURCE = '"../../modules/stack"'
MOCKS = ROOT / "terraform" / "tests" / "mocks"
TEST_ZIP = ROOT / "terraform" / "modules" / "stack" / "tests" / "fixtures" / "deployment.zip"
TEST_FILE = """# Written by tooling.iamlint.render: one plan of this root against the mocked provider.
mock_provider "aws" {{
  override_during = plan
  source          = "{mocks}"
}}

variables {{
  lambda_zip_path = "{zip}"
  openapi_path    = "{contract}"
}}

run "plan" {{
  command = plan
}}
"""
TIMEOUT = 900  # seconds; the plan takes well under a minute


class RenderError(Exception):
    """The plan could not be made; the message holds Terraform's own words."""


def prepare(env: str, work_dir: Path, repo: Path = ROOT) -> Path:
    """Copy terraform/envs/<env> into work_dir/<env> with the one test file; return the copy."""
    source = repo / "terraform" / "envs" / env
    if not source.is_dir():
        raise RenderError(f"there is no Terraform root for environment {env!r} ({source})")
    root = work_dir / env
    shutil.rmtree(root, ignore_errors=True)
    (root / "tests").mkdir(parents=True)
    for name in ROOT_FILES:
        shutil.copyfile(source / name, root / name)
    main = root / "main.tf"
    text = main.read_text()
    if text.count(STACK_SOURCE) != 1:
        raise RenderError(f"{source / 'main.tf'} must call the stack module once with source = {STACK_SOURCE}")
    stack = os.path.relpath(repo / "terraform" / "modules" / "stack", root)
    main.write_text(text.replace(STACK_SOURCE, json.dumps(stack)))
    # Relative to the root's directory, where Terraform runs (-chdir).
    (root / "tests" / "plan.tftest.hcl").write_text(
        TEST_FILE.format(
            mocks=os.path.relpath(repo / MOCKS.relative_to(ROOT), root),
            zip=os.path.relpath(repo / TEST_ZIP.relative_to(ROOT), root),
            contract=os.path.relpath(repo / CONTRACT.relative_to(ROOT), root),
        )
    )
    return root


def plan_from_test_output(stdout: str) -> dict[str, Any]:
    """The plan of the ``test_plan`` message among the JSON lines of ``terraform test -json -verbose``."""
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("type") == "test_plan":
            plan: dict[str, Any] = message["test_plan"]
            return plan
    raise RenderError("terraform test printed no plan (test_plan message)")


def _run(command: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def render_plan(
    env: str, work_dir: Path, plugin_dir: Path | None = None, terraform: str = "terraform"
) -> dict[str, Any]:
    """The mocked plan of terraform/envs/<env>, as ``terraform show -json`` would print it."""
    binary = shutil.which(terraform)
    if binary is None:
        raise RenderError(f"{terraform!r} is not on PATH (Terraform >= 1.10 is needed)")
    root = prepare(env, work_dir)
    # Nothing of the caller's AWS identity or Terraform settings reaches the run, but its CLI config.
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    environ.update(TF_DATA_DIR=str(work_dir.resolve() / f".terraform-{env}"), TF_IN_AUTOMATION="1", TF_INPUT="0")
    cli_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if cli_config and Path(cli_config).is_file():
        environ["TF_CLI_CONFIG_FILE"] = cli_config
    init = [binary, f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"]
    if plugin_dir is not None and plugin_dir.is_dir():
        init.append(f"-plugin-dir={plugin_dir}")
    done = _run(init, environ)
    if done.returncode != 0:
        raise RenderError(f"terraform init of {root} failed:\n{done.stderr or done.stdout}")
    done = _run([binary, f"-chdir={root}", "test", "-json", "-verbose", "-no-color"], environ)
    if done.returncode != 0:
        errors = [json.loads(line).get("@message", "") for line in done.stdout.splitlines() if line.startswith("{")]
        raise RenderError(f"terraform test of {root} failed:\n" + "\n".join(errors[-20:]) + done.stderr)
    return plan_from_test_output(done.stdout)
