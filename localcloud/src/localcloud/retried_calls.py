"""A retried SDK call is answered once: a repeat of a call the local cloud already completed gets its answer.

**Why.** The AWS SDKs retry a call whose answer did not arrive (a reset connection, a timeout)
as well as one that failed. A create is not idempotent: when the first attempt did its work and
only the answer was lost, the retry meets the first attempt's result and fails on it
(``Function already exist``, ``InvalidPermission.Duplicate``, ``Stage already exists``). On AWS
that is rare; on a local cloud that shares two busy cores with Terraform's parallel applies it
was the commonest way for a fresh deploy to fail (localcloud/README.md, *Retried calls*).

**How a call is known.** Every attempt of one SDK call carries the same ``amz-sdk-invocation-id``
and counts itself in ``amz-sdk-request: attempt=N`` (botocore, the AWS SDKs for Go v1 and v2,
Java, JavaScript). An attempt is the same call only with the same method, path and query, and a
body of the same digest: an id reused for another request is served as a new one.

**What is kept.** The answer of every call that may change something (any method but GET,
HEAD and OPTIONS; the query and JSON protocols send reads as POST too, and keeping those costs a
reference) and that succeeded (2xx). An error answer is never replayed: the SDK retries throttles
and 5xx on purpose, and those retries must reach the service again. An attempt that arrives while
the first is still running waits for it (up to ``WAIT_SECONDS``), then takes its answer or, if
it failed, runs anew. Bounded: ``MAX_ANSWERS`` answers, ``MAX_BYTES`` in all, none older than
``TTL_SECONDS`` (the SDKs give up on a call within minutes), answers over ``MAX_ANSWER_BYTES``
not kept.

**What it does not undo.** A reply lost on purpose by the fault API (phase ``response``) is an
error answer, so it is not kept: the SDK's retry reaches the service as a new request, as on AWS,
and the chaos run's lost replies still test the app's own idempotency. This layer sits outside
fault injection, so a replayed answer passes no fault rule a second time.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_ANSWERS = 4096
MAX_BYTES = 64 * 1024 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
TTL_SECONDS = 15 * 60.0
WAIT_SECONDS = 300.0
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Call:
    """One SDK call: the request that identifies it, and its answer once it has one worth replaying."""

    fingerprint: bytes
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    status: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def replayable(self) -> bool:
        return self.status is not None


def attempt_number(environ: dict[str, Any]) -> int:
    """``N`` of ``amz-sdk-request: attempt=N; max=M``; 1 when absent or unreadable."""
    for part in str(environ.get("HTTP_AMZ_SDK_REQUEST", "")).split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return 1


class RetriedCalls:
    """The calls seen lately, by invocation id; bounded in count, bytes and age."""

    def __init__(
        self,
        max_answers: int = MAX_ANSWERS,
        max_bytes: int = MAX_BYTES,
        ttl_seconds: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._max_answers = max_answers
        self._max_bytes = max_bytes
        self._ttl = ttl_seconds
        self._clock = clock
        self.replayed = 0  # answers given again (health, tests)

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def begin(self, invocation_id: str, fingerprint: bytes) -> tuple[_Call, bool]:
        """The call for this attempt, and whether it is new (this attempt runs it)."""
        with self._lock:
            self._expire()
            call = self._calls.get(invocation_id)
            if call is not None and call.fingerprint == fingerprint:
                return call, False
            if call is not None:  # the id of another request: this one is new
                self._forget(invocation_id)
            call = _Call(fingerprint, self._clock())
            self._calls[invocation_id] = call
            return call, True

    def finish(self, invocation_id: str, call: _Call, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """The attempt that ran ``call`` answered; keep the answer if it is one to replay."""
        with self._lock:
            if status.startswith("2") and len(body) <= MAX_ANSWER_BYTES and self._calls.get(invocation_id) is call:
                call.status, call.headers, call.body = status, headers, body
                self._bytes += len(body)
                self._calls.move_to_end(invocation_id)
                while self._bytes > self._max_bytes or len(self._calls) > self._max_answers:
                    self._forget(next(iter(self._calls)))
            elif self._calls.get(invocation_id) is call:
                self._forget(invocation_id)  # nothing to replay: a retry runs anew
        call.done.set()

    def abandon(self, invocation_id: str, call: _Call) -> None:
        """The attempt that ran ``call`` raised: a retry runs anew."""
        with self._lock:
            if self._calls.get(invocation_id) is call:
                self._forget(invocation_id)
        call.done.set()

    def _forget(self, invocation_id: str) -> None:
        call = self._calls.pop(invocation_id)
        self._bytes -= len(call.body)

    def _expire(self) -> None:
        oldest = self._clock() - self._ttl
        while self._calls:
            invocation_id, call = next(iter(self._calls.items()))
            if call.started >= oldest:
                break
            self._forget(invocation_id)


def answer_retries_once(app: WSGIApp, calls: RetriedCalls) -> WSGIApp:
    """``app`` behind ``calls``: a repeated attempt of a completed call gets the first attempt's answer."""

    def once(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        invocation_id = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation_id or environ.get("REQUEST_METHOD", "GET") in _READS:
            return app(environ, start_response)
        body = _read_body(environ)
        target = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        fingerprint = hashlib.blake2b("\n".join(target).encode() + b"\n" + body, digest_size=16).digest()
        while True:
            call, new = calls.begin(invocation_id, fingerprint)
            if new:
                return _run(app, environ, start_response, calls, invocation_id, call)
            # A repeat: wait for the attempt that runs it, then take its answer, or run anew.
            if call.done.wait(WAIT_SECONDS) and call.replayable:
                calls.replayed += 1
                replayed = ("x-localcloud-replayed", f"attempt={attempt_number(environ)}")
                start_response(call.status, [*call.headers, replayed])
                return [call.body]
            if not call.done.is_set():
                return _run(app, environ, start_response, calls, invocation_id, None)
            # The first attempt failed and was forgotten: this one begins the call again.

    return once


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if stream is None:
        return b""
    body = stream.read(length) if length > 0 else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _run(
    app: WSGIApp,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    calls: RetriedCalls,
    invocation_id: str,
    call: _Call | None,
) -> list[bytes]:
    answered: dict[str, Any] = {}

    def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        answered["status"], answered["headers"] = status, list(headers)
        write: Callable[[bytes], None] = start_response(status, headers, exc_info)
        return write

    try:
        result = app(environ, keep)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except BaseException:
        if call is not None:
            calls.abandon(invocation_id, call)
        raise
    if call is not None:
        calls.finish(invocation_id, call, answered.get("status", "500"), answered.get("headers", []), body)
    return [body]
