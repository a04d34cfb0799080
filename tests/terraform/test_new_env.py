"""make new-env: a new root made from an existing one is a valid root of its own, and the refusals
name the fix. Run on a copy of terraform/ so the repository's roots are never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.terraform.runner import run_terraform, terraform_env

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "new_env.py"
SHARED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "backend.hcl")
    shutil.copytree(ROOT / "terraform", tmp_path / "terraform", symlinks=True, ignore=ignore)
    return tmp_path / "terraform" / "envs"


def _new_env(envs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), "--envs", str(envs), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_new_environment_from_staging_is_a_root_that_validates(envs: Path, tmp_path: Path) -> None:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not installed: make tf-test needs it")

    done = _new_env(envs, "--name", "qa", "--from", "staging")

    assert done.returncode == 0, done.stderr
    assert "make deploy ENV=qa" in done.stdout
    qa = envs / "qa"
    for name in SHARED_FILES:
        assert (qa / name).readlink() == Path("../_shared") / name
    tfvars = (qa / "terraform.tfvars").read_text(encoding="utf-8")
    assert 'environment = "qa"' in tfvars
    assert "staging" not in tfvars.split("#")[0]
    assert "events/qa/terraform.tfstate" in (qa / "backend.hcl.example").read_text(encoding="utf-8")
    assert (qa / "backend.tf").read_text() == (envs / "staging" / "backend.tf").read_text()
    env = terraform_env("http://127.0.0.1:9", tmp_path, "us-east-1")
    init = ["init", "-backend=false", "-input=false", "-no-color"]
    mirror = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
    if mirror.is_dir():
        init.append(f"-plugin-dir={mirror}")
    run_terraform(qa, env, {}, *init, timeout=300)
    validated = run_terraform(qa, env, {}, "validate", "-no-color", timeout=300)
    assert "Success" in validated.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--name", "staging"], "exists already"),
        (["--name", "Q_A"], "lower-case letters or digits"),
        (["--name", "qa", "--from", "nope"], "one of dev, local, prod, staging"),
        (["--name", "qa", "--from", "local"], "start from dev, staging or prod"),
    ],
)
def test_a_refused_request_names_the_fix_and_creates_nothing(envs: Path, args: list[str], says: str) -> None:
    before = sorted(p.name for p in envs.iterdir())

    done = _new_env(envs, *args)

    assert done.returncode == 2
    assert says in done.stderr
    assert sorted(p.name for p in envs.iterdir()) == before
