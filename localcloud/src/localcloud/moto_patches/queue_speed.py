"""moto's SQS hot paths made cheap, with the same results.

Under load the queues hold hundreds of messages, and moto reads the clock through
``datetime`` (two conversions per reading) for every message on every scan:

- ``Message.visible`` and ``Message.delayed`` each read the clock; ``Queue.messages`` and the
  two ``approximate_number_of_messages_*`` counts call them for every message held. Here one
  scan reads the clock once, with ``time.time()``: the same wall clock in the same unit
  (milliseconds since the epoch) that moto's ``unix_time_millis`` computes.
- ``Queue.attributes`` computes all three counts, and moto reads the whole of it for a single
  value: three times per named attribute in ``get_queue_attributes``, and once per message
  received, through ``is_message_valid_based_on_retention_period``, only to learn the
  retention period. ReceiveMessage thus cost the square of the queue's depth: with 500
  messages in flight, a third of the local cloud's time went to these scans (the SNS fan-out's
  SendMessage reads the attributes too). Here a named read computes the attributes once, and
  the retention check reads the queue's retention period alone.
- Every SendMessage still builds the whole attribute map two or three times (to read
  ``ContentBasedDeduplication``), turning each of some twenty attribute names into its
  snake-case field name character by character each time: a fiftieth of the server under load.
  That conversion depends on the name alone; it is remembered per name.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.sqs import models as sqs_models
from moto.sqs.models import Message, Queue, SQSBackend


def _now_ms() -> float:
    return time.time() * 1000.0


def _visible(self: Message) -> bool:
    return _now_ms() > self.visible_at


def _delayed(self: Message) -> bool:
    return _now_ms() < self.delayed_until


def _messages(self: Queue) -> list[Message]:
    now = _now_ms()
    return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]


def _count_delayed(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if now < m.delayed_until)


def _count_not_visible(self: Queue) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if not now > m.visible_at)


_VALID_NAMES = frozenset(["All", *Queue.BASE_ATTRIBUTES, *Queue.FIFO_ATTRIBUTES, *Queue.KMS_ATTRIBUTES])


def _attributes_read_once(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_queue_attributes(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        if "All" in attribute_names or not _VALID_NAMES.issuperset(attribute_names):
            return original(self, queue_name, attribute_names)  # all of them, or moto's error
        attributes = self.get_queue(queue_name).attributes
        return {name: attributes[name] for name in attribute_names if attributes.get(name) is not None}

    return get_queue_attributes


def _retention_only(self: SQSBackend, queue_name: str, message: Message) -> bool:
    # moto sets each queue attribute on the instance by name; the class declares none of them.
    retention_period = int(vars(self.get_queue(queue_name))["message_retention_period"])
    sent_seconds: float = (message.sent_timestamp or 0) / 1000
    return retention_period + sent_seconds > time.time()


# moto's SQS models call the name they imported from moto.core.utils; that name is replaced.
_snake_case: Callable[[str], str] = functools.lru_cache(maxsize=1024)(camelcase_to_underscores)

_applied = threading.Lock()


def apply() -> None:
    """Install them once per process, whoever asks."""
    if not _applied.acquire(blocking=False):
        return
    # Each ignore below: moto's classes declare these as methods or plain properties; replacing them
    # on the class is the patch itself (the same results, ``tests/test_moto_patches_queue_speed.py``).
    Message.visible = property(_visible)  # type: ignore[method-assign,assignment]
    Message.delayed = property(_delayed)  # type: ignore[method-assign,assignment]
    Queue.messages = property(_messages)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_delayed = property(_count_delayed)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_not_visible = property(_count_not_visible)  # type: ignore[method-assign,assignment]
    SQSBackend.get_queue_attributes = _attributes_read_once(  # type: ignore[method-assign]
        SQSBackend.get_queue_attributes
    )
    SQSBackend.is_message_valid_based_on_retention_period = _retention_only  # type: ignore[method-assign]
    sqs_models.camelcase_to_underscores = _snake_case  # type: ignore[attr-defined,assignment]  # the name itself is the patch
