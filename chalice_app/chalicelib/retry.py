"""Transient AWS errors, and retrying them with capped, jittered backoff inside a time budget.

A transient error says nothing about the data: the same call can succeed a moment later.
Throttling (every code botocore's standard retry mode treats as throttling, and DynamoDB's
``TransactionConflict``/``ThrottlingError`` cancellation reasons), a single write that met a
transaction on its item (``TransactionConflictException``), a 5xx, a dropped or timed-out
connection. The SDK has already retried these a few times when they reach the app; here they
are retried again with backoff, and whoever still sees one after that never treats it as a
domain answer: the API answers 503 with ``Retry-After``, and a consumer leaves the record to
its source's retries or to the reconciler. Everything else (a failed condition, a validation
error, a malformed message) is an answer, and retrying it would change nothing.

``Deadline`` turns a Lambda context into "how much time is left", so loops stop before the
function's timeout rather than being killed mid-batch.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

# What botocore's standard mode retries as throttling, plus the same idea in other services' words.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "KMSThrottlingException",
    }
)
UNAVAILABLE_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSInternalException",
    }
)
# A single-item write that met a transaction in progress on the same item (DynamoDB answers it with
# this code; botocore's standard mode does not retry it): the write can succeed a moment later.
CONFLICT_CODES = frozenset({"TransactionConflictException"})
# DynamoDB transaction cancellation reasons that are about load, not about the data.
TRANSIENT_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
_CONNECTION_ERRORS = (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    HTTPClientError,
)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def cancellation_codes(error: BaseException) -> list[str]:
    """One code per transaction item (``None`` for an item that was fine), or [] for other errors."""
    if not isinstance(error, ClientError) or error_code(error) != "TransactionCanceledException":
        return []
    return [str(reason.get("Code") or "None") for reason in error.response.get("CancellationReasons", [])]


def is_throttling(error: BaseException) -> bool:
    codes = set(cancellation_codes(error))
    return error_code(error) in THROTTLING_CODES or bool(codes & {"ThrottlingError", "ProvisionedThroughputExceeded"})


def is_transient(error: BaseException) -> bool:
    """True when retrying the same call later can succeed: throttling, a conflict, a 5xx, a lost connection."""
    if isinstance(error, _CONNECTION_ERRORS):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error_code(error)
    if code in THROTTLING_CODES or code in UNAVAILABLE_CODES or code in CONFLICT_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = set(cancellation_codes(error)) - {"None"}
        return bool(reasons) and reasons <= TRANSIENT_CANCELLATIONS
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return status >= 500


@dataclass(frozen=True)
class Deadline:
    """When the current invocation must have stopped working, less a reserve for answering."""

    at: float | None  # time.monotonic() seconds; None: no limit (a call outside Lambda)

    @classmethod
    def from_context(cls, context: Any, reserve_seconds: float) -> Deadline:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return cls(None)
        return cls(time.monotonic() + float(remaining()) / 1000 - reserve_seconds)

    @classmethod
    def none(cls) -> Deadline:
        return cls(None)

    def remaining(self) -> float:
        return float("inf") if self.at is None else self.at - time.monotonic()

    def allows(self, seconds: float) -> bool:
        """Whether ``seconds`` of work still fit."""
        return self.remaining() >= seconds


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff: attempt n waits up to min(cap, base * 2**n)."""

    attempts: int = 4
    base: float = 0.05
    cap: float = 1.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


def retry_transient[T](
    call: Callable[[], T],
    backoff: Backoff = Backoff(),
    deadline: Deadline = Deadline(None),
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried while it fails transiently, up to ``backoff.attempts`` tries and the deadline."""
    for attempt in range(backoff.attempts):
        try:
            return call()
        except Exception as error:
            if not is_transient(error) or attempt == backoff.attempts - 1:
                raise
            pause = backoff.delay(attempt)
            if not deadline.allows(pause):
                raise
            sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")
