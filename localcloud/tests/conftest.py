"""Fixtures for the local cloud's tests.

``cloud`` is always a running local cloud (``localcloud.testing.Cloud``): its own, started
in this process on a free port (never 4566) with fresh moto state, boto3 clients pointed
at it. Test functions are the small handlers in ``functions/``, zipped per test.

``gateway`` is the API Gateway data plane alone, over a Lambda double, one per test module
(``apigateway_support.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apigateway_support import Gateway, running_gateway
from localcloud.testing import Cloud, dummy_aws_environment, running_cloud

FUNCTIONS = Path(__file__).with_name("functions")


@pytest.fixture(autouse=True, scope="session")
def _no_real_account() -> Iterator[None]:
    """Dummy credentials and region; nothing inherited can reach a real account or another endpoint.

    Session-wide, so it is in force before any module-scoped fixture runs. ``make`` exports
    AWS_ENDPOINT_URL for ENV=local; a profile that does not exist here would fail every client.
    """
    with dummy_aws_environment():
        yield


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    with running_cloud(tmp_path, FUNCTIONS) as started:
        yield started


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with running_gateway() as started:
        yield started
