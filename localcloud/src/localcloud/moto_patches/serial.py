"""One caller at a time inside moto: every request and every in-process reader or writer of its state.

moto's backends are plain dicts and lists that its handlers read, iterate and rewrite without
locks, written for one test calling at a time. The local cloud calls them from many threads at
once: Terraform's parallel creates, the Lambda workers' SDK calls and the pollers. Interleaved,
they lost updates and failed requests after their effect had happened, and the SDK's retry then
met its own result: two ``RemovePermission`` calls on one function each rewrote its policy from
the copy it had read, so one statement came back; IAM handlers iterated dicts other threads were
inserting into; a ``CreateStage`` failed after storing the stage and its retry found it there.

**Design: one lock for all of moto, not one per service.** moto's services call each other in
process (an SNS publish appends to SQS queues, a rule sends to its targets, a table write feeds
its stream, a mapping reads the function), so a lock per service would either miss those writes
or take several locks in varying orders. One lock has neither problem, and it costs nothing
measurable: moto's handlers are pure Python, so the interpreter lock already lets only one run
at a time (the chaos run's CPU per settled event is in localcloud/README.md, before and after).

**Who holds it.** ``serialized`` takes it around every AWS API request that reaches moto's
dispatcher, body included; the pollers, the scheduler, the log shipper, the failure routes, the
API Gateway data plane's route reads and the snapshots take it around their own moto calls. It is
reentrant (a patched moto method that calls back into moto on the same thread takes it again)
and always taken first: code that holds a lock of its own (a queue's message condition, the
pollers' table) never waits for it, so no two threads can wait on each other.

**Who sets it down.** Whatever waits inside a moto call must not hold everyone else up: a
synchronous Lambda invocation (the handler calls back into the server), an SQS long poll (it
waits for a message another request sends). Those wait in ``MOTO.released()``, which sets the
lock down for the holding thread and takes it back afterwards at the same depth.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class MotoLock:
    """A reentrant lock whose holder can set it down for a while (``released``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> MotoLock:
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return self
        self._lock.acquire()
        self._owner, self._depth = me, 1
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    def held(self) -> bool:
        """Whether the calling thread holds it."""
        return self._owner == threading.get_ident()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Set the lock down while the block waits, if this thread holds it; take it back after."""
        if not self.held():
            yield
            return
        depth = self._depth
        self._owner, self._depth = None, 0
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner, self._depth = threading.get_ident(), depth


MOTO = MotoLock()


def serialized(app: WSGIApp) -> WSGIApp:
    """``app`` (moto's dispatcher) with ``MOTO`` held for each request, its body materialised inside."""

    def one_at_a_time(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with MOTO:
            return list(app(environ, start_response))

    return one_at_a_time


def holding_moto[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with ``MOTO`` held: for the in-process readers and writers of moto's state."""

    @functools.wraps(function)
    def holding(*args: P.args, **kwargs: P.kwargs) -> R:
        with MOTO:
            return function(*args, **kwargs)

    return holding
