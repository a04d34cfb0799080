"""A Kinesis or DynamoDB-stream event source mapping, polled per shard.

Replaces moto's delivery, which invokes the function inside every PutRecord or
PutItem with a one-record batch and ignores errors. Here one thread per shard
reads batches in order and, like Lambda:

- runs one batch per shard at a time, so records of a shard stay in order;
- on a function error retries the batch until MaximumRetryAttempts is used
  up (-1 or unset: until it succeeds or MaximumRecordAgeInSeconds passes);
- with BisectBatchOnFunctionError splits a failing batch in two and processes
  the halves in order (a split is not counted as a retry);
- with ReportBatchItemFailures checkpoints up to the first failed sequence
  number and retries from there (a retry);
- once a batch is given up, sends a record describing it to the mapping's
  on-failure destination (SQS or SNS) and moves past it.

Each shard's checkpoint (the position after the last batch done) is kept on the mapping's own
moto model, so it is saved and restored with the rest of the state (``snapshots``): after a
restart a shard goes on from its checkpoint rather than from the mapping's starting position.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from localcloud.awslambda.destinations import send_to_destination
from localcloud.awslambda.executor import FunctionLike, Invocation
from localcloud.awslambda.payloads import stream_failure_record
from localcloud.event_sources.batch_response import REPORT_BATCH_ITEM_FAILURES, first_failed_index
from localcloud.event_sources.filter_criteria import RecordFilter
from localcloud.event_sources.polling import PollingThread, Stopped
from localcloud.event_sources.stream_sources import ShardRecord, ShardSource
from localcloud.moto_patches.internals import find_function
from localcloud.moto_patches.serial import MOTO
from localcloud.settings import Settings

log = logging.getLogger(__name__)

Invoke = Callable[[FunctionLike, bytes], Invocation]

# How often a mapping looks for new shards (resharding, a re-enabled stream).
SHARD_DISCOVERY_SECONDS = 2.0
_CHECKPOINTS = "_localcloud_checkpoints"


def checkpoints(mapping: Any) -> dict[str, int]:
    """Shard id -> position after its last finished batch, kept on the mapping's model."""
    found: dict[str, int] = mapping.__dict__.setdefault(_CHECKPOINTS, {})
    return found


class StreamPoller:
    """One mapping: discovers shards and runs a ShardConsumer for each."""

    def __init__(self, mapping: Any, source: ShardSource, invoke: Invoke, settings: Settings) -> None:
        self._mapping = mapping
        self._source = source
        self._invoke = invoke
        self._settings = settings
        self._stop = threading.Event()
        self._consumers: dict[str, ShardConsumer] = {}
        self._thread = threading.Thread(target=self._run, name=f"localcloud-stream-{mapping.uuid[:8]}", daemon=True)

    def start(self) -> None:
        # Shards present now start from the mapping's starting position at
        # creation time; LATEST must not skip records written right after.
        self._discover()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for consumer in self._consumers.values():
            consumer.stop()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        for consumer in self._consumers.values():
            consumer.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(SHARD_DISCOVERY_SECONDS):
            try:
                self._discover()
            except Exception:
                log.exception("shard discovery for mapping %s failed", self._mapping.uuid)

    def _discover(self) -> None:
        for shard_id in self._source.shard_ids():
            if shard_id in self._consumers or self._stop.is_set():
                continue
            # A shard that appears later (a new stream generation, a split)
            # is read from its start.
            saved = checkpoints(self._mapping).get(shard_id)
            starting = self._mapping.starting_position if not self._consumers else "TRIM_HORIZON"
            if saved is not None:
                position = saved
            else:
                position = self._source.initial_position(
                    shard_id, starting or "TRIM_HORIZON", _timestamp(self._mapping)
                )
            consumer = ShardConsumer(
                self._mapping, self._source, shard_id, position, self._invoke, self._settings, self._stop
            )
            self._consumers[shard_id] = consumer
            consumer.start()


def _timestamp(mapping: Any) -> float | None:
    value = getattr(mapping, "starting_position_timestamp", None)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


