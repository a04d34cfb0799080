"""Fixtures for unit tests: moto's mock_aws with the resources Terraform would create."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from tests.unit.cloud import FakeCloud, create_cloud


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
