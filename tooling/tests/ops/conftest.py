"""Operator tools run against a local cloud in this process, described by an outputs.json of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.testing import Cloud, dummy_aws_environment, running_cloud
from tooling.ops.target import Target
from tooling.repository import ROOT

# The local cloud's own test handlers.
FUNCTIONS = ROOT / "localcloud" / "tests" / "functions"


@pytest.fixture(autouse=True, scope="package")
def _no_real_account() -> Iterator[None]:
    """Dummy credentials; nothing inherited (``make`` exports AWS_ENDPOINT_URL) reaches another endpoint."""
    with dummy_aws_environment():
        yield


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    with running_cloud(tmp_path, FUNCTIONS) as started:
        yield started


@pytest.fixture
def target(cloud: Cloud) -> Target:
    return Target({"aws_endpoint_url": cloud.endpoint_url, "region": "us-east-1"})
