"""Shared fixtures: the Chalice app on sys.path, and no way out to a real account or local cloud."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "chalice_app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


@pytest.fixture(autouse=True, scope="session")
def _aws_test_credentials() -> Iterator[None]:
    """Session-wide, so it is in force before any module- or session-scoped fixture runs.

    `make` exports AWS_ENDPOINT_URL for ENV=local; inherited here, it would send
    moto-mocked clients to whatever listens on that port instead of moto. An inherited
    MOTO_IAM_LOAD_MANAGED_POLICIES would make every fresh moto account load about a
    thousand IAM policies (1.5 s per test); tests that need them (the Terraform apply)
    set it themselves.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_IAM_LOAD_MANAGED_POLICIES"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "test")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_REGION", "us-east-1")
        yield
