"""An SQS event source mapping, polled the way Lambda polls.

Replaces moto's delivery, which runs the function inside SendMessage and treats
a batch as all-or-nothing. This poller receives from moto's queue model like
any consumer, so AWS's own queue semantics apply unchanged: receive counts,
visibility timeouts, redrive to the DLQ once a message was received
maxReceiveCount times, and FIFO message groups (a group with a message in
flight hands out nothing else until that message is deleted or visible again).

After an invocation: success deletes the batch; a function error leaves the
whole batch in flight; with ReportBatchItemFailures only the listed messages
stay in flight and the rest are deleted. Messages left in flight become
visible again after the queue's visibility timeout, as on AWS, or after
``Settings.sqs_retry_visibility`` seconds when that is set.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from localcloud.awslambda.executor import FunctionLike, Invocation
from localcloud.awslambda.payloads import sqs_record
from localcloud.event_sources.batch_response import REPORT_BATCH_ITEM_FAILURES, failed_items
from localcloud.event_sources.filter_criteria import RecordFilter
from localcloud.event_sources.polling import PollingThread
from localcloud.moto_patches.internals import Queue, ReceiptHandleIsInvalid, SQSBackend, find_function, sqs_backends
from localcloud.moto_patches.serial import MOTO
from localcloud.settings import Settings

Invoke = Callable[[FunctionLike, bytes], Invocation]


class SqsPoller(PollingThread):
    def __init__(self, mapping: Any, invoke: Invoke, settings: Settings) -> None:
        super().__init__(f"localcloud-sqs-{mapping.uuid[:8]}", threading.Event(), settings.poll_interval)
        self._mapping = mapping
        self._invoke = invoke
        self._settings = settings
        parts = mapping.event_source_arn.split(":")
        self._region, self._account, self._queue_name = parts[3], parts[4], parts[5]

    def _describe(self) -> str:
        return f"SQS mapping {self._mapping.uuid}"

    def _poll_once(self) -> None:
        backend = sqs_backends[self._account][self._region]
        queue = backend.queues.get(self._queue_name)
        if queue is None or not self._mapping.enabled:
            self._stop.wait(self._settings.poll_interval)
            return
        messages = self._receive_batch(backend, queue)
        if not messages:
            # add_message notifies this condition: a new message wakes us at
            # once; messages whose visibility timeout ends are found next poll.
            with queue._messages_lock:
                queue._messages_lock.wait(self._settings.poll_interval)
            return
        records = [sqs_record(m, queue.queue_arn, self._region, queue.fifo_queue) for m in messages]
        keep = RecordFilter(self._mapping.filter_criteria)
        if keep:
            selected = []
            for message, record in zip(messages, records, strict=True):
                if keep.matches(record):
                    selected.append((message, record))
                else:
                    self._delete(backend, queue, message)  # Lambda deletes what its filters drop
            if not selected:
                return
            messages, records = [m for m, _ in selected], [r for _, r in selected]
        fn = find_function(self._mapping.function_arn)
        result = self._invoke(fn, json.dumps({"Records": records}).encode())
        self._settle(backend, queue, messages, result)

    def _receive(self, backend: SQSBackend, queue: Queue, count: int) -> list[Any]:
        # Under the queue's own lock: moto's receive and delete rewrite the
        # message list, and SendMessage appends to it from request threads.
        with MOTO, queue._messages_lock:
            return backend.receive_message(
                queue.name,
                count,
                wait_seconds_timeout=0,
                visibility_timeout=_visibility_timeout(queue),
                message_attribute_names=["All"],
            )

    def _receive_batch(self, backend: SQSBackend, queue: Queue) -> list[Any]:
        size = int(self._mapping.batch_size)
        messages = self._receive(backend, queue, size)
        window = float(self._mapping.max_batch_window or 0)
        if not messages or not window:
            return messages
        # MaximumBatchingWindowInSeconds: keep gathering until the batch is
        # full or the window has passed.
        deadline = time.monotonic() + window
        while len(messages) < size and time.monotonic() < deadline and not self._stop.is_set():
            more = self._receive(backend, queue, size - len(messages))
            if more:
                messages += more
            else:
                self._stop.wait(min(self._settings.poll_interval, max(deadline - time.monotonic(), 0)))
        return messages

    def _settle(self, backend: SQSBackend, queue: Queue, messages: list[Any], result: Invocation) -> None:
        ids = [m.id for m in messages]
        failed: set[str] | None
        if result.is_error:
            failed = None
        elif REPORT_BATCH_ITEM_FAILURES in (self._mapping.function_response_types or []):
            failed = failed_items(result.payload, ids)
        else:
            failed = set()
        if failed is None:
            failed = set(ids)
        for message in messages:
            if message.id in failed:
                self._return_to_queue(backend, queue, message)
            else:
                self._delete(backend, queue, message)

    def _delete(self, backend: SQSBackend, queue: Queue, message: Any) -> None:
        try:
            with MOTO, queue._messages_lock:
                backend.delete_message(queue.name, message.receipt_handle)
        except ReceiptHandleIsInvalid:
            pass  # already deleted, or the queue was purged meanwhile

    def _return_to_queue(self, backend: SQSBackend, queue: Queue, message: Any) -> None:
        delay = self._settings.sqs_retry_visibility
        if delay is None:
            return  # AWS: it stays invisible until its visibility timeout ends
        try:
            with MOTO, queue._messages_lock:
                backend.change_message_visibility(queue.name, message.receipt_handle, delay)
        except ReceiptHandleIsInvalid:
            pass


def _visibility_timeout(queue: Queue) -> int:
    # moto sets queue attributes dynamically from the attribute names.
    return int(getattr(queue, "visibility_timeout", 30))
