"""Plugs the local cloud into moto's models: every patch of moto's services is
installed from here, except the API Gateway data plane's own (its import
fidelity and change tracking, in ``localcloud.apigateway``).

The patched methods call the running local cloud through ``Hooks``, which the
server implements with its executor, asynchronous invoker, pollers and event
targets; nothing here imports another room of the local cloud.

Replaced or wrapped here, and why (``fidelity``, ``speed``, ``queue_speed`` and
``expression_speed`` say why for theirs):

- LambdaFunction._invoke_lambda and LambdaFunction.invoke: run the real
  handler through the executor instead of Docker; InvocationType Event returns
  at once and runs in the background; errors carry X-Amz-Function-Error
  "Unhandled" as on AWS (moto says "Handled").
- LambdaBackend.create_function: the new function is Pending, as on AWS, and the
  local cloud makes it Active once its code is unpacked (``Hooks.function_created``,
  ``activate``); Invoke refuses a Pending function with AWS's ResourceConflictException,
  and its configuration carries AWS's StateReason and StateReasonCode meanwhile.
- LambdaBackend.delete_function: also stops the function's warm workers.
- LambdaBackend.create/update/delete_event_source_mapping: after moto records
  the mapping, detach it from the queue, table or stream so moto's synchronous
  in-request delivery never runs; the pollers (``event_sources``) deliver instead.
- sns Subscription.publish, protocol "lambda": handed to the local cloud, which
  invokes the function asynchronously with a real SNS event (moto sends
  placeholders), as SNS does.
- events Rule.send_to_targets: handed to the local cloud, which invokes the
  Lambda targets (moto raises for them) and leaves the others to moto.
- sqs Queue.wait_for_messages (a long poll): sets down the lock every moto
  call holds (``serial``), so the message another request sends can arrive;
  so does a synchronous invocation while its handler runs.
- sqs Queue.delete_message, kinesis Stream.put_record, dynamodb
  StreamShard.add: serialised with a lock. moto rebuilds a queue's message list
  on delete and numbers Kinesis and DynamoDB stream records from the current
  length, so concurrent requests (now common: pollers run beside request
  threads) could lose a message or reuse a sequence number.
- DynamoDBBackend put_item, update_item, delete_item, transact_write_items,
  execute_statement: serialised with one lock, outermost (around ``speed``'s
  snapshot too). moto checks a condition and then writes, one item after
  another, so two concurrent transactions on the same head could both pass
  ``accepted = :n`` and write the same position: the second overwrote the
  first, an accepted event vanished. DynamoDB isolates transactions and
  conditional writes; one writer at a time gives the same outcomes (moto holds
  the GIL for each call anyway, so little concurrency is lost).
- ``fidelity``: DeadLetterConfig and a compact RedrivePolicy read back as written;
  TransactWriteItems honours ClientRequestToken.
- ``speed``: per-host dispatch cache; TransactWriteItems without table copies; queries of one
  partition; AttributeValues serialized and parsed as they are; projections copied.
- ``queue_speed``: SQS scans that read the clock once, attributes read once, attribute names
  converted once.
- ``expression_speed``: update expressions validated without deepcopy, walks that read their
  handlers once, checks that depend on the expression alone skipped once passed; condition
  expressions lexed once per text.
- moto's IAM setting: AWS managed policies are loaded while a local cloud is
  installed (``load_managed_policies``, default on): Terraform attaches
  AWSLambdaBasicExecutionRole and the like by ARN.

Patches are applied once per process; ``install`` points them at the running
services and ``uninstall`` detaches them again (the tests start many clouds).
With nothing installed every patched method behaves as moto's own, so other
users of moto in the same process (unit tests with mock_aws) are unaffected.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.core.config import default_user_config
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import StreamShard
from moto.events.models import Rule
from moto.kinesis.models import Stream, kinesis_backends
from moto.sns.models import Subscription
from moto.sqs.models import Queue, sqs_backends

from localcloud.moto_patches import expression_speed, fidelity, queue_speed, speed
from localcloud.moto_patches.serial import MOTO

log = logging.getLogger(__name__)

# Every DynamoDB operation that writes items (BatchWriteItem goes through put_item and delete_item).
DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "execute_statement")

# A new function's states (Lambda developer guide, "Lambda function states").
PENDING, ACTIVE = "Pending", "Active"

# AWS returns the last 4 KB of the log with LogType Tail.
LOG_TAIL_BYTES = 4096


class Invocation(Protocol):
    """What a synchronous invocation returns (the executor's result)."""

    @property
    def payload(self) -> str: ...

    @property
    def is_error(self) -> bool: ...

    @property
    def logs(self) -> str: ...


class Hooks(Protocol):
    """What the patched moto asks of the running local cloud."""

    def invoke(self, fn: LambdaFunction, payload: bytes) -> Invocation:
        """Run the function now and return its result (Invoke, RequestResponse)."""
        ...

    def invoke_async(self, fn: LambdaFunction, payload: bytes) -> None:
        """Queue an asynchronous invocation (Invoke, Event) and return at once."""
        ...

    def function_created(self, fn: LambdaFunction) -> None:
        """The function was just created, ``Pending``: prepare it, then make it ``Active`` (``activate``)."""
        ...

    def function_deleted(self, function_arn: str) -> None:
        """The function is gone: end its execution environments."""
        ...

    def mappings_changed(self) -> None:
        """An event source mapping was created, updated or deleted."""
        ...

    def sns_to_lambda(
        self,
        subscription: Subscription,
        message: str,
        message_id: str,
        subject: str | None,
        message_attributes: dict[str, Any] | None,
    ) -> None:
        """Deliver one message to a "lambda" subscription whose filter policy matched."""
        ...

    def rule_to_targets(
        self, rule: Rule, event: dict[str, Any], send_with_moto: Callable[[Rule, dict[str, Any]], None]
    ) -> None:
        """Deliver a rule's event to its targets; ``send_with_moto`` is moto's own delivery."""
        ...


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.patched = False
        self.hooks: Hooks | None = None
        # moto's own setting while no local cloud is installed, restored by uninstall.
        self.managed_policies_before: bool = False


_state = _State()


def install(hooks: Hooks, load_managed_policies: bool = True) -> None:
    """Patch moto (once per process) and point the patches at ``hooks``.

    ``load_managed_policies``: moto builds an account's IAM backend with AWS's managed
    policies (about a second, once per account), so Terraform can attach them by ARN.
    """
    with _state.lock:
        if not _state.patched:
            _apply()
            _state.patched = True
        iam = default_user_config.setdefault("iam", {})
        if _state.hooks is None:
            _state.managed_policies_before = bool(iam.get("load_aws_managed_policies"))
        iam["load_aws_managed_policies"] = load_managed_policies
        _state.hooks = hooks


def uninstall() -> None:
    """Detach the patches: moto behaves as its own again (other users of moto in this process)."""
    with _state.lock:
        if _state.hooks is not None:
            default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = _state.managed_policies_before
        _state.hooks = None


# -- Lambda invocation -------------------------------------------------------------


def _wrap_invoke_lambda(original: Callable[..., tuple[str, bool, str]]) -> Callable[..., tuple[str, bool, str]]:
    @functools.wraps(original)
    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        hooks = _state.hooks
        if hooks is None:
            return original(self, event)
        # moto passes the decoded event, or the text "{}" for an empty body.
        payload = event if isinstance(event, str) else json.dumps({} if event is None else event)
        with MOTO.released():  # the handler calls back into moto
            result = hooks.invoke(self, payload.encode())
        return result.payload, result.is_error, result.logs

    return _invoke_lambda


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if headers else None
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _wrap_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> Any:
        hooks = _state.hooks
        if hooks is None:
            return original(self, body, request_headers, response_headers)
        return _invoke(hooks, self, body, request_headers, response_headers)

    return invoke


def _invoke(hooks: Hooks, self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    if self.state == PENDING:
        # "Lambda does not invoke a function during pending state" (Lambda developer guide, "Lambda
        # function states"); the error is the one AWS answers then.
        raise LambdaClientError(
            "ResourceConflictException",
            "The operation cannot be performed at this time. The function is currently in the following state: Pending",
        )
    payload = (body.encode() if isinstance(body, str) else bytes(body or b"")) or b"{}"
    kind = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    if kind == "DryRun":
        return b""
    if kind == "Event":
        hooks.invoke_async(self, payload)
        return b""
    with MOTO.released():  # the handler calls back into moto
        result = hooks.invoke(self, payload)
    if result.is_error:
        response_headers["x-amz-function-error"] = "Unhandled"
    if _header(request_headers, "x-amz-log-type") == "Tail":
        tail = result.logs.encode()[-LOG_TAIL_BYTES:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return result.payload.encode()


# -- event source mappings -------------------------------------------------------


def _detach(mapping: Any, backend: LambdaBackend) -> None:
    account, region = backend.account_id, backend.region_name
    owners: list[Any] = [
        *sqs_backends[account][region].queues.values(),
        *dynamodb_backends[account][region].tables.values(),
        *kinesis_backends[account][region].streams.values(),
    ]
    for owner in owners:
        attached = owner.lambda_event_source_mappings
        for key in [k for k, v in attached.items() if v is mapping]:
            del attached[key]


def _wrap_mapping_call(original: Callable[..., Any], detach: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        mapping = original(self, *args, **kwargs)
        hooks = _state.hooks
        # Without a running local cloud (moto used by other tests in this
        # process) moto keeps delivering as it always has.
        if detach and mapping is not None and hooks is not None:
            _detach(mapping, self)
        if hooks is not None:
            try:
                hooks.mappings_changed()
            except Exception:  # the API call itself succeeded; the next pass retries
                log.exception("could not start or stop pollers")
        return mapping

    return wrapper


def _wrap_create_function(original: Callable[..., LambdaFunction]) -> Callable[..., LambdaFunction]:
    @functools.wraps(original)
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        fn = original(self, spec)
        hooks = _state.hooks
        if hooks is not None:
            # As on AWS, a new function is Pending until it is ready: CreateFunction answers at once
            # and what takes time (unpacking the code) happens after the answer.
            fn.state = PENDING
            hooks.function_created(fn)
        return fn

    return create_function


def _wrap_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        if config.get("State") == PENDING:
            config.update(StateReason="The function is being created.", StateReasonCode="Creating")
        return config

    return get_configuration


def activate(fn: LambdaFunction) -> None:
    """The function is ready: ``Active``, as AWS says once it has provisioned it."""
    with MOTO:
        if fn.state == PENDING:
            fn.state = ACTIVE


def _wrap_delete_function(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
        try:
            arn = self.get_function(function_name).function_arn
        except Exception:
            arn = None  # moto raises its own not-found error below
        original(self, function_name, qualifier)
        hooks = _state.hooks
        if hooks is not None and arn is not None and qualifier is None:
            # Deleting a function ends its execution environments, as on AWS.
            hooks.function_deleted(arn)

    return delete_function


# -- SNS and EventBridge ------------------------------------------------------------


def _wrap_sns_publish(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def publish(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        hooks = _state.hooks
        if self.protocol != "lambda" or hooks is None:
            return original(
                self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
            )
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        hooks.sns_to_lambda(self, message, message_id, subject, message_attributes)
        return None

    return publish


def _wrap_send_to_targets(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        hooks = _state.hooks
        if hooks is None:
            return original(self, original_event, transform_input)

        def send_with_moto(rule: Rule, event: dict[str, Any]) -> None:
            original(rule, event, transform_input)

        hooks.rule_to_targets(self, original_event, send_with_moto)
        return None

    return send_to_targets


# -- locks around moto's unsafe mutations ---------------------------------------------


def _locked_by_queue(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Queue, *args: Any, **kwargs: Any) -> Any:
        # The queue's own condition: add_message appends under it already.
        with self._messages_lock:
            return original(self, *args, **kwargs)

    return wrapper


def _locked_by(lock: threading.Lock | threading.RLock, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    return wrapper


def _waiting_unlocked(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wait_for_messages(self: Queue, timeout: float) -> Any:
        # A long poll waits for a message another request sends: it must not hold moto meanwhile.
        with MOTO.released():
            return original(self, timeout)

    return wait_for_messages


def _apply() -> None:
    fidelity.apply()
    Queue.wait_for_messages = _waiting_unlocked(Queue.wait_for_messages)  # type: ignore[method-assign]
    LambdaFunction._invoke_lambda = _wrap_invoke_lambda(LambdaFunction._invoke_lambda)  # type: ignore[method-assign]
    LambdaFunction.invoke = _wrap_invoke(LambdaFunction.invoke)  # type: ignore[method-assign]
    LambdaBackend.create_function = _wrap_create_function(LambdaBackend.create_function)  # type: ignore[method-assign]
    LambdaFunction.get_configuration = _wrap_configuration(LambdaFunction.get_configuration)  # type: ignore[method-assign]
    LambdaBackend.delete_function = _wrap_delete_function(LambdaBackend.delete_function)  # type: ignore[method-assign]
    LambdaBackend.create_event_source_mapping = _wrap_mapping_call(  # type: ignore[method-assign]
        LambdaBackend.create_event_source_mapping, detach=True
    )
    LambdaBackend.update_event_source_mapping = _wrap_mapping_call(  # type: ignore[method-assign]
        LambdaBackend.update_event_source_mapping, detach=False
    )
    LambdaBackend.delete_event_source_mapping = _wrap_mapping_call(  # type: ignore[method-assign]
        LambdaBackend.delete_event_source_mapping, detach=False
    )
    Subscription.publish = _wrap_sns_publish(Subscription.publish)  # type: ignore[method-assign]
    Rule.send_to_targets = _wrap_send_to_targets(Rule.send_to_targets)  # type: ignore[method-assign]
    Queue.delete_message = _locked_by_queue(Queue.delete_message)  # type: ignore[method-assign]
    Stream.put_record = _locked_by(threading.Lock(), Stream.put_record)  # type: ignore[method-assign]
    StreamShard.add = _locked_by(threading.Lock(), StreamShard.add)  # type: ignore[method-assign]
    speed.apply()
    queue_speed.apply()
    expression_speed.apply()
    # After speed, so the lock also covers its snapshot and roll-back.
    dynamodb_writes = threading.RLock()  # batch_write_item re-enters through put_item
    for name in DYNAMODB_WRITES:
        setattr(DynamoDBBackend, name, _locked_by(dynamodb_writes, getattr(DynamoDBBackend, name)))
