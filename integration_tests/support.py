"""Small helpers for the end-to-end tests: posting, reading and waiting."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

# Seconds to wait for asynchronous effects; AWS targets may need more than the local cloud.
SETTLE_SECONDS = float(os.environ.get("SETTLE_SECONDS", "10"))
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


def wait_for[T](check: Callable[[], T | None], what: str, timeout: float = SETTLE_SECONDS, every: float = 0.2) -> T:
    """Poll until check() returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}")


def assert_error_body(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    error = body["error"]
    assert set(error) == {"code", "message", "request_id"}, body
    assert all(isinstance(error[field], str) and error[field] for field in error), body
    return body
