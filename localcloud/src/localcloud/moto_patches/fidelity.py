"""Control-plane answers of moto made to match AWS, so that Terraform reads back
what it wrote and a second plan of an unchanged stack is empty.

- Lambda: moto drops a function's DeadLetterConfig; it is kept, returned by
  GetFunction(Configuration) and changed by UpdateFunctionConfiguration (the
  async invoker sends failed events to it).
- Lambda: ListEventSourceMappings' FunctionName filter compares the string
  given at creation (Terraform gives an ARN), so a filter by name found
  nothing. As on AWS, a name, a partial or a full ARN of the same function
  (and qualifier) match.
- SQS: moto returns RedrivePolicy re-serialised with spaces; AWS (and
  Terraform's jsonencode) write it compact.
- DynamoDB: moto ignores TransactWriteItems' ClientRequestToken. As on AWS, a
  transaction that succeeded is remembered by its token for 10 minutes: the same
  token with the same items succeeds again without writing (the SDK's retry of a
  commit whose reply was lost), with other items it is an
  IdempotentParameterMismatchException. A cancelled transaction is not
  remembered, so retrying it runs it again.
- SQS FIFO: moto frees a message group only when the last of its in-flight messages
  is passed by a receive's scan. When several messages of a group came back (their
  visibility timeout ended: a failed batch), the scan skipped each one while a later
  one still held the group, and handed out the last of them first: the group's order
  broken. As on AWS, a message whose visibility timeout has ended is no longer in
  flight when a receive starts, so the group's first message comes first.
- Kinesis: moto writes the request's StreamName into the shard iterator it gives, nothing when
  the stream is named by StreamARN, and GetRecords then finds no stream. As on AWS, an iterator
  asked for by ARN reads the stream it names.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.responses import DynamoHandler
from moto.kinesis.models import KinesisBackend
from moto.sqs.models import Message, Queue, SQSBackend

# How long DynamoDB remembers a transaction's ClientRequestToken.
TOKEN_WINDOW_SECONDS = 600.0


def dead_letter_target(fn: Any) -> str | None:
    """The TargetArn of a function's DeadLetterConfig, if it has one."""
    config = getattr(fn, "dead_letter_config", None) or {}
    return config.get("TargetArn") or None


