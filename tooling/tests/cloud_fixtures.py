"""Fixtures the tooling test packages share; each package's conftest re-exports what it uses.

``no_real_account`` (automatic in the packages that take it): dummy credentials and region, so
nothing inherited (``make`` exports AWS_ENDPOINT_URL for ENV=local) reaches a real account or
another endpoint. ``cloud``: a fresh local cloud in this process on a free port, with the local
cloud's own test handlers, for the tools that act on a deployment (ops, watch).

A module, not a conftest.py at the root of tooling/tests: the type checker sees one module per
name across the repository's test trees, and localcloud/tests has its conftest already.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.testing import Cloud, dummy_aws_environment, running_cloud
from tooling.repository import ROOT

# The local cloud's own test handlers.
FUNCTIONS = ROOT / "localcloud" / "tests" / "functions"


@pytest.fixture(autouse=True, scope="package")
def no_real_account() -> Iterator[None]:
    with dummy_aws_environment():
        yield


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    with running_cloud(tmp_path, FUNCTIONS) as started:
        yield started
