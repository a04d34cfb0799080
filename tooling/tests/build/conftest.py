"""Fixtures for the build's tests: a tiny Chalice app to package."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURE_APP = Path(__file__).resolve().parent / "fixture_app"


@pytest.fixture(scope="session")
def fixture_app() -> Path:
    """A tiny Chalice app with no requirements: builds in about a second, offline."""
    return FIXTURE_APP
