"""What the tests that drive real Terraform share: the environment of a run, and one timed `terraform` call."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest


def run_terraform(
    chdir: Path,
    env: dict[str, str],
    timings: dict[str, float],
    *args: str,
    timeout: float,
    step: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``terraform -chdir=<chdir> <args>``; a named step is timed into ``timings`` and printed."""
    started = time.monotonic()
    result = subprocess.run(
        ["terraform", f"-chdir={chdir}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if step:
        timings[step] = round(time.monotonic() - started, 1)
        print(f"terraform {step}: {timings[step]} s", file=sys.stderr)
    if check and result.returncode != 0:
        command = " ".join(args)
        pytest.fail(f"terraform {command} exited {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr}")
    return result


def terraform_env(endpoint: str, workdir: Path, region: str) -> dict[str, str]:
    """The environment of a Terraform run against an emulator at ``endpoint``, its data in ``workdir``."""
    # Nothing of the caller's AWS identity may leak into the run.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        TF_DATA_DIR=str(workdir / "tf-data"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
    )
    # A CLI config that does not exist only earns a warning on every command;
    # an existing one (or the default ~/.terraformrc) is kept.
    cli_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if cli_config and Path(cli_config).is_file():
        env["TF_CLI_CONFIG_FILE"] = cli_config
    elif cli_config:
        empty = workdir / "terraformrc"
        empty.write_text("")
        env["TF_CLI_CONFIG_FILE"] = str(empty)
    plugin_cache = os.environ.get("TF_PLUGIN_CACHE_DIR")
    if plugin_cache:
        env["TF_PLUGIN_CACHE_DIR"] = plugin_cache
    return env


def lambda_zip(root: Path) -> Path:
    """The built Lambda zip (``LAMBDA_ZIP``, else ``make build``'s), or the test fails saying how to build it."""
    path = Path(os.environ.get("LAMBDA_ZIP", root / "build" / "lambda" / "deployment.zip"))
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        pytest.fail(f"Lambda zip {path} is missing: run `make build` first (or point LAMBDA_ZIP at a zip).")
    return path


def init_args(workdir: Path) -> list[str]:
    """``terraform init`` with the state in ``workdir`` and the provider mirror when there is one."""
    args = ["init", "-input=false", "-no-color", f"-backend-config=path={workdir / 'terraform.tfstate'}"]
    mirror = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
    if mirror.is_dir():
        args.append(f"-plugin-dir={mirror}")
    return args


def emulator_client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client of ``service`` against the emulator at ``endpoint``, with its dummy credentials."""
    factory: Any = boto3.client  # the service name is not a literal the stubs can narrow
    return factory(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
