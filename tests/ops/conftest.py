"""Operator tools run against a local cloud in this process, described by an outputs.json of its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.testing import Cloud, running_cloud

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
# The ops package is in scripts/ (the Makefile runs it with PYTHONPATH=scripts).
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from ops.target import Target  # noqa: E402

# The local cloud's own test handlers.
FUNCTIONS = Path(__file__).resolve().parents[2] / "localcloud" / "tests" / "functions"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    with running_cloud(tmp_path, FUNCTIONS) as started:
        yield started


@pytest.fixture
def target(cloud: Cloud) -> Target:
    return Target({"aws_endpoint_url": cloud.endpoint_url, "region": "us-east-1"})
