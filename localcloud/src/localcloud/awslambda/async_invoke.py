"""Asynchronous invocations (InvocationType Event, SNS, EventBridge).

The caller gets control back at once, as on AWS, where these services hand the
event to Lambda's internal queue. A failed invocation is retried up to the
function's MaximumRetryAttempts (default 2) after a delay; AWS waits about one
and then two minutes, here ``retry_delay`` and twice that. An event that still
fails goes to ``on_failure`` (the dead-letter queue and on-failure destination).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from localcloud.awslambda.executor import FunctionLike, Invocation

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 2

Invoke = Callable[[FunctionLike, bytes], Invocation]
Resolve = Callable[[], FunctionLike]
# (function, event, last result, number of invocations)
OnFailure = Callable[[FunctionLike, bytes, Invocation, int], None]


def _max_retries(fn: FunctionLike) -> int:
    # PutFunctionEventInvokeConfig appends; the last one is in force.
    for config in reversed(getattr(fn, "event_invoke_config", None) or []):
        value = getattr(config, "config", {}).get("MaximumRetryAttempts")
        if value is not None:
            return int(value)
    return DEFAULT_MAX_RETRIES


class AsyncInvoker:
    def __init__(
        self, invoke: Invoke, retry_delay: float, on_failure: OnFailure | None = None, threads: int = 4
    ) -> None:
        self._invoke = invoke
        self._on_failure = on_failure
        self._retry_delay = retry_delay
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="localcloud-async")
        self._closed = threading.Event()
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()

    def submit(self, resolve: Resolve, payload: bytes) -> None:
        """Queue one invocation; ``resolve`` finds the function when it runs."""
        if not self._closed.is_set():
            self._pool.submit(self._attempt, resolve, payload, 0)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _attempt(self, resolve: Resolve, payload: bytes, attempt: int) -> None:
        try:
            fn = resolve()
        except Exception as exc:
            log.warning("asynchronous invocation dropped: %s", exc)
            return
        try:
            result = self._invoke(fn, payload)
        except Exception:
            log.exception("asynchronous invocation of %s failed", fn.function_name)
            return
        if not result.is_error:
            return
        if attempt >= _max_retries(fn):
            log.warning("asynchronous invocation of %s failed %d times", fn.function_name, attempt + 1)
            if self._on_failure is not None:
                try:
                    self._on_failure(fn, payload, result, attempt + 1)
                except Exception:
                    log.exception("could not route the failed event of %s", fn.function_name)
            return
        self._retry_later(resolve, payload, attempt + 1)

    def _retry_later(self, resolve: Resolve, payload: bytes, attempt: int) -> None:
        if self._closed.is_set():
            return

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            if not self._closed.is_set():
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    self._pool.submit(self._attempt, resolve, payload, attempt)

        timer = threading.Timer(self._retry_delay * attempt, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()
