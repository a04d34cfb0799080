"""The seeded load: which events are sent, through which gateway, with which key, and how the client retries.

The plan is a pure function of the seed (``build_plan``): about 50 subjects, one hot subject
taking a fifth of the events, a mix of types with some ``alert.*``, a quarter of the events
with an ``Idempotency-Key``. Among the keyed events some get a deliberate client retry:

- **replay**: after the 201, the same key and body are sent again through the other gateway;
  the contract says 200 with the same id;
- **lost reply**: the first attempt is abandoned right after it is sent (a read timeout of a
  few milliseconds, so the client never sees the answer while the API carries on), then the
  request is sent again with the same key, as a client would after a timeout.

Every event carries its number ``n`` in ``data``, so the checker can match the table back to
the requests and see an event stored twice.

A 429 or 503 is retried after its Retry-After (with the same key when the event has one); a
keyless retry after a 503 is safe only because the contract says a 503 wrote nothing, and the
checker verifies that too. A transport error is retried only with a key: without one, the
outcome is unknown and a retry could store the event twice.

The last event of each subject is marked **closing**. By default it is sent with the rest, so a
gap a fault leaves at the end of a subject is repaired by the reconciler alone, after
``reconcile_after_seconds``: the run proves that no subject stalls without further traffic. With
``--closing-round`` those events are sent after every fault has been cleared, and the sequencer
and analytics repair such gaps on their arrival instead (a shorter settle).

Each worker thread has its own ``requests.Session``; every attempt is recorded as an
``invariants.Answer``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from tooling.chaos.invariants import Answer, Posted

SUBJECTS = 50
HOT_SHARE = 0.2
KEYED_SHARE = 0.25
# Of the keyed events: replayed after the 201, and re-sent after an abandoned first attempt.
REPLAY_SHARE = 0.2
LOST_REPLY_SHARE = 0.15
# (type, weight): alerts are about a tenth, so the notifier lane is busy enough to be checked.
TYPES = (
    ("order.created", 30),
    ("order.paid", 20),
    ("order.shipped", 15),
    ("user.signup", 15),
    ("invoice.sent", 10),
    ("alert.fraud", 6),
    ("alert.threshold", 4),
)
GATEWAYS = ("edge", "regional")
REQUEST_TIMEOUT = (5.0, 30.0)
# Long enough to send the request, far too short for any answer: the reply is "lost".
ABANDON_TIMEOUT = (5.0, 0.005)
# Attempts per event before the client gives up (a 429 costs the server's own contention retries,
# about two seconds, plus the Retry-After): bounded, so a subject that can no longer accept does
# not hold a worker for minutes. The checker reports such a subject anyway.
MAX_ATTEMPTS = 8
# A Retry-After larger than this is waited as this: the run must end.
MAX_RETRY_WAIT = 10.0


@dataclass(frozen=True)
class PlannedEvent:
    n: int
    subject: str
    type: str
    gateway: str
    key: str | None = None
    follow_up: str | None = None  # "replay", "lost-reply" or None
    closing: bool = False

    def posted(self) -> Posted:
        return Posted(self.n, self.subject, self.type, self.key)

    def body(self, run_id: str) -> dict[str, Any]:
        return {"type": self.type, "subject": self.subject, "source": "chaos", "data": {"run": run_id, "n": self.n}}


def subject_names(run_id: str, count: int = SUBJECTS) -> list[str]:
    """The run's subjects; the first is the hot one. The run id keeps runs on one stack apart."""
    return [f"chaos-{run_id}-hot", *(f"chaos-{run_id}-{index:02d}" for index in range(1, count))]


def build_plan(seed: int, run_id: str, events: int, subjects: int = SUBJECTS) -> list[PlannedEvent]:
    """``events`` events: the main load, then one closing event per subject (the last ``subjects``)."""
    if events < 2 * subjects:
        raise ValueError(f"at least {2 * subjects} events are needed for {subjects} subjects, got {events}")
    rng = random.Random(seed)
    names = subject_names(run_id, subjects)
    types = [name for name, _ in TYPES]
    weights = [weight for _, weight in TYPES]
    plan = []
    for n in range(events - subjects):
        subject = names[0] if rng.random() < HOT_SHARE else rng.choice(names[1:])
        key = follow_up = None
        if rng.random() < KEYED_SHARE:
            key = f"chaos-{run_id}-{n}"
            draw = rng.random()
            follow_up = (
                "replay" if draw < REPLAY_SHARE else "lost-reply" if draw < REPLAY_SHARE + LOST_REPLY_SHARE else None
            )
        event_type = rng.choices(types, weights)[0]
        plan.append(PlannedEvent(n, subject, event_type, GATEWAYS[n % 2], key, follow_up))
    for index, subject in enumerate(names):
        n = events - subjects + index
        plan.append(PlannedEvent(n, subject, rng.choices(types, weights)[0], GATEWAYS[n % 2], closing=True))
    return plan


