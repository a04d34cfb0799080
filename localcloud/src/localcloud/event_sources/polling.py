"""The thread shared by the event source pollers: poll until stopped, survive a failing poll."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised inside a poll to abandon it at once because the poller is stopping."""


class PollingThread:
    """Calls `_poll_once` on a daemon thread until `stop()`; a failing poll is logged and
    retried after `retry_interval` seconds, so one bad batch never kills a mapping."""

    def __init__(self, name: str, stop: threading.Event, retry_interval: float) -> None:
        self._stop = stop
        self._retry_interval = retry_interval
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _poll_once(self) -> None:
        raise NotImplementedError

    def _describe(self) -> str:
        return self._thread.name

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll_once()
            except Stopped:
                return
            except Exception:
                log.exception("%s failed; retrying", self._describe())
                self._stop.wait(self._retry_interval)
