"""End-to-end fixtures. Everything comes from build/<env>/outputs.json, so the same
tests run against the local cloud, a LocalStack, or AWS:

    make integration-test ENV=dev        # or OUTPUTS_FILE=path/to/outputs.json
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
import requests
from localstack_client.session import Session as LocalstackSession

from integration_tests.chaos import FaultInjection

ROOT = Path(__file__).resolve().parent.parent


def outputs_path() -> Path:
    """build/<env>/outputs.json of the target (OUTPUTS_FILE names another); its folder is the state's."""
    explicit = os.environ.get("OUTPUTS_FILE")
    if explicit:
        return Path(explicit)
    return ROOT / "build" / os.environ.get("ENV", "local") / "outputs.json"


@pytest.fixture(scope="session")
def outputs() -> dict[str, Any]:
    path = outputs_path()
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `make deploy ENV=...` first")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


class Aws:
    """boto3 clients for the deployed target: localstack-client for an emulator, plain boto3 for AWS."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        endpoint = outputs.get("aws_endpoint_url") or ""
        region = outputs["region"]
        if endpoint:
            parsed = urlparse(endpoint)
            self._session: Any = LocalstackSession(
                aws_access_key_id="test",
                aws_secret_access_key="test",
                region_name=region,
                localstack_host=f"{parsed.hostname}:{parsed.port}",
            )
        else:
            self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]


@pytest.fixture(scope="session")
def aws(outputs: dict[str, Any]) -> Aws:
    return Aws(outputs)


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session", params=["edge", "regional"])
def gateway(request: pytest.FixtureRequest, outputs: dict[str, Any]) -> str:
    """Each test that takes a gateway runs once through the EDGE and once through the REGIONAL API."""
    url: str = outputs[f"{request.param}_api_url"]
    return url.rstrip("/")


@pytest.fixture(scope="session")
def api_key(outputs: dict[str, Any]) -> str:
    return str(outputs["api_key"])


@pytest.fixture
def faults(outputs: dict[str, Any], http: requests.Session) -> Iterator[FaultInjection]:
    """The target's fault-injection API (the local cloud's or LocalStack's), cleared before and after the test.

    AWS has no such API: on a target without an emulator endpoint the test is skipped.
    """
    endpoint = outputs.get("aws_endpoint_url") or ""
    # Not a check left green: AWS offers no fault API, so these cases cannot run there at all. They
    # run against the local cloud in `make test` and against LocalStack nightly.
    if not endpoint:
        pytest.skip("fault injection needs an emulator (the local cloud or LocalStack); this target is AWS")
    client = FaultInjection.find(http, endpoint)
    if client is None:
        pytest.skip(f"fault injection needs an emulator with a chaos API; {endpoint} has none")
    client.clear()
    try:
        yield client
    finally:
        client.clear()
