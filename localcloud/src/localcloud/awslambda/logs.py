"""Ships function logs to CloudWatch Logs in the emulator, off the hot path.

Invocations hand their lines to a queue and return; one thread writes them to
moto's logs backend directly (no HTTP), creating the group and the worker's
stream on first use, as the Lambda service does. The thread wakes at most every
FLUSH_SECONDS and writes what gathered meanwhile: waking per invocation makes
it compete for the GIL with the invocation path and shows up as millisecond
stalls in the executor's p99.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

from localcloud.moto_patches.internals import ResourceAlreadyExistsException, ResourceNotFoundException, logs_backends
from localcloud.moto_patches.serial import holding_moto

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05


@dataclass(frozen=True)
class LogBatch:
    account_id: str
    region: str
    group: str
    stream: str
    events: list[tuple[int, str]]  # (epoch milliseconds, message)


class LogShipper:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[LogBatch | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="localcloud-logs", daemon=True)
        self._thread.start()

    def submit(self, batch: LogBatch) -> None:
        if batch.events:
            self._queue.put(batch)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is None:
                return
            time.sleep(FLUSH_SECONDS)
            pending: dict[tuple[str, str, str, str], list[tuple[int, str]]] = {}
            batch: LogBatch | None = first
            while batch is not None:
                key = (batch.account_id, batch.region, batch.group, batch.stream)
                pending.setdefault(key, []).extend(batch.events)
                try:
                    batch = self._queue.get_nowait()
                except queue.Empty:
                    break
                closing = batch is None
            for (account, region, group, stream), events in pending.items():
                try:
                    self._write(LogBatch(account, region, group, stream, events))
                except Exception:  # a log line must never take the executor down
                    log.exception("could not write logs to %s", group)

    @staticmethod
    @holding_moto
    def _write(batch: LogBatch) -> None:
        backend = logs_backends[batch.account_id][batch.region]
        events = [{"timestamp": ts, "message": message} for ts, message in batch.events]
        try:
            backend.put_log_events(batch.group, batch.stream, events)
            return
        except ResourceNotFoundException:
            pass  # first batch of this stream, or the group was deleted meanwhile
        backend.ensure_log_group(batch.group)
        with contextlib.suppress(ResourceAlreadyExistsException):
            backend.create_log_stream(batch.group, batch.stream)
        backend.put_log_events(batch.group, batch.stream, events)
