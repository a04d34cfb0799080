"""The four lanes downstream of the table, and what each one guarantees.

Every accepted event reaches four consumers through three different AWS paths: the standard
topic's queue (processor), the standard topic's push subscription (notifier, ``alert.*``
only), the FIFO topic's queue (sequencer) and the Kinesis stream (analytics). None of those
paths is trusted to be complete or ordered: a publish can fail past its retries, a stream
mapping can give up on a record, a message can be dead-lettered and re-driven late, the
reconciler can repair while the publisher lags. What makes the result exact is that each
lane's effect is a conditional write against the table, which holds every event at its
per-subject position:

- **processor**: ``status`` goes ``accepted`` -> ``processed`` on the event item, once
  (condition ``status = accepted``). Order does not matter.
- **notifier**: ``notified_at`` is set on an ``alert.*`` event item, once (condition
  ``attribute_not_exists(notified_at)``). Order does not matter.
- **sequencer**: the subject's ``LANE#sequencer`` item holds ``last_sequence`` L. Position p
  is sequenced in one transaction that moves L from p-1 to p and sets the event's
  ``sequence = p``. A message for p when L < p-1 does not wait for its lane to deliver the
  gap (in a FIFO group the missing predecessor could never overtake it): it reads events
  L+1..p from the table and sequences them in order, several per transaction. A redelivery
  (p <= L) changes nothing. So ``sequence == position`` for 1..n whatever the lane did.
- **analytics**: the subject's ``LANE#analytics`` item holds ``counted_through`` C and the
  statistics. A record for p counts events C+1..p read from the table in one conditional
  update (condition ``counted_through = C``), so an event that arrives after its successor
  was already counted by the successor, and nothing is counted twice. ``by_type`` counts at
  most ``MAX_TYPES_PER_SUBJECT`` distinct types, the first the subject received; events of
  any further type are counted together under ``(other)``, which no type can be named (a
  type starts with a letter). So the item stays under a tenth of DynamoDB's 400 KB item
  limit whatever a subject receives, and ``total`` and ``by_type`` still sum alike.

The last lane to finish an event takes it out of the ``pending`` index; the sequencer and
analytics cursors take the subject's head out once both reach ``accepted``
(``reconciler`` does that). What the lanes cannot finish, the reconciler repairs with these
same methods, in position order.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import items
from chalicelib.errors import PoisonMessageError
from chalicelib.events import STATUS_ACCEPTED, STATUS_PROCESSED, EventMessage
from chalicelib.repository import EventsRepository
from chalicelib.retry import Backoff, Deadline, cancellation_codes, error_code, retry_transient

ALERT_PREFIX = "alert."
# Events sequenced or counted per write while catching up (a transaction holds up to 100 items).
CATCH_UP_CHUNK = 25
# Seconds one catch-up step needs at most: a read and a write, each with the SDK's retries.
STEP_SECONDS = 2.0
CONFLICT_BACKOFF = Backoff(attempts=6, base=0.02, cap=0.5)
# Distinct types the analytics item counts one by one, so that it stays far below "The maximum
# item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8
# length) and attribute value lengths" (DynamoDB Developer Guide, "Constraints in Amazon
# DynamoDB"). A type's entry is its name (up to 64 bytes), a number ("1 byte per two
# significant digits) + (1 byte)") and "Each List or Map element also requires 1 byte of
# overhead" ("DynamoDB item sizes and formats"): under 80 bytes, so 1,000 types under 80 KB.
MAX_TYPES_PER_SUBJECT = 1_000
# Where the events of every type past the limit are counted: not a type the contract allows.
OTHER_TYPES = "(other)"
# An event is finished once processed and, if it is an alert, notified.
_NOTIFIED_IF_ALERT = "(NOT begins_with(#type, :alert) OR attribute_exists(notified_at))"


class Effect(Enum):
    """What one lane's write did to an event."""

    UNCHANGED = "unchanged"  # a redelivery: the lane had done it already
    APPLIED = "applied"  # done now; another lane still owes the event something
    FINISHED = "finished"  # done now, and the event left the pending index

    @property
    def changed(self) -> bool:
        return self is not Effect.UNCHANGED


class LaneBehindError(Exception):
    """The lane could not reach this record within the invocation; a later attempt finishes the work."""