class ShardConsumer(PollingThread):
    def __init__(
        self,
        mapping: Any,
        source: ShardSource,
        shard_id: str,
        position: int,
        invoke: Invoke,
        settings: Settings,
        stop: threading.Event,
    ) -> None:
        super().__init__(f"localcloud-shard-{mapping.uuid[:8]}-{shard_id[-8:]}", stop, settings.poll_interval)
        self._mapping = mapping
        self._source = source
        self._shard_id = shard_id
        self._position = position
        self._invoke = invoke
        self._settings = settings

    def _describe(self) -> str:
        return f"shard {self._shard_id} of mapping {self._mapping.uuid}"

    def _poll_once(self) -> None:
        if not self._mapping.enabled:
            self._stop.wait(self._settings.poll_interval)
            return
        batch = self._read_batch()
        if not batch:
            self._stop.wait(self._settings.poll_interval)
            return
        keep = RecordFilter(self._mapping.filter_criteria)
        wanted = [r for r in batch if keep.matches(r.event_record)] if keep else batch
        if wanted:
            self._deliver(wanted, retries=0)
        # Every record of the batch has now succeeded, been given up or been
        # filtered out.
        self._position = batch[-1].position
        with MOTO:  # the checkpoint lives on moto's model, which a snapshot pickles
            checkpoints(self._mapping)[self._shard_id] = self._position

    def _read_batch(self) -> list[ShardRecord]:
        size = int(self._mapping.batch_size)
        batch = self._source.read(self._shard_id, self._position, size)
        window = float(self._mapping.max_batch_window or 0)
        if not batch or not window:
            return batch
        # MaximumBatchingWindowInSeconds: gather until full or the window ends.
        deadline = time.monotonic() + window
        while len(batch) < size and time.monotonic() < deadline and not self._stop.is_set():
            self._stop.wait(min(self._settings.poll_interval, max(deadline - time.monotonic(), 0)))
            batch = self._source.read(self._shard_id, self._position, size)
        return batch

    # -- one batch, with retries, bisection and partial failures ----------------

    def _deliver(self, batch: list[ShardRecord], retries: int) -> None:
        invocations = 0
        while batch:
            if self._stop.is_set():
                raise Stopped()
            batch = self._drop_expired(batch, invocations)
            if not batch:
                return
            result = self._invoke(find_function(self._mapping.function_arn), self._event(batch))
            invocations += 1
            remaining = self._failed_suffix(batch, result)
            if not remaining:
                return
            if self._mapping.bisect_on_error and result.is_error and len(batch) > 1:
                middle = len(batch) // 2
                self._deliver(batch[:middle], retries)
                self._deliver(batch[middle:], retries)
                return
            if self._retries_exhausted(retries):
                self._give_up(remaining, "RetryAttemptsExhausted", invocations, result)
                return
            retries += 1
            batch = remaining
            self._stop.wait(self._settings.stream_retry_delay)

    def _event(self, batch: list[ShardRecord]) -> bytes:
        return json.dumps({"Records": [r.event_record for r in batch]}).encode()

    def _failed_suffix(self, batch: list[ShardRecord], result: Invocation) -> list[ShardRecord]:
        """The records still to process: none on success, all on an error,
        from the first reported failure on a partial batch response."""
        if result.is_error:
            return batch
        if REPORT_BATCH_ITEM_FAILURES not in (self._mapping.function_response_types or []):
            return []
        index = first_failed_index(result.payload, [r.sequence_number for r in batch])
        return batch if index is None else batch[index:]

    def _retries_exhausted(self, retries: int) -> bool:
        limit = self._mapping.max_retry_attempts
        return limit is not None and int(limit) != -1 and retries >= int(limit)

    def _drop_expired(self, batch: list[ShardRecord], invocations: int) -> list[ShardRecord]:
        max_age = self._mapping.max_record_age
        if max_age is None or int(max_age) == -1:
            return batch
        cutoff = time.time() - int(max_age)
        expired = [r for r in batch if r.arrival < cutoff]
        if expired:
            self._give_up(expired, "RecordAgeExceeded", invocations, None)
        return [r for r in batch if r.arrival >= cutoff]

    def _give_up(self, records: list[ShardRecord], condition: str, invocations: int, result: Invocation | None) -> None:
        log.warning(
            "mapping %s: giving up %d record(s) of %s from sequence %s (%s)",
            self._mapping.uuid,
            len(records),
            self._shard_id,
            records[0].sequence_number,
            condition,
        )
        destination = ((self._mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            return
        record = stream_failure_record(
            kind=self._source.kind,
            function_arn=self._mapping.function_arn,
            condition=condition,
            invoke_count=invocations,
            error="Unhandled" if result is not None and result.is_error else None,
            shard_id=self._shard_id,
            stream_arn=self._source.stream_arn,
            first=(records[0].sequence_number, records[0].arrival),
            last=(records[-1].sequence_number, records[-1].arrival),
            batch_size=len(records),
        )
        send_to_destination(destination, json.dumps(record))