class LoadRunner:
    """Sends a plan at a given concurrency and records every attempt."""

    def __init__(
        self,
        gateways: dict[str, str],
        api_key: str,
        run_id: str,
        concurrency: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gateways = {name: url.rstrip("/") for name, url in gateways.items()}
        self._api_key = api_key
        self._run_id = run_id
        self._concurrency = concurrency
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self.answers: list[Answer] = []
        self._sent = 0
        self._total = 0
        self._batches_done = 0

    def progress(self) -> float:
        """The fraction of the current batch of events already started: 0.0 before the first, 1.0 between batches."""
        with self._lock:
            if self._total == 0:
                return 1.0 if self._batches_done else 0.0
            return self._sent / self._total

    def run(self, plan: Sequence[PlannedEvent], deadline: float | None = None) -> None:
        """Send the events of ``plan`` (with their retries) on ``concurrency`` threads; returns when all are done.

        No event is started after ``deadline`` (``time.monotonic()``): the rest are not sent, so a
        pipeline that has slowed to a crawl still gives a report.
        """
        queue = iter(plan)
        with self._lock:
            self._sent, self._total = 0, len(plan)

        def worker() -> None:
            while True:
                with self._lock:
                    late = deadline is not None and time.monotonic() > deadline
                    event = None if late else next(queue, None)
                    if event is not None:
                        self._sent += 1
                if event is None:
                    return
                self.send(event)

        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="chaos-load") as pool:
            for future in [pool.submit(worker) for _ in range(self._concurrency)]:
                future.result()
        with self._lock:
            self._total = 0
            self._batches_done += 1

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    # -- one event ------------------------------------------------------------------------------

    def send(self, event: PlannedEvent) -> None:
        attempt = 0
        if event.follow_up == "lost-reply":
            attempt += 1
            self._post(event, event.gateway, attempt, "abandon", ABANDON_TIMEOUT)
            self._sleep(0.02)
        answer = self._until_answered(event, event.gateway, attempt, "first" if attempt == 0 else "retry")
        if event.follow_up == "replay" and answer is not None and answer.status == 201:
            other = GATEWAYS[(GATEWAYS.index(event.gateway) + 1) % len(GATEWAYS)]
            self._until_answered(event, other, answer.attempt, "replay")

    def _until_answered(self, event: PlannedEvent, gateway: str, attempt: int, purpose: str) -> Answer | None:
        """Send until a definite answer: 429 and 503 are retried after Retry-After, transport errors with a key only."""
        answer = None
        for _ in range(MAX_ATTEMPTS):
            attempt += 1
            answer = self._post(event, gateway, attempt, purpose, REQUEST_TIMEOUT)
            if answer.status in (429, 503):
                self._sleep(_retry_wait(answer.retry_after))
            elif answer.status is None and event.key is not None:
                self._sleep(1.0)
            else:
                return answer
            purpose = "retry" if purpose == "first" else purpose
        return answer

    def _post(
        self, event: PlannedEvent, gateway: str, attempt: int, purpose: str, timeout: tuple[float, float]
    ) -> Answer:
        headers = {"content-type": "application/json", "x-api-key": self._api_key}
        if event.key is not None:
            headers["Idempotency-Key"] = event.key
        started = time.time()
        status = retry_after = event_id = error = None
        try:
            response = self._session().post(
                f"{self._gateways[gateway]}/v1/events",
                data=json.dumps(event.body(self._run_id)),
                headers=headers,
                timeout=timeout,
            )
            status = response.status_code
            retry_after = response.headers.get("Retry-After")
            if status in (200, 201):
                event_id = str(response.json().get("id"))
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        except ValueError as exc:  # a 2xx whose body is not JSON
            error = f"unreadable body: {exc}"[:300]
        answer = Answer(
            n=event.n,
            attempt=attempt,
            purpose=purpose,
            gateway=gateway,
            started=started,
            finished=time.time(),
            status=status,
            retry_after=retry_after,
            event_id=event_id,
            error=error,
        )
        with self._lock:
            self.answers.append(answer)
        return answer

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


def _retry_wait(value: str | None) -> float:
    """Seconds to wait for a Retry-After (a missing or unreadable one is reported by the checker; wait 1 s)."""
    if value is not None and value.strip().isdigit():
        return min(float(value), MAX_RETRY_WAIT)
    return 1.0
