"""AWS faults for unit tests, injected into the app's own boto3 clients through botocore's events.

Two phases, as the local cloud's chaos rules have them:

- ``request``: the call fails before it reaches the service and nothing happens there. The
  hook is botocore's ``before-call``, which sits outside the SDK's retry loop, so the app sees
  the error as it would after the SDK's retries were used up.
- ``response``: the service performs the call, and its reply is lost. The hook answers
  ``before-send`` ahead of moto's own stub with a 500; botocore still runs moto's stub (it
  calls every handler) but keeps the first answer. The SDK then retries the same request,
  exactly as it does on AWS when a connection drops after the write.

Rules match a service, an operation and optionally a predicate on the call's serialised
parameters (a JSON body's fields, or the form fields of query-protocol services such as SNS),
and fire ``times`` times (None: always).
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse

Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class Fault:
    service: str
    operation: str
    code: str = "ThrottlingException"
    status: int = 400
    phase: str = "request"
    times: int | None = None
    when: Predicate | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def matches(self, params: dict[str, Any]) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        return self.when is None or self.when(params)

    def error(self) -> dict[str, Any]:
        return {"Error": {"Code": self.code, "Message": f"injected {self.code}"}, **self.extra}


class _Http:
    """The little of an HTTP response botocore reads when a before-call hook answers."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}


class Faults:
    """A set of fault rules, attached to any number of clients."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def clear(self) -> None:
        self.rules.clear()

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.endpoint_prefix
        events = client.meta.events
        events.register_first("before-call", self._before_call(service))
        events.register_first("before-send", self._before_send(service))

    def _pick(self, service: str, operation: str, phase: str, params: dict[str, Any]) -> Fault | None:
        for rule in self.rules:
            if (rule.service, rule.operation, rule.phase) == (service, operation, phase) and rule.matches(params):
                rule.fired += 1
                return rule
        return None

    def _before_call(self, service: str) -> Callable[..., Any]:
        def hook(model: Any, params: dict[str, Any], **_: Any) -> Any:
            # params is the serialised request: a JSON body (DynamoDB, Kinesis) or form fields (SNS, SQS query).
            body = params.get("body")
            decoded = body if isinstance(body, dict) else _json(body) if isinstance(body, bytes | str) else {}
            rule = self._pick(service, model.name, "request", decoded)
            if rule is None:
                return None
            return _Http(rule.status), rule.error()

        return hook

    def _before_send(self, service: str) -> Callable[..., Any]:
        def hook(request: AWSPreparedRequest, **kwargs: Any) -> Any:
            operation = _operation(request, kwargs.get("event_name", ""))
            body = request.body if isinstance(request.body, bytes | str) else b""
            rule = self._pick(service, operation, "response", _json(body))
            if rule is None:
                return None
            payload = json.dumps({"__type": "InternalServerError", "message": "injected: the reply was lost"})
            return AWSResponse(request.url, 500, {}, MockRawResponse(payload))  # type: ignore[arg-type]

        return hook


def mentions(*needles: str, **exactly: str) -> Predicate:
    """A predicate: the call's parameters name every needle (Kinesis ``Data``, of PutRecord or of each
    of PutRecords' records, is read decoded), and each keyword parameter has exactly the value given
    (``TopicArn=...``)."""

    def match(params: dict[str, Any]) -> bool:
        if any(params.get(name) != value for name, value in exactly.items()):
            return False
        text = json.dumps(params)
        blobs = [params.get("Data")]
        records = params.get("Records")
        if isinstance(records, list):
            blobs += [record.get("Data") for record in records if isinstance(record, dict)]
        for data in blobs:
            if isinstance(data, str):
                with contextlib.suppress(ValueError):
                    text += base64.b64decode(data).decode("utf-8", "replace")
        return all(needle in text for needle in needles)

    return match


def _operation(request: AWSPreparedRequest, event_name: str) -> str:
    target = request.headers.get("X-Amz-Target")
    if target:
        value = target.decode() if isinstance(target, bytes) else str(target)
        return value.rsplit(".", 1)[-1]
    return event_name.rsplit(".", 1)[-1]


def _json(body: bytes | str) -> dict[str, Any]:
    try:
        loaded = json.loads(body or b"{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
