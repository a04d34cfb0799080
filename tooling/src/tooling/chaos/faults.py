"""The seeded fault schedule, a client of the fault API, and the driver that plays one against the other.

The fault API is LocalStack's Chaos API as the local cloud serves it (``/_localcloud/chaos/faults``,
also at ``/_localstack/chaos/faults``, so the same run works against LocalStack): POST replaces
the rules, PATCH adds, DELETE removes the posted rules (no body: all); ``/effects`` sets a
latency. Rules name the AWS service by its signing name and the action by its AWS name; this
project's extensions add ``resource`` (a substring of the queue, topic, stream, table or
function), ``count``, ``phase`` ("response": the operation runs and its reply is lost), ``seed``
and Lambda ``effect`` s (crash, timeout, error).

A **window** is a set of rules in force for a while. Windows open when the load has sent a
given fraction of its events, not at a wall-clock time: a throttled table slows the load (every
503 makes a client wait its Retry-After), and a window tied to progress still lands among the
traffic it is meant to disturb. Each stays open for its seconds, long enough to exhaust the
retries it targets: the SDK's three attempts (about three seconds of backoff) for the publisher's
calls, the in-invocation retries of the consumers, several 503s in a row for a client. The
consumers' own redelivery (the queue's visibility timeout, 15 s locally) is deliberately not
outlasted, except by a crash or timeout, which is bounded by ``count`` instead.

Everything random comes from one ``random.Random(seed)``: which window comes when, how long it
lasts, and each rule's own ``seed`` (the fault API's draws for a ``probability``). Two runs with
the same seed get the same schedule; the wall-clock timing of the load, and so which requests a
rule hits, still varies.

What the fault API cannot express: a ``TransactionCanceledException`` carries per-item
``CancellationReasons`` (a real transaction conflict is one with reason ``TransactionConflict``),
and a rule's error has only a status, a code and a message. The write-conflict window therefore
uses ``TransactionConflictException``, which DynamoDB returns to a single-item write
(UpdateItem, PutItem) that collides with a transaction in flight; conflicts inside the accept's
own transaction are not injected.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

# Where the load's events are spread: windows start between these fractions of the main load, so
# each has traffic around it and the load goes on for a while after the last one.
FIRST_START = 0.05
LAST_START = 0.65
DEFAULT_WINDOW_SECONDS = 6.0
# Probabilities of the partial faults: high enough that some API calls exhaust their retries and
# answer 503, low enough that most consumers' in-invocation retries still get through.
TABLE_THROTTLE_PROBABILITY = 0.5
WRITE_CONFLICT_PROBABILITY = 0.3
LOST_REPLY_PROBABILITY = 0.3
# The operations of the events table that the service itself calls. The run's own observer
# reads with BatchGetItem and Scan, which no rule names: it watches the faults without suffering them.
TABLE_OPERATIONS = ("GetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems")
SINGLE_ITEM_WRITES = ("PutItem", "UpdateItem")
FAULT_PATHS = ("/_localcloud/chaos", "/_localstack/chaos")

Rule = dict[str, Any]


@dataclass(frozen=True)
class FaultTargets:
    """The deployed resources the rules name (from outputs.json)."""

    region: str
    table_name: str
    fifo_topic_arn: str
    stream_name: str
    processor_function: str
    sequencer_function: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> FaultTargets:
        functions = outputs["function_names"]
        return cls(
            region=outputs["region"],
            table_name=outputs["events_table_name"],
            fifo_topic_arn=outputs["fifo_topic_arn"],
            stream_name=outputs["events_stream_name"],
            processor_function=functions["processor"],
            sequencer_function=functions["sequencer"],
        )


@dataclass(frozen=True)
class FaultWindow:
    """Rules in force from ``start`` (a fraction of the main load sent) for ``seconds``."""

    name: str
    start: float
    seconds: float
    rules: tuple[Rule, ...] = ()
    # The poison message is an action, not a rule: put once on the standard queue when the window opens.
    poison: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": round(self.start, 4),
            "seconds": round(self.seconds, 2),
            "rules": list(self.rules),
            "poison": self.poison,
        }


def _error(code: str, status: int = 400) -> dict[str, Any]:
    return {"statusCode": status, "code": code}


def _window_kinds(targets: FaultTargets, rng: random.Random) -> list[tuple[str, tuple[Rule, ...], bool]]:
    """Every kind of fault a run injects, as (name, rules, poison); the order here is fixed."""

    def table_rules(
        operations: Sequence[str], probability: float, error: dict[str, Any], **extra: Any
    ) -> tuple[Rule, ...]:
        return tuple(
            {
                "service": "dynamodb",
                "region": targets.region,
                "operation": operation,
                "resource": targets.table_name,
                "probability": probability,
                "error": error,
                "seed": rng.randrange(1 << 31),
                **extra,
            }
            for operation in operations
        )

    def lambda_rules(function: str) -> tuple[Rule, ...]:
        # A crash and a timeout per window, each bounded by its count: every message of a failed
        # batch is received again after the visibility timeout, and must not fail twice (the local
        # tfvars dead-letter on the second failed receive).
        return tuple(
            {"service": "lambda", "operation": "Invoke", "resource": function, "effect": effect, "count": count}
            for effect, count in (("crash", 2), ("timeout", 1))
        )

    return [
        (
            "fifo-publish-throttled",
            (
                {
                    "service": "sns",
                    "region": targets.region,
                    "operation": "PublishBatch",  # the publisher sends ten events per call
                    "resource": targets.fifo_topic_arn,
                    "error": _error("Throttling"),
                },
            ),
            False,
        ),
        (
            "kinesis-put-throttled",
            (
                {
                    "service": "kinesis",
                    "region": targets.region,
                    "operation": "PutRecords",
                    "resource": targets.stream_name,
                    "error": _error("ProvisionedThroughputExceededException"),
                },
            ),
            False,
        ),
        (
            "table-throttled",
            table_rules(TABLE_OPERATIONS, TABLE_THROTTLE_PROBABILITY, _error("ProvisionedThroughputExceededException")),
            False,
        ),
        (
            "write-conflicts",
            table_rules(SINGLE_ITEM_WRITES, WRITE_CONFLICT_PROBABILITY, _error("TransactionConflictException")),
            False,
        ),
        (
            "accept-replies-lost",
            # The transaction commits, then its reply is lost: the SDK sees a 500 and retries with
            # the same ClientRequestToken.
            table_rules(
                ("TransactWriteItems",),
                LOST_REPLY_PROBABILITY,
                _error("InternalServerError", 500),
                phase="response",
            ),
            False,
        ),
        ("processor-crash-and-timeout", lambda_rules(targets.processor_function), False),
        ("sequencer-crash-and-timeout", lambda_rules(targets.sequencer_function), False),
        ("poison-message", (), True),
    ]


def build_schedule(
    seed: int, targets: FaultTargets, window_seconds: float = DEFAULT_WINDOW_SECONDS
) -> list[FaultWindow]:
    """The run's fault windows, in opening order; the same seed gives the same schedule."""
    rng = random.Random(seed)
    kinds = _window_kinds(targets, rng)
    rng.shuffle(kinds)
    slot = (LAST_START - FIRST_START) / len(kinds)
    windows = []
    for index, (name, rules, poison) in enumerate(kinds):
        start = FIRST_START + slot * (index + rng.uniform(0.0, 0.5))
        seconds = 0.0 if poison else window_seconds * rng.uniform(0.8, 1.25)
        windows.append(FaultWindow(name, start, seconds, rules, poison))
    return windows


