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

from localcloud.testing import Cloud, running_cloud  # noqa: E402

FUNCTIONS = Path(__file__).with_name("functions")


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    with running_cloud(tmp_path, FUNCTIONS) as started:
        yield started
