"""IAM calls reach moto one at a time; other services stay concurrent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localcloud.moto_patches.serialize import serialize_services


def signed(service: str) -> dict[str, Any]:
    credential = f"Credential=test/20261127/us-east-1/{service}/aws4_request"
    return {"HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=x"}


class CountingApp:
    """A WSGI app that records how many requests it was serving at once."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.02)
        with self._lock:
            self.active -= 1
        start_response("200 OK", [])
        return [b"ok"]


def run_concurrently(app: Any, environ: dict[str, Any], n: int = 8) -> list[list[bytes]]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: list(app(dict(environ), lambda *a: None)), range(n)))


def test_iam_requests_are_serialised() -> None:
    inner = CountingApp()
    assert run_concurrently(serialize_services(inner), signed("iam")) == [[b"ok"]] * 8
    assert inner.peak == 1


def test_other_services_stay_concurrent() -> None:
    inner = CountingApp()
    run_concurrently(serialize_services(inner), signed("sqs"))
    assert inner.peak > 1


def test_unsigned_requests_pass_through() -> None:
    inner = CountingApp()
    run_concurrently(serialize_services(inner), {})
    assert inner.peak > 1
