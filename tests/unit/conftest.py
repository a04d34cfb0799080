"""Fixtures for unit tests: moto's mock_aws with the resources Terraform would create."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from tooling.moto_stack import MotoStack, create_moto_stack


@pytest.fixture(scope="session", autouse=True)
def _faithful_fast_moto() -> None:
    """The local cloud's moto patches that matter under mock_aws too.

    ``fidelity`` makes TransactWriteItems honour ClientRequestToken as DynamoDB does (the SDK's
    retry of a commit whose reply was lost must not run it twice). ``speed`` snapshots only the
    items a transaction names, where moto copies the whole table (same results:
    localcloud/tests/test_moto_patches_speed.py): the property tests accept thousands of events,
    which would otherwise slow down with every one.
    """
    from localcloud.moto_patches import fidelity, speed

    fidelity.apply()
    speed.apply()


@pytest.fixture
def moto_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoStack]:
    """The service's resources created in moto's in-process mock, their names in the environment the app reads."""
    from moto import mock_aws

    from chalicelib import components

    with mock_aws():
        resources = create_moto_stack()
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        components.reset()
        yield resources
        components.reset()


@pytest.fixture
def client(moto_stack: MotoStack) -> Iterator[Client]:
    import app

    with Client(app.app, stage_name="test") as test_client:
        yield test_client
