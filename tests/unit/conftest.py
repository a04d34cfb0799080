"""Fixtures for unit tests: moto's mock_aws with the resources Terraform would create."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from tooling.fakecloud import FakeCloud, create_cloud


@pytest.fixture(scope="session", autouse=True)
def _faithful_fast_moto() -> None:
    """The local cloud's moto patches that matter under mock_aws too.

    ``fidelity`` makes TransactWriteItems honour ClientRequestToken as DynamoDB does (the SDK's
    retry of a commit whose reply was lost must not run it twice). ``speed`` snapshots only the
    items a transaction names, where moto copies the whole table (same results,
    localcloud/tests/test_moto_speed.py): the property tests accept thousands of events, which
    would otherwise slow down with every one.
    """
    from localcloud.moto_patches import fidelity, speed

    fidelity.apply()
    speed.apply()


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloud]:
    from moto import mock_aws

    from chalicelib import components

    with mock_aws():
        resources = create_cloud()
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        components.reset()
        yield resources
        components.reset()


@pytest.fixture
def client(cloud: FakeCloud) -> Iterator[Client]:
    import app

    with Client(app.app, stage_name="test") as test_client:
        yield test_client
