"""Fixtures for the build and bench tools in scripts/.

scripts/ is not a package, so the tools are loaded by path. That keeps the
tests independent of how pytest and mypy are configured for the rest of the
repo.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
FIXTURE_APP = Path(__file__).resolve().parent / "fixture_app"


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py once, as the scripts import each other (by bare name)."""
    if name in sys.modules:
        return sys.modules[name]
    if str(SCRIPTS) not in sys.path:
        # bench.py imports bench_stats by its bare name, as it does when run as a script.
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fixture_app() -> Path:
    """A tiny Chalice app with no requirements: builds in about a second, offline."""
    return FIXTURE_APP


@pytest.fixture(scope="session")
def build_lambda() -> ModuleType:
    return load_script("build_lambda")


@pytest.fixture(scope="session")
def bench() -> ModuleType:
    return load_script("bench")


@pytest.fixture(scope="session")
def bench_stats() -> ModuleType:
    return load_script("bench_stats")
