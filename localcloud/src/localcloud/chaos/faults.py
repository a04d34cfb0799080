"""Fault injection: LocalStack's Chaos API, served by the local cloud.

A suite written against LocalStack's Chaos API runs unchanged here, so the
same resilience tests run against either emulator:

    /_localcloud/chaos/faults   (also /_localstack/chaos/faults)
        GET     the rules in force
        POST    replace them with the posted list
        PATCH   add the posted rules
        DELETE  remove the posted rules (equal objects); no body or [] removes all
    /_localcloud/chaos/effects  (also /_localstack/chaos/effects)
        GET, POST  {"latency": <ms>} added to every AWS API request; 0 removes it

Every verb answers with what is now in force. A rule is LocalStack's
``{"service", "region", "operation", "probability", "error": {"statusCode",
"code"}}``, every member optional (``{}`` fails every AWS request with 503
ServiceUnavailable), plus this project's extensions: ``resource`` (a substring
of the queue, topic, stream, table or function the request names), ``count``
(fires that many times, then leaves the list), ``phase`` ("response": run the
operation, then lose its reply), ``seed`` (the rule's own random.Random, so a
``probability`` run is reproducible), ``error.message``, and ``effect``
("crash", "timeout", "error": a Lambda fault, applied by the executor to every
invocation of the function however it was triggered).

Rules are tried in order; the first whose filters match and whose draw fires
answers the request. A rule is kept exactly as posted: that is what GET lists
and what DELETE compares with; its remaining count and random state live
beside it.

Cost: the middleware sits between the API Gateway data plane and moto's
dispatcher, so neither the gateway's ``_user_request_`` URLs nor the local
cloud's own endpoints ever see a request rule. With no rule and no latency it
reads one immutable snapshot and passes the request on; the snapshot is
replaced whole (under a lock) whenever the rules change, so request threads
and the executor (once per invocation) read it without locking. Only drawing
and counting, which change a rule, take the lock.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from localcloud.chaos.wire import AwsRequest, error_response

log = logging.getLogger(__name__)

DEFAULT_STATUS = 503
DEFAULT_CODE = "ServiceUnavailable"
PHASES = ("request", "response")
LAMBDA_EFFECTS = ("crash", "timeout", "error")
_RULE_MEMBERS = frozenset(
    {"service", "region", "operation", "probability", "error", "resource", "count", "phase", "seed", "effect"}
)
_ERROR_MEMBERS = frozenset({"statusCode", "code", "message"})

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RuleError(ValueError):
    """A rule or effects document the API refuses (answered 400)."""


class FunctionLike(Protocol):
    """What a Lambda fault matches on (moto's LambdaFunction has it)."""

    function_name: str
    function_arn: str
    region: str


@dataclass(frozen=True)
class LambdaFault:
    """What the executor does to one invocation: crash, timeout or error, before or after the handler."""

    effect: str
    phase: str

    def wire(self) -> dict[str, str]:
        return {"effect": self.effect, "phase": self.phase}


@dataclass(frozen=True)
class RequestFault:
    status: int
    code: str
    message: str | None
    phase: str


def _optional_text(spec: dict[str, Any], member: str) -> str | None:
    value = spec.get(member)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise RuleError(f"{member} must be a non-empty string, got {value!r}")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Rule:
    """One posted rule, validated, with its own count and random state."""

    def __init__(self, spec: Any) -> None:
        if not isinstance(spec, dict):
            raise RuleError(f"a rule must be a JSON object, got {spec!r}")
        unknown = sorted(set(spec) - _RULE_MEMBERS)
        if unknown:
            raise RuleError(f"unknown rule member(s) {', '.join(unknown)}; known: {', '.join(sorted(_RULE_MEMBERS))}")
        # A copy, so the caller's object can change without changing the rule.
        self.spec: dict[str, Any] = json.loads(json.dumps(spec))
        service = _optional_text(spec, "service")
        self.service = service.lower() if service else None
        self.region = _optional_text(spec, "region")
        self.operation = _optional_text(spec, "operation")
        self.resource = _optional_text(spec, "resource")
        self.probability = self._probability(spec.get("probability", 1))
        self.remaining = self._count(spec.get("count"))
        self.phase = spec.get("phase", "request")
        if self.phase not in PHASES:
            raise RuleError(f"phase must be one of {', '.join(PHASES)}, got {self.phase!r}")
        seed = spec.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str)):
            raise RuleError(f"seed must be an integer or a string, got {seed!r}")
        self._random = random.Random(seed)
        self.effect = spec.get("effect")
        if self.effect is not None:
            self._check_lambda_fault(spec)
        self.status, self.code, self.message = self._error(spec.get("error"))
        self.retired = False

    @staticmethod
    def _probability(value: Any) -> float:
        if not _number(value) or not 0 <= value <= 1:
            raise RuleError(f"probability must be a number from 0 to 1, got {value!r}")
        return float(value)

    @staticmethod
    def _count(value: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RuleError(f"count must be a whole number of at least 1, got {value!r}")
        return value

    def _check_lambda_fault(self, spec: dict[str, Any]) -> None:
        if self.effect not in LAMBDA_EFFECTS:
            raise RuleError(f"effect must be one of {', '.join(LAMBDA_EFFECTS)}, got {self.effect!r}")
        if self.service not in (None, "lambda") or self.operation not in (None, "Invoke"):
            raise RuleError('a rule with an effect is a Lambda fault: service "lambda", operation "Invoke"')
        if "error" in spec:
            raise RuleError("a Lambda fault has an effect, not an error")

    @staticmethod
    def _error(value: Any) -> tuple[int, str, str | None]:
        if value is None:
            return DEFAULT_STATUS, DEFAULT_CODE, None
        if not isinstance(value, dict):
            raise RuleError(f"error must be an object, got {value!r}")
        unknown = sorted(set(value) - _ERROR_MEMBERS)
        if unknown:
            raise RuleError(f"unknown error member(s) {', '.join(unknown)}; known: {', '.join(sorted(_ERROR_MEMBERS))}")
        status = value.get("statusCode", DEFAULT_STATUS)
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise RuleError(f"error.statusCode must be an HTTP error status (400 to 599), got {status!r}")
        code = _optional_text(value, "code") or DEFAULT_CODE
        return status, code, _optional_text(value, "message")

    # -- matching -------------------------------------------------------------------

    def matches_request(self, request: AwsRequest) -> bool:
        # Cheapest first: service and region come from a header; the operation
        # may need the body, the resources always do.
        return (
            (self.service is None or request.service == self.service)
            and (self.region is None or request.region == self.region)
            and (self.operation is None or request.operation == self.operation)
            and (self.resource is None or any(self.resource in name for name in request.resources))
        )

    def matches_function(self, fn: FunctionLike, invoked_arn: str) -> bool:
        return (self.region is None or fn.region == self.region) and (
            self.resource is None or self.resource in fn.function_arn or self.resource in invoked_arn
        )

    def draw(self) -> bool:
        """Whether the rule fires this time (``probability``); the caller holds the lock."""
        if self.probability >= 1:
            return True
        if self.probability <= 0:
            return False
        return self._random.random() < self.probability


@dataclass(frozen=True)
class _State:
    """What the hot paths read: replaced whole, never changed."""

    request_rules: tuple[_Rule, ...] = ()
    lambda_rules: tuple[_Rule, ...] = ()
    latency_ms: float = 0
    # No request rule and no latency: the middleware passes every request straight on.
    idle: bool = True


class FaultRegistry:
    """The rules and effects in force; in memory, empty at start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._latency: int | float = 0
        self.state = _State()

    # -- the API's verbs ------------------------------------------------------------------

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.spec for rule in self._rules]

    def replace(self, specs: list[Any]) -> list[dict[str, Any]]:
        new = [_Rule(spec) for spec in specs]  # all valid, or nothing changes
        with self._lock:
            self._retire(self._rules)
            self._rules = new
            return self._publish()

    def add(self, specs: list[Any]) -> list[dict[str, Any]]:
        new = [_Rule(spec) for spec in specs]
        with self._lock:
            self._rules = [*self._rules, *new]
            return self._publish()

    def remove(self, specs: list[Any]) -> list[dict[str, Any]]:
        """Remove the rules equal to a posted one; none posted removes all."""
        with self._lock:
            gone = [rule for rule in self._rules if not specs or rule.spec in specs]
            self._retire(gone)
            self._rules = [rule for rule in self._rules if not rule.retired]
            return self._publish()

    def effects(self) -> dict[str, Any]:
        with self._lock:
            return {"latency": self._latency}

    def set_effects(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise RuleError(f'effects must be an object like {{"latency": 100}}, got {document!r}')
        unknown = sorted(set(document) - {"latency"})
        if unknown:
            raise RuleError(f"unknown effect(s) {', '.join(unknown)}; the only effect is latency")
        latency = document.get("latency", 0)
        if not _number(latency) or latency < 0:
            raise RuleError(f"latency must be a number of milliseconds, at least 0, got {latency!r}")
        with self._lock:
            self._latency = latency
            self._publish()
            return {"latency": self._latency}

    # -- the hot paths -------------------------------------------------------------------

    def request_fault(self, request: AwsRequest) -> RequestFault | None:
        for rule in self.state.request_rules:
            if rule.matches_request(request) and self._fire(rule):
                log.info(
                    "fault injected: %s %s %s -> %d %s (%s)",
                    request.service,
                    request.region,
                    request.operation,
                    rule.status,
                    rule.code,
                    rule.phase,
                )
                return RequestFault(rule.status, rule.code, rule.message, rule.phase)
        return None

    def lambda_fault(self, fn: FunctionLike, invoked_arn: str) -> LambdaFault | None:
        for rule in self.state.lambda_rules:
            if rule.matches_function(fn, invoked_arn) and self._fire(rule):
                assert rule.effect is not None
                log.info("fault injected: %s %s (%s)", fn.function_name, rule.effect, rule.phase)
                return LambdaFault(rule.effect, rule.phase)
        return None

    def _fire(self, rule: _Rule) -> bool:
        with self._lock:
            # Another thread may have used up its count, or a verb removed it, since the snapshot.
            if rule.retired or not rule.draw():
                return False
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._retire([rule])
                    self._rules = [r for r in self._rules if r is not rule]
                    self._publish()
            return True

    # -- under the lock -----------------------------------------------------------------

    @staticmethod
    def _retire(rules: list[_Rule]) -> None:
        for rule in rules:
            rule.retired = True

    def _publish(self) -> list[dict[str, Any]]:
        request_rules = tuple(rule for rule in self._rules if rule.effect is None)
        lambda_rules = tuple(rule for rule in self._rules if rule.effect is not None)
        idle = not request_rules and not self._latency
        self.state = _State(request_rules, lambda_rules, self._latency, idle)
        return [rule.spec for rule in self._rules]


# -- the middleware -----------------------------------------------------------------------------


def wrap_wsgi_app(app: WSGIApp, registry: FaultRegistry) -> WSGIApp:
    """Apply the registry's latency and request rules to every request ``app`` serves."""

    def chaos_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        state = registry.state
        if state.idle:
            return app(environ, start_response)
        if state.latency_ms:
            time.sleep(state.latency_ms / 1000)
        if not state.request_rules:
            return app(environ, start_response)
        request = AwsRequest(environ)
        fault = registry.request_fault(request)
        if fault is None:
            return app(environ, start_response)
        if fault.phase == "response":
            _run_and_lose_the_reply(app, environ)
        message = fault.message or f"Service '{request.service}' not accessible due to an outage"
        wire = error_response(request, fault.status, fault.code, message)
        start_response(wire.status, wire.headers)
        return [wire.body]

    return chaos_app


def _run_and_lose_the_reply(app: WSGIApp, environ: dict[str, Any]) -> None:
    """Run the operation to the end (its effects happen), then forget its answer."""

    def ignore(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        return lambda _data: None

    result = app(environ, ignore)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


# -- the control API --------------------------------------------------------------------------


class ChaosControl:
    """The faults and effects endpoints; ControlApp sends it the chaos paths (control.CHAOS_PREFIXES)."""

    def __init__(self, registry: FaultRegistry) -> None:
        self._registry = registry

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        method: str = environ.get("REQUEST_METHOD", "GET")
        endpoint = path.rsplit("/", 1)[-1]
        try:
            if endpoint == "faults" and method in ("GET", "POST", "PATCH", "DELETE"):
                return _json(start_response, "200 OK", self._faults(method, environ))
            if endpoint == "effects" and method in ("GET", "POST"):
                return _json(start_response, "200 OK", self._effects(method, environ))
        except RuleError as exc:
            return _json(start_response, "400 Bad Request", {"message": str(exc)})
        if endpoint in ("faults", "effects"):
            return _json(start_response, "405 Method Not Allowed", {"message": f"{method} {path} is not supported"})
        return _json(start_response, "404 Not Found", {"message": f"no chaos endpoint {path}"})

    def _faults(self, method: str, environ: dict[str, Any]) -> list[dict[str, Any]]:
        registry = self._registry
        if method == "GET":
            return registry.rules()
        rules = _rule_list(_read_json(environ))
        if method == "POST":
            return registry.replace(rules)
        if method == "PATCH":
            return registry.add(rules)
        return registry.remove(rules)

    def _effects(self, method: str, environ: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            return self._registry.effects()
        return self._registry.set_effects(_read_json(environ) or {})


def _read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RuleError(f"the body is not JSON: {exc}") from exc


def _rule_list(document: Any) -> list[Any]:
    """LocalStack posts a list; one rule on its own is accepted too; no body is no rules."""
    if document is None:
        return []
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise RuleError(f"expected a list of rules, got {document!r}")


def _json(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
