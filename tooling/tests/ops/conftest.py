"""Operator tools run against a local cloud in this process, described by an outputs.json of its own."""

from __future__ import annotations

import pytest

from cloud_fixtures import cloud, no_real_account
from localcloud.testing import Cloud
from tooling.ops.target import Target

# Fixtures shared with the other tooling test packages, used here by name.
__all__ = ["cloud", "no_real_account"]


@pytest.fixture
def target(cloud: Cloud) -> Target:
    return Target({"aws_endpoint_url": cloud.endpoint_url, "region": "us-east-1"})
