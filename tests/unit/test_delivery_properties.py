"""Property-based: each consumer, fed what its AWS source may deliver, keeps the delivery invariants.

Every example accepts a few events over a few subjects into the real table (moto, an empty
table per example) and then delivers one consumer's messages the way its source is allowed to:

- duplicates everywhere (a redelivery, a batch retried after a failure or a timeout);
- any order for standard SQS and SNS; per message group (FIFO) or partition key (Kinesis) the
  acceptance order, except for messages dropped on the way (dead-lettered, given up on) and
  replayed late, out of order;
- transient errors injected into the consumer's own DynamoDB client, after which the source
  delivers again as it would (SQS receive counts, a stream batch retried from its checkpoint,
  Lambda's asynchronous retries).

Once every message was delivered at least once, the consumer's lane must be exact with no help
from the reconciler: each event processed / sequenced (``sequence == position``, 1..n) /
counted / notified once. The reconciler's property is separate: whatever subset of the lanes
ran, a run past the cut-off completes every invariant and empties the pending index. The
publisher's: every event reaches every destination that did not fail for it, in order per
subject, and a failing destination neither blocks the others nor the events after it.
"""

from __future__ import annotations

import base64
import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app
from chalicelib import aws, components, items
from chalicelib.events import NewEvent, canonical_json
from chalicelib.publishing import message_group_id
from chalicelib.retry import is_transient
from chalicelib.timefmt import utc_now
from tests.unit.delivery import drive_stream
from tests.unit.faults import Fault, Faults, mentions
from tooling.fakecloud import (
    MAX_RECEIVE_COUNT,
    FakeCloud,
    client,
    create_table,
    dynamodb_stream_event,
    kinesis_event,
    kinesis_record,
    sns_event,
    sqs_event_from_bodies,
)

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


@pytest.fixture
def faults(cloud: FakeCloud) -> Faults:
    """Faults in the app's clients; each example sets its own (hypothesis reuses fixtures)."""
    injected = Faults()
    for service in ("dynamodb", "sns", "kinesis"):
        injected.attach(aws.client(service))
    return injected


# Up to six events over up to three subjects: enough for gaps, reorders and interleaved groups.
accepted_specs = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(TYPES)), min_size=1, max_size=6)
# The reconciler repairs every lane of every subject; two subjects show whether it keeps them apart.
small_specs = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(TYPES)), min_size=1, max_size=4)


def fresh_table(cloud: FakeCloud) -> str:
    """An empty events table (moto's index queries sort the whole table); returns its stream ARN."""
    dynamodb = client("dynamodb")
    dynamodb.delete_table(TableName=cloud.table)
    return create_table(dynamodb, cloud.table)


def accept(cloud: FakeCloud, specs: list[tuple[int, str]], faults: Faults) -> Accepted:
    """A fresh table with the example's events; nothing of an earlier example (faults, messages) is left."""
    faults.clear()
    accepted = Accepted(stream_arn=fresh_table(cloud))
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


# -- sources ---------------------------------------------------------------------------------------


