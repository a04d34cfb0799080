"""The delivery invariants, checked on plain data: what the client was told against what the table and API hold.

Pure (no AWS, no HTTP): ``collect`` in ``settle`` reads a ``Snapshot`` from a deployed stack,
and tests build one by hand, so integration tests can check the same invariants on their own
data (``from tooling.chaos.invariants import check``).

The client side is a list of ``Posted`` events (each a distinct event the client meant to
create, numbered ``n``; the number is in the event's ``data`` so the table can be matched
back to it) and every ``Answer`` it got, including retries, replays and replies it abandoned.

What must hold once the pipeline has settled (``Violation.kind`` in brackets):

- every answer is one the contract documents for ``createEvent``, a 5xx only as a 503 with
  Retry-After, every 429 and 503 with Retry-After, and no transport error (``answer``); a 4xx
  other than 429 is documented but wrong for the valid requests this run sends
  (``unexpected-status``);
- every accepted event (each 201 and each 200) is stored exactly once: the ids the client was
  given for one ``n`` are one id (``idempotency``), that id is stored with its pointer
  (``not-stored``), no ``n`` is stored twice, whether through a lost reply retried with its key or
  a keyless retry after a 503 (``stored-twice``), a replay of a key after its 201 answers 200 with
  the same id (``replay``), the key's record names that id (``idempotency``), an event whose
  every attempt was refused with a definite answer is not stored (``stored-after-refusal``), and
  nothing is stored that the client never sent (``stray-event``);
- per subject: positions are exactly 1..n with the head at n (``positions``), every event is
  ``processed`` (``not-processed``), ``sequence == position`` (``sequence``), an event answered
  before another was sent has the lower position (``order``), every ``alert.*`` event and no
  other has ``notified_at`` (``notification``), the lanes' cursors are at n (``lanes``), and
  nothing of the subject is left in the ``pending`` index that the reconciler should have taken
  out (``pending``). Finished entries leave the index by design only when the reconciler runs
  over them: a subject's head always (nothing else takes it out), an alert when its processor
  and notifier finished at the same moment. The reconciler only looks at entries older than its
  cut-off (``reconcile_after_seconds``), so an entry younger than the cut-off of the last run the
  checker knows of (``Snapshot.reconciled_before``) is not a violation: ``left_to_reconciler``
  counts those;
- through the API: ``stats`` has ``total == n``, ``by_type`` counted over the distinct stored
  events, ``last_sequence == n`` and the occurred_at range (``stats``); the subject's listing is
  the table's events in position order with sequences 1..n (``listing``);
- the dead-letter and failure queues gained nothing during the run but the one poison message,
  which is in the processor's DLQ and nowhere else (``queues``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ACCEPTED = (200, 201)
THROTTLED = (429, 503)
ALERT_PREFIX = "alert."


@dataclass(frozen=True)
class Posted:
    """One distinct event the client meant to create; every attempt for it shares ``n``."""

    n: int
    subject: str
    type: str
    key: str | None = None


@dataclass(frozen=True)
class Answer:
    """One POST /v1/events attempt and what came back (``status`` None: no answer)."""

    n: int
    attempt: int
    purpose: str  # first, retry, replay, abandon
    gateway: str
    started: float  # epoch seconds when sent
    finished: float  # epoch seconds when the answer (or the error) came
    status: int | None
    retry_after: str | None = None
    event_id: str | None = None
    error: str | None = None

    @property
    def abandoned(self) -> bool:
        """The client gave the reply up on purpose (a simulated lost reply): its read timed out, nothing else."""
        return self.purpose == "abandon" and self.status is None and (self.error or "").startswith("ReadTimeout")

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.started) * 1000


@dataclass(frozen=True)
class StoredEvent:
    """An event item of the table, plain values."""

    id: str
    subject: str
    position: int
    type: str
    status: str
    received_at: str
    occurred_at: str
    n: int | None = None  # the client's number, from data.n; None if not one of ours
    sequence: int | None = None
    processed_at: str | None = None
    notified_at: str | None = None
    pending: bool = False  # still in the pending index


@dataclass(frozen=True)
class SubjectRecord:
    """A subject's items: events in position order, head and both ordered lanes."""

    subject: str
    events: tuple[StoredEvent, ...]
    accepted: int
    head_pending: bool = False
    head_received_at: str | None = None  # in the pending index since (the head's received_at)
    last_sequence: int | None = None
    counted_through: int | None = None


@dataclass(frozen=True)
class QueueMessage:
    queue: str
    message_id: str
    body: str