# -- the fault API -----------------------------------------------------------------------------


class FaultApiError(Exception):
    """The fault API refused a request or could not be reached."""


class FaultApi(Protocol):
    """What the driver and the settle phase need of a fault API."""

    @property
    def available(self) -> bool: ...

    def add(self, rules: Sequence[Rule]) -> list[Rule]: ...

    def remove(self, rules: Sequence[Rule]) -> list[Rule]: ...

    def clear(self) -> None: ...


class HttpFaultApi:
    """The Chaos API of the local cloud or LocalStack at ``endpoint``; ``probe`` finds which path answers."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._base: str | None = None

    @property
    def available(self) -> bool:
        return self._base is not None

    @property
    def url(self) -> str | None:
        return self._base

    def probe(self) -> bool:
        if not self._endpoint:
            return False
        for path in FAULT_PATHS:
            try:
                response = self._session.get(f"{self._endpoint}{path}/faults", timeout=self._timeout)
            except requests.RequestException:
                return False
            if response.status_code == 200 and isinstance(_json_or_none(response), list):
                self._base = f"{self._endpoint}{path}"
                return True
        return False

    def rules(self) -> list[Rule]:
        return self._call("GET", "faults")

    def replace(self, rules: Sequence[Rule]) -> list[Rule]:
        return self._call("POST", "faults", list(rules))

    def add(self, rules: Sequence[Rule]) -> list[Rule]:
        return self._call("PATCH", "faults", list(rules))

    def remove(self, rules: Sequence[Rule]) -> list[Rule]:
        # An empty list would remove every rule: removing nothing must not.
        return self._call("DELETE", "faults", list(rules)) if rules else self.rules()

    def set_latency(self, milliseconds: float) -> None:
        self._call("POST", "effects", {"latency": milliseconds})

    def clear(self) -> None:
        self._call("DELETE", "faults")
        self.set_latency(0)

    def _call(self, method: str, endpoint: str, body: Any = None) -> list[Rule]:
        if self._base is None:
            raise FaultApiError("no fault API: probe() found none")
        try:
            response = self._session.request(
                method,
                f"{self._base}/{endpoint}",
                data=None if body is None else json.dumps(body),
                headers={"content-type": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            raise FaultApiError(f"{method} {endpoint}: {error}") from error
        if response.status_code != 200:
            raise FaultApiError(f"{method} {endpoint}: {response.status_code} {response.text[:300]}")
        answer = response.json()
        # The faults endpoint answers the rules in force, effects their settings: only rules are used.
        return answer if isinstance(answer, list) else []


class NoFaultApi:
    """Faults off (``--no-faults``) or no fault API at the target: nothing is injected."""

    available = False

    def add(self, rules: Sequence[Rule]) -> list[Rule]:
        return []

    def remove(self, rules: Sequence[Rule]) -> list[Rule]:
        return []

    def clear(self) -> None:
        return None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# -- playing the schedule ------------------------------------------------------------------------


@dataclass
class AppliedWindow:
    """What happened to one window: when it really opened and closed (seconds since the run started)."""

    window: FaultWindow
    opened: float | None = None
    closed: float | None = None
    applied: bool = False
    error: str | None = None
    poison_marker: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.window.to_json(),
            "opened_s": None if self.opened is None else round(self.opened, 3),
            "closed_s": None if self.closed is None else round(self.closed, 3),
            "applied": self.applied,
            "error": self.error,
            "poison_marker": self.poison_marker,
        }


@dataclass
class FaultDriver:
    """Opens and closes the windows as the load progresses, in a thread of its own."""

    api: FaultApi
    windows: Sequence[FaultWindow]
    progress: Callable[[], float]
    poison: Callable[[], str]
    started: float = field(default_factory=time.monotonic)
    clock: Callable[[], float] = time.monotonic
    poll_seconds: float = 0.05
    applied: list[AppliedWindow] = field(init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self.applied = [AppliedWindow(window) for window in self.windows]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chaos-faults", daemon=True)
        self._thread.start()

    def finish(self, timeout: float) -> list[AppliedWindow]:
        """Wait until every window has opened and closed (the load has ended), then stop."""
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        return self.applied

    def step(self) -> bool:
        """Open what is due and close what has run its time; True once every window is closed."""
        now = self.clock() - self.started
        progress = self.progress()
        for entry in self.applied:
            if entry.opened is None and progress >= entry.window.start:
                self._open(entry, now)
            elif entry.opened is not None and entry.closed is None and now >= entry.opened + entry.window.seconds:
                self._close(entry, now)
        return all(entry.closed is not None for entry in self.applied)

    def _open(self, entry: AppliedWindow, now: float) -> None:
        entry.opened = now
        try:
            if entry.window.poison:
                entry.poison_marker = self.poison()
                entry.applied = True
            elif self.api.available:
                self.api.add(entry.window.rules)
                entry.applied = True
        except Exception as error:  # recorded and reported: a window that never opened is a failed run
            entry.error = f"open: {error}"
        if entry.window.seconds <= 0:
            entry.closed = now

    def _close(self, entry: AppliedWindow, now: float) -> None:
        entry.closed = now
        if not entry.applied or entry.window.poison:
            return
        try:
            self.api.remove(entry.window.rules)
        except Exception as error:
            entry.error = f"close: {error}"

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.step():
                return
            self._stop.wait(self.poll_seconds)