class Queue:
    """An SQS queue as a mapping reads it: batches, receive counts, a failed message back for another receive.

    FIFO: a batch takes each message group's first messages in order, and a failed message
    keeps the rest of its group behind it.
    """

    def __init__(self, bodies: list[str], group: Callable[[str], str | None]) -> None:
        self.pending = [(body, group(body), 1) for body in bodies]
        self.dead: list[str] = []

    def drain(self, handler: Callable[[dict[str, Any], Any], Any], rng: random.Random) -> None:
        fifo = any(group for _, group, _ in self.pending)
        for _ in range(1000):
            if not self.pending:
                return
            batch = self._next_batch(fifo, rng)
            event = sqs_event_from_bodies("arn:aws:sqs:us-east-1:123456789012:q", [b for b, _, _ in batch])
            for record, (_, group, receives) in zip(event["Records"], batch, strict=True):
                record["attributes"]["ApproximateReceiveCount"] = str(receives)
                if group:
                    record["attributes"]["MessageGroupId"] = group
            failed = {f["itemIdentifier"] for f in handler(event, None)["batchItemFailures"]}
            again = []
            for record, (body, group, receives) in zip(event["Records"], batch, strict=True):
                if record["messageId"] not in failed:
                    continue
                if receives >= MAX_RECEIVE_COUNT:
                    self.dead.append(body)
                else:
                    again.append((body, group, receives + 1))
            self.pending = again + self.pending if fifo else self.pending + again
        raise AssertionError("the queue never drained")

    def _next_batch(self, fifo: bool, rng: random.Random) -> list[tuple[str, str | None, int]]:
        size = rng.randint(1, 10)
        if fifo:
            groups = list(dict.fromkeys(group for _, group, _ in self.pending))
            rng.shuffle(groups)
            ordered = [m for group in groups for m in self.pending if m[1] == group]
        else:
            ordered = list(self.pending)
        batch = ordered[:size]
        for message in batch:
            self.pending.remove(message)
        return batch


def shard(handler: Callable[[dict[str, Any], Any], Any], records: list[dict[str, Any]], rng: random.Random) -> None:
    """A Kinesis shard as its mapping reads it: batches in order, retried from the reported failure."""
    start = 0
    for _ in range(1000):
        if start >= len(records):
            return
        batch = records[start : start + rng.randint(1, 10)]
        failures = handler({"Records": batch}, None)["batchItemFailures"]
        numbers = [record["kinesis"]["sequenceNumber"] for record in batch]
        start += numbers.index(failures[0]["itemIdentifier"]) if failures else len(batch)
    raise AssertionError("the shard never got past a record")


# -- invariants ------------------------------------------------------------------------------------


def table_items() -> dict[str, dict[str, dict[str, Any]]]:
    """Every item of the (small, per-example) table, by subject and sort key."""
    scanned = client("dynamodb").scan(TableName=components.settings().events_table_name)
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for raw in scanned["Items"]:
        item = items.deserialize(raw)
        if item["pk"].startswith("SUBJECT#"):
            grouped.setdefault(item["pk"].removeprefix("SUBJECT#"), {})[item["sk"]] = item
    return grouped


