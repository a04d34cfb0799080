"""The contract, property-tested against the app in-process: every operation, generated
valid and invalid requests, every Schemathesis check. Breaks show up in seconds, no deploy.

API keys are the gateway's job, not the app's: the in-process run uses the contract
without its `security` requirements, and `make contract-test` holds the deployed
gateways (keys, unknown routes, throttling) to the full contract.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from chalice.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.contract.chalice_wsgi import ChaliceWsgi
from tooling.moto_stack import create_moto_stack

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "openapi.yaml"
CONFIG = ROOT / "schemathesis.toml"


def app_contract() -> dict[str, Any]:
    """The contract as the app alone must honour it: without the gateway's API-key requirement."""
    document: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    document.pop("security", None)
    for item in document["paths"].values():
        for operation in item.values():
            operation.pop("security", None)
    return document


def contract_config() -> SchemathesisConfig:
    """schemathesis.toml, the same rules as the deployed runs; the app is called in-process."""
    os.environ.setdefault("CONTRACT_BASE_URL", "http://in-process")
    os.environ.setdefault("CONTRACT_API_KEY", "in-process")
    return SchemathesisConfig.from_path(CONFIG)


schema = schemathesis.openapi.from_dict(app_contract(), config=contract_config())


@pytest.fixture(scope="module")
def app_wsgi() -> Iterator[ChaliceWsgi]:
    from moto import mock_aws

    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for name, value in create_moto_stack().environment().items():
            patch.setenv(name, value)
        import app
        from chalicelib import components

        components.reset()
        with Client(app.app, stage_name="test") as client:
            yield ChaliceWsgi(client)
        components.reset()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_app_honours_the_contract(case: schemathesis.Case[Any], app_wsgi: ChaliceWsgi) -> None:
    case.call_and_validate(app=app_wsgi)