@dataclass
class Snapshot:
    """What the table, the API and the queues hold once settled."""

    subjects: dict[str, SubjectRecord]
    pointers: dict[str, tuple[str, int]] = field(default_factory=dict)  # event id -> (subject, position)
    idempotency: dict[str, str] = field(default_factory=dict)  # key -> event id
    stats: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # the API's, None for a 404
    listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # the API's, all pages
    new_messages: list[QueueMessage] = field(default_factory=list)  # gained by a DLQ or failure queue
    poison_marker: str | None = None
    poison_queue: str = "standard_dlq"
    # The cut-off of the last reconciler run known to have finished (RFC 3339): every finished
    # entry received before it must be out of the pending index. None: no run known.
    reconciled_before: str | None = None


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    event_ids: tuple[str, ...] = ()
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "event_ids": list(self.event_ids), "subject": self.subject}


def is_alert(event_type: str) -> bool:
    return event_type.startswith(ALERT_PREFIX)


# -- answers --------------------------------------------------------------------------------------


def check_answers(answers: Iterable[Answer], documented: Iterable[int]) -> list[Violation]:
    """Every status documented, 5xx only as 503 with Retry-After, Retry-After on 429/503, no transport error."""
    allowed = set(documented)
    found = []
    for answer in answers:
        where = f"request {answer.n} attempt {answer.attempt} ({answer.gateway})"
        ids = (answer.event_id,) if answer.event_id else ()
        status = answer.status
        if status is None:
            if not answer.abandoned:
                found.append(Violation("answer", f"{where}: transport error: {answer.error}", ids))
            continue
        if status not in allowed:
            found.append(Violation("answer", f"{where}: {status} is not documented for createEvent", ids))
        elif status >= 500 and status != 503:
            found.append(Violation("answer", f"{where}: {status}; the only 5xx allowed is 503 with Retry-After", ids))
        elif 400 <= status < 500 and status != 429:
            found.append(Violation("unexpected-status", f"{where}: {status} for a valid request", ids))
        if status in THROTTLED and not _whole_seconds(answer.retry_after):
            found.append(
                Violation("answer", f"{where}: {status} without a valid Retry-After ({answer.retry_after!r})", ids)
            )
    return found


def _whole_seconds(value: str | None) -> bool:
    return value is not None and value.strip().isdigit() and int(value) >= 1


# -- acceptance: stored once ----------------------------------------------------------------------


def check_acceptance(
    posted: Mapping[int, Posted], answers: Sequence[Answer], snapshot: Snapshot, subjects: Iterable[str]
) -> list[Violation]:
    found: list[Violation] = []
    by_n: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_n[answer.n].append(answer)
    stored_by_n: dict[int, list[StoredEvent]] = defaultdict(list)
    for subject in subjects:
        record = snapshot.subjects.get(subject)
        for event in record.events if record else ():
            if event.n is None or event.n not in posted:
                found.append(Violation("stray-event", f"{event.id} was stored but never sent", (event.id,), subject))
            else:
                stored_by_n[event.n].append(event)
    for n, request in sorted(posted.items()):
        found += _check_one(request, by_n.get(n, []), stored_by_n.get(n, []), snapshot)
    return found


def _check_one(
    request: Posted, answers: list[Answer], stored: list[StoredEvent], snapshot: Snapshot
) -> list[Violation]:
    found = []
    subject = request.subject
    given = [a for a in answers if a.status in ACCEPTED and a.event_id]
    ids = sorted({a.event_id for a in given if a.event_id})
    stored_ids = tuple(sorted(e.id for e in stored))
    if len(ids) > 1:
        what = f"Idempotency-Key {request.key!r}" if request.key else "a keyless request"
        found.append(
            Violation("idempotency", f"{what} was answered with {len(ids)} different ids", tuple(ids), subject)
        )
    if len(stored) > 1:
        found.append(
            Violation(
                "stored-twice",
                f"request {request.n} is stored {len(stored)} times ({_history(answers)})",
                stored_ids,
                subject,
            )
        )
    for event_id in ids:
        if event_id not in stored_ids:
            found.append(Violation("not-stored", f"{event_id} was accepted but is not stored", (event_id,), subject))
        elif snapshot.pointers and event_id not in snapshot.pointers:
            found.append(Violation("not-stored", f"{event_id} is stored without its pointer", (event_id,), subject))
    for answer in answers:
        if answer.purpose == "replay" and answer.status not in (None, *THROTTLED):
            first = given[0].event_id if given else None
            if answer.status != 200 or answer.event_id != first:
                found.append(
                    Violation(
                        "replay",
                        f"the replay of key {request.key!r} answered {answer.status} with {answer.event_id}, "
                        f"not 200 with {first}",
                        tuple(i for i in (answer.event_id, first) if i),
                        subject,
                    )
                )
    if request.key is not None and ids and snapshot.idempotency:
        recorded = snapshot.idempotency.get(request.key)
        if recorded != ids[0]:
            found.append(
                Violation(
                    "idempotency",
                    f"the record of key {request.key!r} names {recorded}, the client was given {ids[0]}",
                    tuple(i for i in (recorded, ids[0]) if i),
                    subject,
                )
            )
    unknown_outcome = any(a.status is None or (a.status >= 500 and a.status != 503) for a in answers)
    if not given and stored and answers and not unknown_outcome:
        found.append(
            Violation(
                "stored-after-refusal",
                f"request {request.n} was refused every time ({_history(answers)}) yet stored",
                stored_ids,
                subject,
            )
        )
    return found