def events_of(stored: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [stored[sk] for sk in sorted(stored) if sk.startswith("EVENT#")]


def assert_stored_once(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [(e["id"], e["type"]) for e in events] == expected
        assert [int(e["position"]) for e in events] == list(range(1, len(expected) + 1))


def assert_processed(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject in accepted.subjects:
        assert {e["status"] for e in events_of(table[subject])} == {"processed"}


def assert_sequenced(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [int(e.get("sequence", 0)) for e in events] == list(range(1, len(expected) + 1))
        assert int(table[subject][items.SEQUENCER_SK]["last_sequence"]) == len(expected)


def assert_counted(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        stats = table[subject][items.ANALYTICS_SK]
        assert int(stats["counted_through"]) == int(stats["total"]) == len(expected)
        assert {name: int(n) for name, n in stats["by_type"].items()} == Counter(t for _, t in expected)


def assert_notified(accepted: Accepted, table: dict[str, dict[str, dict[str, Any]]]) -> None:
    for subject, expected in accepted.subjects.items():
        events = events_of(table[subject])
        assert [("notified_at" in e) for e in events] == [t.startswith("alert.") for _, t in expected]


def assert_every_invariant(accepted: Accepted) -> None:
    table = table_items()
    for check in (assert_stored_once, assert_processed, assert_sequenced, assert_counted, assert_notified):
        check(accepted, table)
    for subject in accepted.subjects:
        assert not [sk for sk, item in table[subject].items() if "pending_bucket" in item], "left in the pending index"


# -- the consumers -------------------------------------------------------------------------------


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 4))
def test_processor(
    cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(cloud, specs, faults)
    fates = data.draw(st.lists(st.sampled_from(DELIVERED), min_size=len(specs), max_size=len(specs)))
    inject(faults, rng, errors, ["UpdateItem", "GetItem"])
    queue = Queue(in_delivery_order(accepted, fates, rng, ordered=False), lambda _: None)
    queue.drain(app.processor, rng)
    faults.clear()
    assert queue.dead == []
    table = table_items()
    assert_stored_once(accepted, table)
    assert_processed(accepted, table)


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 4))
def test_sequencer(
    cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(cloud, specs, faults)
    fates = data.draw(st.lists(st.sampled_from(DELIVERED), min_size=len(specs), max_size=len(specs)))
    inject(faults, rng, errors, ["TransactWriteItems", "GetItem", "Query"])
    queue = Queue(in_delivery_order(accepted, fates, rng, ordered=True), lambda m: message_group_id(subject_of(m)))
    queue.drain(app.sequencer, rng)
    faults.clear()
    assert queue.dead == []
    table = table_items()
    assert_stored_once(accepted, table)
    assert_sequenced(accepted, table)


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 4))
def test_analytics(
    cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(cloud, specs, faults)
    fates = data.draw(st.lists(st.sampled_from(DELIVERED), min_size=len(specs), max_size=len(specs)))
    inject(faults, rng, errors, ["UpdateItem", "GetItem", "Query"])
    messages = in_delivery_order(accepted, fates, rng, ordered=True)
    records = [kinesis_record(m.encode(), subject_of(m), f"{n:056d}") for n, m in enumerate(messages, start=1)]
    shard(app.analytics, records, rng)
    faults.clear()
    table = table_items()
    assert_stored_once(accepted, table)
    assert_counted(accepted, table)


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 4))
def test_notifier(
    cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    specs = [*specs, (0, "alert.fraud")]  # at least one alert
    accepted = accept(cloud, specs, faults)
    fates = data.draw(st.lists(st.sampled_from(DELIVERED), min_size=len(specs), max_size=len(specs)))
    # The processor has run first for some events and not yet for others: the notifier must not care.
    processed = data.draw(st.lists(st.booleans(), min_size=len(specs), max_size=len(specs)))
    for message, done in zip(accepted.messages, processed, strict=True):
        if done:
            app.processor(sqs_event_from_bodies("arn:aws:sqs:us-east-1:123456789012:q", [message]), None)
    inject(faults, rng, errors, ["UpdateItem", "GetItem"])
    for message in in_delivery_order(accepted, fates, rng, ordered=False):
        event_type = json.loads(message)["type"]
        if not event_type.startswith("alert."):
            continue  # the subscription's filter policy delivers alerts only
        event = sns_event("arn:aws:sns:us-east-1:123456789012:standard", message, {"type": event_type})
        for _attempt in range(3):  # the first try and Lambda's two asynchronous retries
            try:
                app.notifier(event, None)
                break
            except Exception:  # noqa: S112 (an error is what makes Lambda retry)
                continue
    faults.clear()
    table = table_items()
    assert_stored_once(accepted, table)
    for subject, expected in accepted.subjects.items():
        for event, (_, event_type) in zip(events_of(table[subject]), expected, strict=True):
            alert = event_type.startswith("alert.")
            if not alert:
                assert "notified_at" not in event, event
            elif errors == 0:
                assert "notified_at" in event, "with no transient error the notifier alone notifies every alert"
            else:
                # Transient errors on every try defer the notification to the reconciler, which finds
                # the event in the pending index: never dead-lettered, never lost.
                assert "notified_at" in event or "pending_bucket" in event, event
            # An event both its lanes finished is out of the pending index; any other is still in it.
            finished = event["status"] == "processed" and ("notified_at" in event or not alert)
            assert ("pending_bucket" in event) == (not finished), event


# -- the reconciler ----------------------------------------------------------------------------


@RECONCILER_EXAMPLES
@given(specs=small_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 3))
def test_reconciler(
    cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(cloud, specs, faults)
    # Each lane got some of the messages (in whatever order its source allows); the rest were lost.
    for handler, ordered in ((app.processor, False), (app.sequencer, True), (app.notifier, False)):
        reached = [m for m in accepted.messages if data.draw(st.booleans())]
        for message in in_delivery_order(Accepted(messages=reached), ["once"] * len(reached), rng, ordered):
            if handler is app.notifier:
                if json.loads(message)["type"].startswith("alert."):
                    app.notifier(sns_event("arn:aws:sns:::t", message, {"type": "alert.fraud"}), None)
            else:
                group = message_group_id(subject_of(message)) if ordered else None
                handler(sqs_event_from_bodies("arn:aws:sqs:::q", [message], group=group), None)
    counted = [m for m in accepted.messages if data.draw(st.booleans())]
    for n, message in enumerate(counted, start=1):
        app.analytics({"Records": [kinesis_record(message.encode(), subject_of(message), f"{n:056d}")]}, None)
    inject(faults, rng, errors, ["UpdateItem", "TransactWriteItems", "GetItem", "Query"])
    later = components.reconciler_at(lambda: utc_now() + timedelta(minutes=30))
    for _run in range(3):  # a run that met a transient error is finished by the next scheduled one
        try:
            if later.run()["complete"]:
                break
        except ClientError as error:
            if not is_transient(error):
                raise
    faults.clear()
    assert later.run()["complete"]
    assert_every_invariant(accepted)


# -- the publisher -------------------------------------------------------------------------------


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False))
def test_publisher(cloud: FakeCloud, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random) -> None:
    accepted = accept(cloud, specs, faults)
    for queue_url in (cloud.standard_queue_url, cloud.fifo_queue_url):
        take_all(queue_url)
    ids = sorted(accepted.ids())
    # Some destinations fail for some events, every time they are tried.
    failing = {
        (event_id, destination)
        for event_id in ids
        for destination in ("standard", "fifo", "kinesis")
        if data.draw(st.integers(0, 9)) == 0
    }
    for event_id, destination in failing:
        if destination == "kinesis":
            code = "ProvisionedThroughputExceededException"
            faults.add(Fault("kinesis", "PutRecord", code=code, when=mentions(event_id)))
        else:
            arn = cloud.standard_topic_arn if destination == "standard" else cloud.fifo_topic_arn
            faults.add(Fault("sns", "Publish", code="Throttling", when=mentions(event_id, TopicArn=arn)))
    records = dynamodb_stream_event(replace(cloud, table_stream_arn=accepted.stream_arn))["Records"]
    # The mapping may hand a batch over again (after a timeout): duplicates, never a reordering.
    delivered = records + records[: rng.randint(0, len(records))]
    assert drive_stream(lambda event: app.publisher(event, None), delivered, _stream_number) == []
    standard = [json.loads(body)["id"] for body in take_all(cloud.standard_queue_url)]
    fifo = [json.loads(body)["id"] for body in take_all(cloud.fifo_queue_url)]
    kinesis = [json.loads(base64.b64decode(r["kinesis"]["data"]))["id"] for r in kinesis_event(cloud)["Records"]]
    _reset_stream(cloud)
    for destination, got in (("standard", standard), ("fifo", fifo), ("kinesis", kinesis)):
        expected = {event_id for event_id in ids if (event_id, destination) not in failing}
        assert set(got) == expected, destination
        # Per subject, first deliveries come in position order.
        for events in accepted.subjects.values():
            mine = [event_id for event_id, _ in events]
            firsts = list(dict.fromkeys(e for e in got if e in mine))
            assert firsts == [e for e in mine if e in firsts], destination
    # FIFO deduplication absorbs the mapping's redelivery; the other lanes absorb duplicates themselves.
    assert len(fifo) == len(set(fifo))


def take_all(queue_url: str) -> list[str]:
    """Receive and delete everything a queue holds; the bodies in the order received."""
    sqs = client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [m["Body"] for m in messages]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    return bodies


def _stream_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _reset_stream(cloud: FakeCloud) -> None:
    kinesis = client("kinesis")
    kinesis.delete_stream(StreamName=cloud.stream_name)
    kinesis.create_stream(StreamName=cloud.stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
