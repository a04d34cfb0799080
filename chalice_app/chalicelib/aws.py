"""Cached boto3 clients: the only process-wide state the app keeps.

boto3 itself honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>), so the
same code talks to AWS, LocalStack or the local cloud without a branch here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Short timeouts and standard retries: a Lambda should fail fast and let the
# event source retry rather than spend its whole timeout on one socket.
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 5
# Attempts in all, the first included (botocore's `max_attempts` would count retries only).
TOTAL_ATTEMPTS = 3
_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
)
# Standard mode waits up to 2**(n-1) seconds before retry n after throttling (less after other errors).
WORST_BACKOFF_SECONDS = sum(2 ** (n - 1) for n in range(1, TOTAL_ATTEMPTS))
# The longest one call can take: every attempt timing out, plus the backoff between them. Loops
# that must finish inside a Lambda timeout check that this much time is left before each call.
WORST_CALL_SECONDS = TOTAL_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + WORST_BACKOFF_SECONDS


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials)."""
    client.cache_clear()