@dataclass(frozen=True)
class _OrderedLane:
    """A per-subject lane with a cursor: its item, the cursor's attribute, and how it applies a chunk."""

    sk: str
    cursor: str
    apply: Callable[[str, dict[str, Any], list[dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True)
class CatchUp:
    """How far a catch-up got: the lane's cursor afterwards, and how many events it applied."""

    cursor: int
    applied: int


def is_alert(event_type: str) -> bool:
    return event_type.startswith(ALERT_PREFIX)


def message_from_item(item: dict[str, Any]) -> EventMessage:
    return EventMessage(
        id=item["id"],
        type=item["type"],
        subject=item["subject"],
        occurred_at=item["occurred_at"],
        position=int(item["position"]),
    )


def _failed_condition(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


class Lanes:
    def __init__(
        self, dynamodb: Any, repository: EventsRepository, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._db = dynamodb
        self._repo = repository
        self._table = repository.table_name
        self._sleep = sleep

    # -- per-event lanes: processor and notifier ---------------------------------------------

    def mark_processed(self, message: EventMessage, processed_at: str) -> Effect:
        """Set status ``processed``; UNCHANGED when it already was (a redelivery changes nothing)."""
        done = "#status = :accepted AND id = :id"
        return self._update_event(
            message,
            "SET #status = :processed, processed_at = :at",
            done,
            # Non-alerts are finished by this write; alerts only once the notifier has run too.
            finishing=f"{done} AND {_NOTIFIED_IF_ALERT}",
            names={"#status": "status", "#type": "type"},
            values=items.values(
                processed=STATUS_PROCESSED, accepted=STATUS_ACCEPTED, at=processed_at, id=message.id, alert=ALERT_PREFIX
            ),
        )

    def record_notification(self, message: EventMessage, notified_at: str) -> Effect:
        """Record that an alert was notified, once; UNCHANGED for a redelivery."""
        done = "attribute_not_exists(notified_at) AND id = :id"
        return self._update_event(
            message,
            "SET notified_at = :at",
            done,
            finishing=f"{done} AND #status = :processed",
            names={"#status": "status"},
            values=items.values(at=notified_at, id=message.id, processed=STATUS_PROCESSED),
        )

    def _update_event(
        self,
        message: EventMessage,
        update: str,
        condition: str,
        finishing: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> Effect:
        """One conditional write; the variant that also leaves the pending index when this lane is the last."""
        key = items.event_key(message.subject, message.position)
        variants = (
            (Effect.FINISHED, f"{update} REMOVE pending_bucket", finishing),
            (Effect.APPLIED, update, condition),
        )
        for effect, expression, when in variants:
            used_names = {n: v for n, v in names.items() if n in expression or n in when}
            used_values = {k: v for k, v in values.items() if k in expression or k in when}
            request: dict[str, Any] = {
                "TableName": self._table,
                "Key": key,
                "UpdateExpression": expression,
                "ConditionExpression": when,
                "ExpressionAttributeValues": used_values,
            }
            if used_names:
                request["ExpressionAttributeNames"] = used_names
            try:
                retry_transient(functools.partial(self._db.update_item, **request))
            except ClientError as error:
                if _failed_condition(error):
                    continue
                raise
            return effect
        self._require_event(message)
        return Effect.UNCHANGED

    def finish_event(self, message: EventMessage) -> bool:
        """Take a finished event out of the pending index (the reconciler's clean-up); False if a lane is still due."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=items.event_key(message.subject, message.position),
                UpdateExpression="REMOVE pending_bucket",
                ConditionExpression=f"#status = :processed AND id = :id AND {_NOTIFIED_IF_ALERT}",
                ExpressionAttributeNames={"#status": "status", "#type": "type"},
                ExpressionAttributeValues=items.values(processed=STATUS_PROCESSED, id=message.id, alert=ALERT_PREFIX),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    # -- subjects: the ordered lanes' place in the pending index -------------------------------

    def settle_subject(self, subject: str, accepted: int, sequenced: int, counted: int) -> bool:
        """Take the subject's head out of the pending index if both ordered lanes reached ``accepted``.

        ``sequenced`` and ``counted`` are the lanes' cursors as a catch-up just left them.
        Otherwise move its ``received_at`` up to the oldest event still due, so the index keeps
        saying since when the subject has been behind. True when the head left the index.
        """
        behind = min(sequenced, counted)
        try:
            if behind >= accepted:
                self._db.update_item(
                    TableName=self._table,
                    Key=items.head_key(subject),
                    UpdateExpression="REMOVE pending_bucket, received_at",
                    ConditionExpression="accepted = :accepted",
                    ExpressionAttributeValues=items.values(accepted=accepted),
                )
                return True
            due = self._repo.get(items.event_key(subject, behind + 1))
            if due is not None:
                self._db.update_item(
                    TableName=self._table,
                    Key=items.head_key(subject),
                    UpdateExpression="SET received_at = :due",
                    ConditionExpression="attribute_exists(pending_bucket) AND received_at < :due",
                    ExpressionAttributeValues=items.values(due=due["received_at"]),
                )
        except ClientError as error:
            if not _failed_condition(error):
                raise
        return False

    # -- sequencer ---------------------------------------------------------------------------

    def sequence(self, message: EventMessage, deadline: Deadline = Deadline(None)) -> bool:
        """Give the message's event ``sequence = position``, catching up earlier positions from the table.

        True when this call sequenced it, False for a redelivery of an already sequenced event;
        PoisonMessageError when no such event exists; LaneBehindError when the catch-up ran
        out of time before reaching it.
        """
        try:
            fast = {"position": message.position, "id": message.id}
            retry_transient(
                functools.partial(self._assign, message.subject, {"last_sequence": message.position - 1}, [fast])
            )
            return True
        except ClientError as error:
            reasons = cancellation_codes(error)
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                self._require_event(message)
            if reasons[:1] != ["ConditionalCheckFailed"]:
                raise
        # The lane is elsewhere: either past this position (a redelivery) or behind it (a gap).
        result = self.catch_up_sequencer(message.subject, message.position, deadline, verify=message)
        if result.cursor < message.position:
            raise LaneBehindError(f"sequencer of event {message.id} reached {result.cursor} of {message.position}")
        return result.applied > 0

    def catch_up_sequencer(
        self,
        subject: str,
        through: int,
        deadline: Deadline = Deadline(None),
        received_before: str | None = None,
        verify: EventMessage | None = None,
    ) -> CatchUp:
        """Sequence the subject's events in position order up to ``through`` (and received before the cut-off)."""
        lane = _OrderedLane(items.SEQUENCER_SK, "last_sequence", self._assign)
        return self._catch_up(lane, subject, through, deadline, received_before, verify)

    def _assign(self, subject: str, lane: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
        """Sequence ``events`` (the next positions) in one transaction with the lane's cursor; returns the lane."""
        expected, last = int(lane.get("last_sequence", 0)), int(events[-1]["position"])
        if expected == 0:
            lane_condition = "attribute_not_exists(last_sequence)"
            lane_values = items.values(last=last, entity="lane", subject=subject)
        else:
            lane_condition = "last_sequence = :expected"
            lane_values = items.values(last=last, expected=expected, entity="lane", subject=subject)
        transact: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": items.lane_key(subject, items.SEQUENCER_SK),
                    "UpdateExpression": "SET last_sequence = :last, entity = :entity, subject = :subject",
                    "ConditionExpression": lane_condition,
                    "ExpressionAttributeValues": lane_values,
                }
            }
        ]
        for event in events:
            position = int(event["position"])
            transact.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": items.event_key(subject, position),
                        "UpdateExpression": "SET #sequence = :position",
                        "ConditionExpression": "id = :id",
                        "ExpressionAttributeNames": {"#sequence": "sequence"},
                        "ExpressionAttributeValues": items.values(position=position, id=event["id"]),
                    }
                }
            )
        self._db.transact_write_items(TransactItems=transact)
        return {"last_sequence": last}

    # -- analytics ---------------------------------------------------------------------------

    def count(
        self,
        message: EventMessage,
        deadline: Deadline = Deadline(None),
        through: int = 0,
    ) -> CatchUp:
        """Count the message's event in its subject's statistics, with every earlier uncounted one; once.

        ``through`` goes on to that later position of the subject (a batch that holds it too
        counts it in the same write); only reaching the message's own position is required.
        PoisonMessageError when the subject holds no such event at that position; LaneBehindError
        when it does and the catch-up ran out of time before reaching it.
        """
        result = self.catch_up_analytics(message.subject, max(message.position, through), deadline, verify=message)
        if result.cursor < message.position:
            self._require_within_head(message)
            raise LaneBehindError(f"analytics of event {message.id} reached {result.cursor} of {message.position}")
        return result

    def catch_up_analytics(
        self,
        subject: str,
        through: int,
        deadline: Deadline = Deadline(None),
        received_before: str | None = None,
        verify: EventMessage | None = None,
    ) -> CatchUp:
        """Count the subject's events in position order up to ``through``, one conditional write per chunk."""
        lane = _OrderedLane(items.ANALYTICS_SK, "counted_through", self._write_stats)
        return self._catch_up(lane, subject, through, deadline, received_before, verify)

    # -- the ordered lanes' common loop -------------------------------------------------------

    def _catch_up(
        self,
        lane: _OrderedLane,
        subject: str,
        through: int,
        deadline: Deadline,
        received_before: str | None,
        verify: EventMessage | None,
    ) -> CatchUp:
        """Apply the subject's events after the lane's cursor, in position order, a chunk per conditional write.

        The lane item is read once; each successful write says what it holds next. A write
        whose condition on the cursor fails means another invocation moved the lane: it is read
        again and the loop goes on from there, up to a few times in a row.
        """
        applied = conflicts = 0
        state: dict[str, Any] | None = None  # None: read the lane item from the table
        while True:
            if state is None:
                key = items.lane_key(subject, lane.sk)
                state = retry_transient(functools.partial(self._repo.get, key)) or {}
            cursor = int(state.get(lane.cursor, 0))
            if cursor >= through or not deadline.allows(STEP_SECONDS):
                return CatchUp(cursor, applied)
            batch = self._next_event_items(subject, cursor, through, received_before, verify)
            if not batch:
                return CatchUp(cursor, applied)
            try:
                written = retry_transient(functools.partial(lane.apply, subject, state, batch))
            except ClientError as error:
                if not (_failed_condition(error) or cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]):
                    raise
                conflicts += 1
                if conflicts >= CONFLICT_BACKOFF.attempts:
                    return CatchUp(cursor, applied)
                self._sleep(CONFLICT_BACKOFF.delay(conflicts))
                state = None
                continue
            applied, conflicts, state = applied + len(batch), 0, written

    def _write_stats(self, subject: str, lane: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
        """Count ``events`` on top of ``lane`` with one conditional write; returns the lane as written."""
        counted = int(lane.get("counted_through", 0))
        by_type = {name: int(n) for name, n in lane.get("by_type", {}).items()}
        first, last = lane.get("first_occurred_at"), lane.get("last_occurred_at")
        for event in events:
            name = event["type"]
            if name not in by_type and len(by_type) - (OTHER_TYPES in by_type) >= MAX_TYPES_PER_SUBJECT:
                name = OTHER_TYPES
            by_type[name] = by_type.get(name, 0) + 1
            # Canonical RFC 3339 strings (fixed-width UTC) sort as the times they name.
            first = event["occurred_at"] if first is None or event["occurred_at"] < first else first
            last = event["occurred_at"] if last is None or event["occurred_at"] > last else last
        written = {
            "counted_through": int(events[-1]["position"]),
            "total": int(lane.get("total", 0)) + len(events),
            "by_type": by_type,
            "first_occurred_at": first,
            "last_occurred_at": last,
        }
        condition = "attribute_not_exists(counted_through)" if counted == 0 else "counted_through = :counted"
        expression_values = items.values(
            through=written["counted_through"],
            total=written["total"],
            by_type=by_type,
            first=first,
            last=last,
            entity="lane",
            subject=subject,
        )
        if counted:
            expression_values.update(items.values(counted=counted))
        self._db.update_item(
            TableName=self._table,
            Key=items.lane_key(subject, items.ANALYTICS_SK),
            UpdateExpression=(
                "SET counted_through = :through, #total = :total, by_type = :by_type, first_occurred_at = :first, "
                "last_occurred_at = :last, entity = :entity, subject = :subject"
            ),
            ConditionExpression=condition,
            ExpressionAttributeNames={"#total": "total"},
            ExpressionAttributeValues=expression_values,
        )
        return written

    # -- reading what a lane still owes -------------------------------------------------------

    def _next_event_items(
        self, subject: str, cursor: int, through: int, received_before: str | None, verify: EventMessage | None
    ) -> list[dict[str, Any]]:
        """The events after ``cursor`` that the lane applies next (at most a chunk), checked against the message."""
        last = min(through, cursor + CATCH_UP_CHUNK)
        found = retry_transient(functools.partial(self._repo.events_between, subject, cursor + 1, last))
        expected = list(range(cursor + 1, cursor + 1 + len(found)))
        if [int(e["position"]) for e in found] != expected:
            raise PoisonMessageError(f"the subject's events after position {cursor} are not contiguous")
        if verify is not None and cursor < verify.position <= last:
            at = next((e for e in found if int(e["position"]) == verify.position), None)
            if at is None or at["id"] != verify.id:
                raise PoisonMessageError(f"no event {verify.id} at position {verify.position} of its subject")
        if received_before is not None:
            young = next((i for i, e in enumerate(found) if e["received_at"] >= received_before), len(found))
            found = found[:young]
        return found

    def _require_within_head(self, message: EventMessage) -> None:
        """PoisonMessageError unless the message's position is one its subject has accepted.

        A message is published only after the transaction that gave its event its position
        committed, and the head only moves forward: a position past the stored head names no
        event and never will (a later event taking it is another event), however far the
        lane's cursor is from it. Within the head, the catch-up's own check of the event's id
        settles the rest once the lane gets there.
        """
        head = retry_transient(functools.partial(self._repo.get, items.head_key(message.subject))) or {}
        accepted = int(head.get("accepted", 0))
        if message.position > accepted:
            raise PoisonMessageError(
                f"event {message.id} names position {message.position}, past its subject's head {accepted}"
            )

    def _require_event(self, message: EventMessage) -> None:
        item = retry_transient(functools.partial(self._repo.get, items.event_key(message.subject, message.position)))
        if item is None or item.get("id") != message.id:
            raise PoisonMessageError(f"no event {message.id} at position {message.position} of its subject")