def _history(answers: Sequence[Answer]) -> str:
    return (
        ", ".join(f"{a.purpose} {a.status if a.status is not None else 'no answer'}" for a in answers) or "no attempt"
    )


# -- per subject: positions, lanes, order ---------------------------------------------------------


def check_subject(
    record: SubjectRecord, answers: Sequence[Answer], reconciled_before: str | None = None
) -> list[Violation]:
    found: list[Violation] = []
    subject = record.subject
    events = record.events
    n = len(events)
    positions = [e.position for e in events]
    if positions != list(range(1, n + 1)) or record.accepted != n:
        found.append(
            Violation(
                "positions",
                f"positions {_ranges(positions)} with the head at {record.accepted}; expected 1..{n}",
                subject=subject,
            )
        )
    for kind, bad, what in (
        ("not-processed", [e for e in events if e.status != "processed"], "not processed"),
        ("sequence", [e for e in events if e.sequence != e.position], "sequence != position"),
        (
            "notification",
            [e for e in events if is_alert(e.type) != (e.notified_at is not None)],
            "notified_at on a non-alert or missing on an alert",
        ),
        (
            "pending",
            [e for e in events if e.pending and _reconciled(e.received_at, reconciled_before)],
            f"still in the pending index, older than the reconciler's cut-off {reconciled_before}",
        ),
    ):
        if bad:
            detail = ", ".join(f"{e.position}" for e in bad[:20])
            found.append(
                Violation(kind, f"{len(bad)} event(s) {what} (positions {detail})", tuple(e.id for e in bad), subject)
            )
    if record.head_pending and _reconciled(record.head_received_at, reconciled_before):
        found.append(
            Violation(
                "pending",
                f"the head is still in the pending index since {record.head_received_at}, "
                f"older than the reconciler's cut-off {reconciled_before}",
                subject=subject,
            )
        )
    if (record.last_sequence or 0) != n or (record.counted_through or 0) != n:
        found.append(
            Violation(
                "lanes",
                f"sequencer at {record.last_sequence}, analytics at {record.counted_through}; expected {n}",
                subject=subject,
            )
        )
    found += _check_order(record, answers)
    return found


def _reconciled(received_at: str | None, reconciled_before: str | None) -> bool:
    """Whether the last known reconciler run covered an entry received then (canonical RFC 3339 sorts as time)."""
    return received_at is not None and reconciled_before is not None and received_at < reconciled_before


def left_to_reconciler(snapshot: Snapshot) -> int:
    """Entries of the run still in the pending index that no known reconciler run was due to take out."""
    cutoff = snapshot.reconciled_before
    left = 0
    for record in snapshot.subjects.values():
        left += sum(1 for e in record.events if e.pending and not _reconciled(e.received_at, cutoff))
        left += record.head_pending and not _reconciled(record.head_received_at, cutoff)
    return left


def _check_order(record: SubjectRecord, answers: Sequence[Answer]) -> list[Violation]:
    """An event the client was answered for before another was sent must have the lower position."""
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    first_sent: dict[int, float] = {}
    for answer in answers:
        first_sent[answer.n] = min(first_sent.get(answer.n, answer.started), answer.started)
    for answer in answers:
        if answer.status in ACCEPTED and answer.event_id and answer.event_id not in answered:
            answered[answer.event_id] = answer.finished
            sent[answer.event_id] = first_sent[answer.n]
    found = []
    latest: tuple[float, str] | None = None  # the latest send among lower positions
    for event in record.events:
        if event.id not in answered:
            continue
        if latest is not None and answered[event.id] < latest[0]:
            found.append(
                Violation(
                    "order",
                    f"{event.id} (position {event.position}) was answered before {latest[1]} was sent, "
                    "yet has the higher position",
                    (event.id, latest[1]),
                    record.subject,
                )
            )
        if latest is None or sent[event.id] > latest[0]:
            latest = (sent[event.id], event.id)
    return found


