"""Small helpers for the end-to-end tests: posting, reading, and the pace of waiting.

Waiting is ``localcloud.testing.wait_for`` (the repository's one polling helper), given these
tests' timeout and interval: ``wait_for(check, what, timeout=SETTLE_SECONDS, interval=POLL_SECONDS)``.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import requests

# Seconds to wait for asynchronous effects; AWS targets may need more than the local cloud.
SETTLE_SECONDS = float(os.environ.get("SETTLE_SECONDS", "10"))
# How often they poll a deployed stack: its gateways throttle per API key.
POLL_SECONDS = 0.2
REQUEST_TIMEOUT = 30


def unique(prefix: str) -> str:
    """A name no earlier run used, so tests never see each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def post_event(http: requests.Session, base: str, key: str, body: dict[str, Any], **headers: str) -> requests.Response:
    return http.post(
        f"{base}/v1/events",
        data=json.dumps(body),
        headers={"content-type": "application/json", "x-api-key": key, **headers},
        timeout=REQUEST_TIMEOUT,
    )


def get_json(http: requests.Session, url: str, key: str) -> Any:
    response = http.get(url, headers={"x-api-key": key}, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()


def assert_error_body(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    error = body["error"]
    assert set(error) == {"code", "message", "request_id"}, body
    assert all(isinstance(error[field], str) and error[field] for field in error), body
    return body
