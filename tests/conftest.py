"""Shared fixtures: no way out to a real account or local cloud.

The Chalice app (``app``, ``chalicelib``) is importable because pytest puts chalice_app/ first on
the search path (``pythonpath`` in pyproject.toml), as Lambda puts the function's code first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.testing import dummy_aws_environment


@pytest.fixture(autouse=True, scope="session")
def _aws_test_credentials() -> Iterator[None]:
    """Session-wide, so it is in force before any module- or session-scoped fixture runs.

    `make` exports AWS_ENDPOINT_URL for ENV=local; inherited here, it would send
    moto-mocked clients to whatever listens on that port instead of moto. An inherited
    MOTO_IAM_LOAD_MANAGED_POLICIES would make every fresh moto account load about a
    thousand IAM policies (1.5 s per test); tests that need them (the Terraform apply)
    set it themselves.
    """
    with dummy_aws_environment():
        yield
