"""The local cloud's own endpoints under /_localcloud/ (``tick`` is the scheduler's: test_events_scheduler.py)."""

from __future__ import annotations

import requests

from localcloud.testing import Cloud


def test_health_endpoint(cloud: Cloud) -> None:
    body = requests.get(f"{cloud.endpoint_url}/_localcloud/health", timeout=5).json()
    assert body["status"] == "ok"
    assert body["service"] == "localcloud"
    assert body["port"] == cloud.server.port
