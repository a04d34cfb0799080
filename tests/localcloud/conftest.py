"""Fixtures for the local cloud tests.

Each test gets its own local cloud, started in this process on a free port
(never 4566) with fresh moto state, and boto3 clients pointed at it. Test
functions are the small handlers in ``functions/``, zipped per test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The Makefile puts scripts/ on PYTHONPATH; this lets a bare `pytest` work too.
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from moto.core.base_backend import BackendDict  # noqa: E402

from localcloud.server import LocalCloud  # noqa: E402
from localcloud.settings import Settings  # noqa: E402
from localcloud.testing import Cloud  # noqa: E402

FUNCTIONS = Path(__file__).with_name("functions")

# Rebuilding IAM costs about a second (its ~1,600 managed policies), so tests
# share it (every role has a unique name) and reset every other service.
_SHARED_SERVICES = {"iam", "sts"}


def _reset_moto() -> None:
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        if backends.service_name not in _SHARED_SERVICES:
            backends.clear()


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    _reset_moto()
    settings = Settings(
        port=0,
        state_dir=tmp_path / "state",
        poll_interval=0.05,
        stream_retry_delay=0.05,
        async_retry_delay=0.1,
        schedule_resolution=0.2,
        prewarm=False,
    )
    local = LocalCloud(settings)
    local.start()
    try:
        yield Cloud(local, tmp_path, FUNCTIONS)
    finally:
        local.stop()