def _keep_dead_letter_config(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None  # type: ignore[attr-defined]

    return __init__


def _report_dead_letter_config(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        target = dead_letter_target(self)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    return get_configuration


def _update_dead_letter_config(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            # An empty TargetArn removes it, as on AWS.
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None  # type: ignore[attr-defined]
        return original(self, config_updates)

    return update_configuration


def _function_identity(name_or_arn: str) -> tuple[str, str | None]:
    """(function name, qualifier) of a name, ``name:qualifier``, a partial or a full ARN."""
    parts = name_or_arn.split(":")
    if "function" in parts:  # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>], or a partial ARN
        parts = parts[parts.index("function") + 1 :]
    return parts[0], parts[1] if len(parts) > 1 else None


def _mappings_by_function_identity(original: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
    @functools.wraps(original)
    def list_event_source_mappings(self: LambdaBackend, event_source_arn: str, function_name: str) -> Iterable[Any]:
        mappings = original(self, event_source_arn, "")
        if not function_name:
            return mappings
        wanted = _function_identity(function_name)
        return [m for m in mappings if _function_identity(m.function_name) == wanted]

    return list_event_source_mappings


def _compact_redrive_policy(original: property) -> property:
    getter = original.fget
    assert getter is not None

    @functools.wraps(getter)
    def attributes(self: Queue) -> dict[str, Any]:
        result: dict[str, Any] = getter(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    return property(attributes)


class IdempotentParameterMismatch(DynamodbException):
    error_type = ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException"

    def __init__(self) -> None:
        super().__init__(
            self.error_type,
            message="The ClientRequestToken was used before with different parameters within the last 10 minutes.",
        )


class _TokenLedger:
    """Tokens of one backend's successful transactions, with their items' fingerprint.

    It lives on the backend object, so a reset of moto's state forgets it too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[str, float]] = {}

    @classmethod
    def of(cls, backend: Any) -> _TokenLedger:
        ledger: _TokenLedger = backend.__dict__.setdefault("_localcloud_transaction_tokens", cls())
        return ledger

    def seen(self, key: str, fingerprint: str) -> bool:
        """True when this token already committed these items; raises on a token reused for others."""
        now = time.monotonic()
        with self._lock:
            # Every token is kept for the same window, so insertion order is expiry order:
            # the expired ones are at the front (rebuilding the dict per call cost O(tokens)).
            while self._seen:
                oldest = next(iter(self._seen))
                if self._seen[oldest][1] > now:
                    break
                del self._seen[oldest]
            found = self._seen.get(key)
        if found is None:
            return False
        if found[0] != fingerprint:
            raise IdempotentParameterMismatch()
        return True

    def remember(self, key: str, fingerprint: str) -> None:
        with self._lock:
            self._seen.pop(key, None)  # re-inserted at the end, in expiry order
            self._seen[key] = (fingerprint, time.monotonic() + TOKEN_WINDOW_SECONDS)


def _idempotent_transactions(original: Callable[[DynamoHandler], ActionResult]) -> Callable[..., ActionResult]:
    @functools.wraps(original)
    def transact_write_items(self: DynamoHandler) -> ActionResult:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        ledger = _TokenLedger.of(self.dynamodb_backend)
        fingerprint = hashlib.sha256(json.dumps(self.body["TransactItems"], sort_keys=True).encode()).hexdigest()
        if ledger.seen(str(token), fingerprint):
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = original(self)  # a cancellation raises: it is not remembered
        ledger.remember(str(token), fingerprint)
        return result

    return transact_write_items


def _expired_messages_released(original: Callable[..., list[Message]]) -> Callable[..., list[Message]]:
    @functools.wraps(original)
    def receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> list[Message]:
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            for message in [m for m in queue.pending_messages if m.visible]:
                queue.pending_messages.discard(message)
        return original(self, queue_name, *args, **kwargs)

    return receive_message


_applied = threading.Lock()


def _iterator_by_stream_arn(original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def get_shard_iterator(
        self: KinesisBackend, stream_arn: str | None, stream_name: str | None, *args: Any, **kwargs: Any
    ) -> str:
        if stream_name is None and stream_arn:
            stream_name = self.describe_stream(stream_arn=stream_arn, stream_name=None).stream_name
        return original(self, stream_arn, stream_name, *args, **kwargs)

    return get_shard_iterator


def apply() -> None:
    """Install the changes, once per process whoever asks (``install``; unit tests under mock_aws)."""
    if not _applied.acquire(blocking=False):
        return
    LambdaFunction.__init__ = _keep_dead_letter_config(LambdaFunction.__init__)  # type: ignore[method-assign]
    LambdaFunction.get_configuration = _report_dead_letter_config(  # type: ignore[method-assign]
        LambdaFunction.get_configuration
    )
    LambdaFunction.update_configuration = _update_dead_letter_config(  # type: ignore[method-assign]
        LambdaFunction.update_configuration
    )
    # Replacing moto's method on its class is the patch (the ignore says so to the type checker).
    LambdaBackend.list_event_source_mappings = _mappings_by_function_identity(  # type: ignore[method-assign]  # patch
        LambdaBackend.list_event_source_mappings
    )
    Queue.attributes = _compact_redrive_policy(vars(Queue)["attributes"])  # type: ignore[assignment,method-assign]
    DynamoHandler.transact_write_items = _idempotent_transactions(  # type: ignore[method-assign]
        DynamoHandler.transact_write_items
    )
    SQSBackend.receive_message = _expired_messages_released(SQSBackend.receive_message)  # type: ignore[method-assign]  # patch
    KinesisBackend.get_shard_iterator = _iterator_by_stream_arn(KinesisBackend.get_shard_iterator)  # type: ignore[method-assign]  # patch