def _ranges(positions: Sequence[int]) -> str:
    if not positions:
        return "none"
    parts = []
    start = previous = positions[0]
    for position in [*positions[1:], None]:
        if position is not None and position == previous + 1:
            previous = position
            continue
        parts.append(f"{start}" if start == previous else f"{start}..{previous}")
        if position is not None:
            start = previous = position
    return ",".join(parts)


# -- through the API -------------------------------------------------------------------------------


def check_api(
    record: SubjectRecord, stats: dict[str, Any] | None, listing: list[dict[str, Any]] | None
) -> list[Violation]:
    found = []
    subject = record.subject
    events = record.events
    n = len(events)
    if stats is None:
        found.append(Violation("stats", "the API has no stats for the subject (404)", subject=subject))
    else:
        expected = {
            "total": n,
            "by_type": dict(sorted(Counter(e.type for e in events).items())),
            "last_sequence": n or None,
            "first_occurred_at": min((e.occurred_at for e in events), default=None),
            "last_occurred_at": max((e.occurred_at for e in events), default=None),
        }
        wrong = {name: (stats.get(name), value) for name, value in expected.items() if stats.get(name) != value}
        if wrong:
            detail = "; ".join(f"{name} {got!r}, expected {want!r}" for name, (got, want) in wrong.items())
            found.append(Violation("stats", detail, subject=subject))
    if listing is not None:
        listed = [(item.get("id"), item.get("sequence"), item.get("status")) for item in listing]
        expected_listing = [(e.id, e.position, "processed") for e in events]
        if listed != expected_listing:
            differ = [str(item[0]) for item, want in zip(listed, expected_listing, strict=False) if item != want] or [
                str(item[0]) for item in listed[len(expected_listing) :]
            ]
            found.append(
                Violation(
                    "listing",
                    f"the API lists {len(listed)} events, the table holds {n}; first differences: {differ[:5]}",
                    tuple(differ[:20]),
                    subject,
                )
            )
    return found


# -- queues ----------------------------------------------------------------------------------------


def check_queues(snapshot: Snapshot) -> list[Violation]:
    found = []
    marker = snapshot.poison_marker
    poison_seen = [m for m in snapshot.new_messages if marker is not None and marker in m.body]
    for message in snapshot.new_messages:
        if marker is not None and marker in message.body:
            continue
        ids = tuple(sorted(_event_ids(message.body)))
        found.append(
            Violation("queues", f"{message.queue} gained message {message.message_id}: {message.body[:200]}", ids)
        )
    if marker is not None:
        where = Counter(m.queue for m in poison_seen)
        if where != Counter({snapshot.poison_queue: 1}):
            found.append(
                Violation(
                    "queues",
                    f"the poison message should be in {snapshot.poison_queue} once; found {dict(where) or 'nowhere'}",
                )
            )
    return found


def _event_ids(body: str) -> set[str]:
    """Event ids a queued message names: an event message's ``id``, an SNS envelope's inner message."""
    import json  # noqa: PLC0415 (only failures need it)

    try:
        document = json.loads(body)
    except ValueError:
        return set()
    found: set[str] = set()
    if isinstance(document, dict):
        if isinstance(document.get("id"), str):
            found.add(document["id"])
        inner = document.get("Message")
        if isinstance(inner, str):
            found |= _event_ids(inner)
    return found


# -- all of it ------------------------------------------------------------------------------------


def check(
    posted: Mapping[int, Posted],
    answers: Sequence[Answer],
    snapshot: Snapshot,
    documented: Iterable[int],
) -> list[Violation]:
    """Every invariant of the module docstring; an empty list when all hold."""
    subjects = sorted({p.subject for p in posted.values()})
    answers_by_subject: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        answers_by_subject[posted[answer.n].subject].append(answer)
    found = check_answers(answers, documented)
    found += check_acceptance(posted, answers, snapshot, subjects)
    for subject in subjects:
        record = snapshot.subjects.get(subject) or SubjectRecord(subject, (), 0)
        found += check_subject(record, answers_by_subject.get(subject, []), snapshot.reconciled_before)
        found += check_api(record, snapshot.stats.get(subject), snapshot.listings.get(subject))
    found += check_queues(snapshot)
    return found
