"""One `terraform` call for the tests that drive real Terraform: timed, its output kept, a failure reported."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

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
