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

What an example accepts and how its messages are delivered: property_examples.py; the sources
modelled in memory: property_sources.py; the invariants read from the table: property_invariants.py.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

import app
from chalicelib import aws, components
from chalicelib.publishing import message_group_id
from chalicelib.retry import is_transient
from chalicelib.timefmt import utc_now
from tests.unit.delivery import drive_stream
from tests.unit.faults import Fault, Faults, mentions
from tests.unit.property_examples import (
    DELIVERED,
    EXAMPLES,
    RECONCILER_EXAMPLES,
    Accepted,
    accept,
    accepted_specs,
    in_delivery_order,
    inject,
    small_specs,
    subject_of,
)
from tests.unit.property_invariants import (
    assert_counted,
    assert_every_invariant,
    assert_processed,
    assert_sequenced,
    assert_stored_once,
    events_of,
    table_items,
)
from tests.unit.property_sources import Queue, shard
from tooling.moto_stack import (
    MotoStack,
    client,
    dynamodb_stream_event,
    kinesis_event,
    kinesis_record,
    sns_event,
    sqs_event_from_bodies,
)


@pytest.fixture
def faults(moto_stack: MotoStack) -> Faults:
    """Faults in the app's clients; each example sets its own (hypothesis reuses fixtures)."""
    injected = Faults()
    for service in ("dynamodb", "sns", "kinesis"):
        injected.attach(aws.client(service))
    return injected


# -- the consumers -------------------------------------------------------------------------------


@EXAMPLES
@given(specs=accepted_specs, data=st.data(), rng=st.randoms(use_true_random=False), errors=st.integers(0, 4))
def test_processor(
    moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(moto_stack, specs, faults)
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
    moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(moto_stack, specs, faults)
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
    moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(moto_stack, specs, faults)
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
    moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    specs = [*specs, (0, "alert.fraud")]  # at least one alert
    accepted = accept(moto_stack, specs, faults)
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
    moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random, errors: int
) -> None:
    accepted = accept(moto_stack, specs, faults)
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
def test_publisher(moto_stack: MotoStack, faults: Faults, specs: Any, data: st.DataObject, rng: random.Random) -> None:
    accepted = accept(moto_stack, specs, faults)
    for queue_url in (moto_stack.standard_queue_url, moto_stack.fifo_queue_url):
        take_all(queue_url)
    ids = sorted(accepted.ids())
    # Some destinations fail for some events, every time they are tried. A batch call fails as a
    # whole, so every event it carried misses that destination: each failed call is recorded.
    failing = {
        (event_id, destination)
        for event_id in ids
        for destination in ("standard", "fifo", "kinesis")
        if data.draw(st.integers(0, 9)) == 0
    }
    failed_calls: dict[str, list[str]] = {"standard": [], "fifo": [], "kinesis": []}

    def recorded(destination: str, matches: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
        def when(params: dict[str, Any]) -> bool:
            if not matches(params):
                return False
            failed_calls[destination].append(json.dumps(params) + _decoded_data(params))
            return True

        return when

    for event_id, destination in failing:
        if destination == "kinesis":
            code = "ProvisionedThroughputExceededException"
            faults.add(Fault("kinesis", "PutRecords", code=code, when=recorded(destination, mentions(event_id))))
        else:
            arn = moto_stack.standard_topic_arn if destination == "standard" else moto_stack.fifo_topic_arn
            matches = mentions(event_id, TopicArn=arn)
            faults.add(Fault("sns", "PublishBatch", code="Throttling", when=recorded(destination, matches)))
    records = dynamodb_stream_event(replace(moto_stack, table_stream_arn=accepted.stream_arn))["Records"]
    # The mapping may hand a batch over again (after a timeout): duplicates, never a reordering.
    delivered = records + records[: rng.randint(0, len(records))]
    assert drive_stream(lambda event: app.publisher(event, None), delivered, _stream_number) == []
    standard = [json.loads(body)["id"] for body in take_all(moto_stack.standard_queue_url)]
    fifo = [json.loads(body)["id"] for body in take_all(moto_stack.fifo_queue_url)]
    kinesis = [json.loads(base64.b64decode(r["kinesis"]["data"]))["id"] for r in kinesis_event(moto_stack)["Records"]]
    _reset_stream(moto_stack)
    for destination, got in (("standard", standard), ("fifo", fifo), ("kinesis", kinesis)):
        # Each failing event misses the destination; so do the others of the calls it failed, but
        # only those: an event re-sent by the mapping in another batch may get through then.
        assert not {event_id for event_id in got if (event_id, destination) in failing}, destination
        in_failed_calls = {e for e in ids if any(e in call for call in failed_calls[destination])}
        assert set(got) >= set(ids) - in_failed_calls, destination
        assert set(got) <= set(ids), destination
        # Per subject, first deliveries come in position order.
        for events in accepted.subjects.values():
            mine = [event_id for event_id, _ in events]
            firsts = list(dict.fromkeys(e for e in got if e in mine))
            assert firsts == [e for e in mine if e in firsts], destination
    # FIFO deduplication absorbs the mapping's redelivery; the other lanes absorb duplicates themselves.
    assert len(fifo) == len(set(fifo))


def _decoded_data(params: dict[str, Any]) -> str:
    """The Kinesis records' data of a PutRecords call, decoded (the event ids are inside)."""
    records = params.get("Records")
    blobs = [r.get("Data") for r in records if isinstance(r, dict)] if isinstance(records, list) else []
    return "".join(base64.b64decode(b).decode("utf-8", "replace") for b in blobs if isinstance(b, str))


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


def _reset_stream(moto_stack: MotoStack) -> None:
    kinesis = client("kinesis")
    kinesis.delete_stream(StreamName=moto_stack.stream_name)
    kinesis.create_stream(StreamName=moto_stack.stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
