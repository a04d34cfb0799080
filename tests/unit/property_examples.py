"""The property tests' examples: what one example accepts into the table, the transient errors
it injects, and the order in which a source may deliver its messages.

An example accepts up to six events over up to three subjects (``accepted_specs``; the
reconciler's, ``small_specs``, up to four over two) into a fresh table through the real
service, then decides each message's fate on its way: delivered once, twice, or dropped and
replayed late (``DELIVERED``).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from chalicelib import components
from chalicelib.events import NewEvent, canonical_json
from tests.unit.faults import Fault, Faults
from tooling.moto_stack import MotoStack, client, create_table

# At least 200 examples per consumer; PROPERTY_EXAMPLES raises it for a deeper run.
EXAMPLES = settings(
    max_examples=max(200, int(os.environ.get("PROPERTY_EXAMPLES", "200"))),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The reconciler is not a consumer of its own: it runs every lane's code, which the consumers'
# properties exercise too, so half as many examples cover its own logic (what to repair, when).
RECONCILER_EXAMPLES = settings(EXAMPLES, max_examples=max(100, EXAMPLES.max_examples // 2))
TYPES = ["order.created", "order.paid", "alert.fraud"]
# What may happen to one message on its way: delivered once or twice, or dropped and replayed late.
DELIVERED = ["once", "once", "twice", "replayed"]


@dataclass
class Accepted:
    """What one example accepted: per subject, its events' (id, type) in position order; and their messages."""

    subjects: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    stream_arn: str = ""

    def ids(self) -> set[str]:
        return {event_id for events in self.subjects.values() for event_id, _ in events}


# Up to six events over up to three subjects: enough for gaps, reorders and interleaved groups.
accepted_specs = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(TYPES)), min_size=1, max_size=6)
# The reconciler repairs every lane of every subject; two subjects show whether it keeps them apart.
small_specs = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(TYPES)), min_size=1, max_size=4)


def fresh_table(moto_stack: MotoStack) -> str:
    """An empty events table (moto's index queries sort the whole table); returns its stream ARN."""
    dynamodb = client("dynamodb")
    dynamodb.delete_table(TableName=moto_stack.table)
    return create_table(dynamodb, moto_stack.table)


def accept(moto_stack: MotoStack, specs: list[tuple[int, str]], faults: Faults) -> Accepted:
    """A fresh table with the example's events; nothing of an earlier example (faults, messages) is left."""
    faults.clear()
    accepted = Accepted(stream_arn=fresh_table(moto_stack))
    run = uuid.uuid4().hex[:6]
    service = components.event_service()
    for index, (subject_index, event_type) in enumerate(specs):
        subject = f"prop-{run}-{subject_index}"
        body = {"type": event_type, "subject": subject, "source": "property", "data": {"i": index}}
        event, _ = service.create(NewEvent.from_body(body), None)
        accepted.subjects.setdefault(subject, []).append((event.id, event_type))
        accepted.messages.append(canonical_json(event.to_message()))
    return accepted


def inject(faults: Faults, rng: random.Random, count: int, operations: list[str]) -> None:
    """``count`` transient errors, each on one call of a random operation after a random number of calls."""
    faults.clear()
    codes = ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
    for _ in range(count):
        calls = {"n": 0, "skip": rng.randint(0, 6)}

        def after_skip(_: dict[str, Any], calls: dict[str, int] = calls) -> bool:
            calls["n"] += 1
            return calls["n"] > calls["skip"]

        faults.add(
            Fault("dynamodb", rng.choice(operations), code=rng.choice(codes), status=500, times=1, when=after_skip)
        )


def in_delivery_order(accepted: Accepted, fates: list[str], rng: random.Random, ordered: bool) -> list[str]:
    """A first pass (acceptance order, or shuffled), then the dropped messages replayed late, shuffled."""
    first_pass: list[str] = []
    for message, fate in zip(accepted.messages, fates, strict=True):
        first_pass += [message] * {"once": 1, "twice": 2}.get(fate, 0)
    if not ordered:
        rng.shuffle(first_pass)
    late = [m for m, fate in zip(accepted.messages, fates, strict=True) if fate == "replayed"]
    rng.shuffle(late)
    return first_pass + late


def subject_of(message: str) -> str:
    return str(json.loads(message)["subject"])
