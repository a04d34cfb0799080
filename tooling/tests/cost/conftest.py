"""Fixtures for the cost model (tooling.cost): the real data file, and fixed inputs to check arithmetic on.

fixtures/handlers_results.json is a hand-written handlers section in the bench's shape: input to the
arithmetic tests, not a measurement. fixtures/sizing_*.txt are the stack's `sizing` output for dev and prod
as `terraform console` printed it (a JSON string literal), captured on 2026-11-30.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloud_fixtures import no_real_account
from tooling.cost import data, measurements, sizing

# Fixtures shared with the other tooling test packages, used here by name.
__all__ = ["no_real_account"]

FIXTURES = Path(__file__).with_name("fixtures")
RESULTS = FIXTURES / "handlers_results.json"


@pytest.fixture
def cost_data() -> data.CostData:
    """The real prices.json, loaded fresh so PriceBook.used starts empty."""
    return data.load()


@pytest.fixture(scope="session")
def bench() -> measurements.HandlersBench:
    return measurements.load_results(RESULTS)


@pytest.fixture(scope="session")
def results_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="session")
def dev_sizing() -> sizing.Sizing:
    return sizing.parse_sizing((FIXTURES / "sizing_dev.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def prod_sizing() -> sizing.Sizing:
    return sizing.parse_sizing((FIXTURES / "sizing_prod.txt").read_text(encoding="utf-8"))


@pytest.fixture
def data_with() -> Callable[..., data.CostData]:
    """The real data file with some entries replaced: data_with(quotas={...}, assumptions={...}, env={...})."""

    def build(
        quotas: dict[str, float] | None = None,
        assumptions: dict[str, Any] | None = None,
        env: dict[str, dict[str, Any]] | None = None,
    ) -> data.CostData:
        doc = json.loads(data.DATA_FILE.read_text(encoding="utf-8"))
        for key, value in (quotas or {}).items():
            doc["quotas"][key]["value"] = value
        for key, value in (assumptions or {}).items():
            doc["assumptions"][key]["value"] = value
        for name, changes in (env or {}).items():
            doc["assumptions"]["environments"]["value"][name].update(changes)
        return data.parse(doc)

    return build
