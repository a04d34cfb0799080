"""Keeps one poller running per event source mapping in moto's Lambda backends.

moto's models stay the source of truth: the supervisor compares the mappings
they hold with its pollers, starts pollers for new ones and stops pollers of
deleted ones. It runs inside CreateEventSourceMapping, Update and Delete (so a
LATEST starting position is taken when the mapping is created, not a moment
later) and every few seconds anyway.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from localcloud.event_sources.sqs_poller import Invoke, SqsPoller
from localcloud.event_sources.stream_poller import StreamPoller
from localcloud.event_sources.stream_sources import DynamoDBStreamSource, KinesisSource
from localcloud.moto_patches.internals import find_function, lambda_backends
from localcloud.moto_patches.serial import MOTO
from localcloud.settings import Settings

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 5.0


class Poller(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float) -> None: ...


def all_mappings() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _account, _region, backend in list(lambda_backends.iter_backends()):
        found.update(backend._event_source_mappings)  # type: ignore[attr-defined]
    return found


class MappingSupervisor:
    def __init__(self, invoke: Invoke, settings: Settings) -> None:
        self._invoke = invoke
        self._settings = settings
        self._pollers: dict[str, Poller] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="localcloud-mappings", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def reconcile(self) -> None:
        with MOTO, self._lock:  # MOTO first: a request holding it may call this
            if self._stop.is_set():
                return
            current = all_mappings()
            for uuid in set(self._pollers) - set(current):
                self._pollers.pop(uuid).stop()
            for uuid, mapping in current.items():
                if uuid not in self._pollers:
                    poller = self._poller_for(mapping)
                    if poller is not None:
                        poller.start()
                        self._pollers[uuid] = poller

    def restart_all(self, timeout: float = 5.0) -> None:
        """New pollers for every mapping: after a snapshot load replaced the mappings' models."""
        with self._lock:
            pollers, self._pollers = list(self._pollers.values()), {}
        for poller in pollers:
            poller.stop()
        for poller in pollers:
            poller.join(timeout)
        self.reconcile()

    def count(self) -> int:
        with self._lock:
            return len(self._pollers)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            pollers, self._pollers = list(self._pollers.values()), {}
        for poller in pollers:
            poller.stop()
        for poller in pollers:
            poller.join(timeout)
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:
                log.exception("could not reconcile event source mappings")
            self._wake.wait(RECONCILE_SECONDS)
            self._wake.clear()

    def _poller_for(self, mapping: Any) -> Poller | None:
        arn: str = mapping.event_source_arn
        service = arn.split(":")[2]
        if service == "sqs":
            return SqsPoller(mapping, self._invoke, self._settings)
        if service == "kinesis":
            role = _function_role(mapping.function_arn)
            return StreamPoller(mapping, KinesisSource(arn, role), self._invoke, self._settings)
        if service == "dynamodb":
            return StreamPoller(mapping, DynamoDBStreamSource(arn), self._invoke, self._settings)
        log.warning("event source %s is not supported locally", arn)
        return None


def _function_role(function_arn: str) -> str:
    try:
        return str(find_function(function_arn).role)
    except Exception:
        return ""
