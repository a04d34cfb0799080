"""The delivery guarantees under the faults that broke them: one test per scenario.

Each test injects its fault into the app's own clients (tests/unit/faults.py), drives the
pipeline the way the AWS sources deliver (tests/unit/delivery.py), lets the reconciler run
after ``reconcile_after_seconds`` where the scenario needs repair, and then checks the
invariants: every accepted event stored once, processed, sequenced with ``sequence ==
position`` (1..n per subject), counted once, and nothing healthy left in a dead-letter queue.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from chalice.test import Client

import app
from chalicelib import aws, components
from chalicelib.batch import dynamodb_sequence_number, kinesis_sequence_number
from chalicelib.events import NewEvent
from chalicelib.items import event_bucket
from chalicelib.service import EventService
from chalicelib.timefmt import utc_now
from tests.unit.delivery import drain_queue, drive_stream, queue_depth
from tests.unit.faults import Fault, Faults, mentions
from tooling.moto_stack import (
    MAX_RECEIVE_COUNT,
    REGION,
    MotoStack,
    dynamodb_stream_event,
    kinesis_event,
    kinesis_record,
    sqs_event_from_bodies,
)

JSON = {"Content-Type": "application/json", "x-api-key": "k"}


# -- the pipeline, one hop at a time ------------------------------------------------------------


@pytest.fixture
def faults(moto_stack: MotoStack) -> Iterator[Faults]:
    injected = Faults()
    for service in ("dynamodb", "sns", "kinesis", "sqs"):
        injected.attach(aws.client(service))
    yield injected
    injected.clear()


def body(subject: str, index: int, event_type: str = "order.created") -> dict[str, Any]:
    return {"type": event_type, "subject": subject, "source": "test", "data": {"index": index}}


def post_all(client: Client, specs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    created = []
    for index, (subject, event_type) in enumerate(specs):
        response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body(subject, index, event_type)))
        assert response.status_code == 201, response.body
        created.append(json.loads(response.body))
    return created


def handler(name: str) -> Any:
    return lambda event: getattr(app, name)(event, None)


def publish(moto_stack: MotoStack, max_retries: int = 3) -> list[dict[str, Any]]:
    records = dynamodb_stream_event(moto_stack)["Records"]
    return drive_stream(handler("publisher"), records, dynamodb_sequence_number, max_retries=max_retries)


def consume(moto_stack: MotoStack) -> None:
    drain_queue(handler("processor"), moto_stack.standard_queue_url, moto_stack.standard_queue_arn)
    drain_queue(handler("sequencer"), moto_stack.fifo_queue_url, moto_stack.fifo_queue_arn)
    drive_stream(handler("analytics"), kinesis_event(moto_stack)["Records"], kinesis_sequence_number)


def reconcile_later(minutes: int = 10) -> dict[str, Any]:
    """The scheduled reconciler, run once its cut-off has passed for everything accepted so far."""
    later = components.reconciler_at(lambda: utc_now() + timedelta(minutes=minutes))
    report: dict[str, Any] = later.run()
    return report


def list_subject(client: Client, subject: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"/v1/events?subject={subject}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = json.loads(client.http.get(query, headers=JSON).body)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def assert_settled(client: Client, moto_stack: MotoStack, expected: dict[str, list[str]]) -> None:
    """Every subject's events once, in acceptance order, processed, sequenced 1..n and counted once."""
    for subject, ids in expected.items():
        events = list_subject(client, subject)
        assert [e["id"] for e in events] == ids, f"{subject}: stored once each, in acceptance order"
        assert [e["status"] for e in events] == ["processed"] * len(ids), subject
        assert [e["sequence"] for e in events] == list(range(1, len(ids) + 1)), subject
        stats = json.loads(client.http.get(f"/v1/subjects/{subject}/stats", headers=JSON).body)
        assert (stats["total"], stats["last_sequence"]) == (len(ids), len(ids)), stats
        assert sum(stats["by_type"].values()) == len(ids), stats
    for dlq in (moto_stack.standard_dlq_url, moto_stack.fifo_dlq_url):
        assert queue_depth(dlq) == 0, f"healthy messages were dead-lettered to {dlq}"


def by_subject(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for event in events:
        grouped.setdefault(event["subject"], []).append(event["id"])
    return grouped


# -- 1. one lane fails past the stream mapping's retry limit --------------------------------------


def test_a_lane_that_fails_past_its_retries_is_repaired_in_position_order(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    events = post_all(client, [("order-s", "order.created")] * 4 + [("order-t", "order.paid")])
    lost = events[1]["id"]
    fifo = Fault(
        "sns", "PublishBatch", when=lambda p: p.get("TopicArn") == moto_stack.fifo_topic_arn and lost in str(p)
    )
    kinesis = Fault("kinesis", "PutRecords", code="ProvisionedThroughputExceededException", when=mentions(lost))
    faults.add(fifo)
    faults.add(kinesis)
    publish(moto_stack)
    # Both lanes really lost the event.
    assert fifo.fired
    assert kinesis.fired
    consume(moto_stack)
    reconcile_later()
    faults.clear()
    consume(moto_stack)
    assert_settled(client, moto_stack, by_subject(events))


# -- 2. the reconciler runs while the publisher lags ---------------------------------------------


def test_repair_while_the_publisher_lags_keeps_position_order(client: Client, moto_stack: MotoStack) -> None:
    # Ids chosen so that the pending index's buckets list the second event first.
    ids = iter(_ids_listed_in_reverse())
    service = EventService(components.repository(), components.keys(), 86_400, new_id=lambda: next(ids))
    first, _ = service.create(NewEvent.from_body(body("order-lag", 0)), None)
    second, _ = service.create(NewEvent.from_body(body("order-lag", 1)), None)
    reconcile_later()  # the publisher has not run yet: it lags past the cut-off
    consume(moto_stack)
    publish(moto_stack)  # then it catches up and publishes both in order
    consume(moto_stack)
    reconcile_later()
    consume(moto_stack)
    assert_settled(client, moto_stack, {"order-lag": [first.id, second.id]})


def _ids_listed_in_reverse() -> tuple[str, str]:
    candidates = [str(uuid.UUID(int=n, version=4)) for n in range(1, 64)]
    for first in candidates:
        for second in candidates:
            if event_bucket(second) < event_bucket(first):
                return first, second
    raise AssertionError("no two ids in different buckets")


# -- 3. a sequencing gap, and transient errors in the sequencer -----------------------------------


def test_a_sequencing_gap_is_filled_from_the_table(client: Client, moto_stack: MotoStack) -> None:
    events = post_all(client, [("order-gap", "order.created")] * 3)
    publish(moto_stack)
    sqs = boto3.client("sqs", region_name=REGION)
    first = sqs.receive_message(QueueUrl=moto_stack.fifo_queue_url, MaxNumberOfMessages=1)["Messages"][0]
    assert json.loads(first["Body"])["position"] == 1
    sqs.delete_message(QueueUrl=moto_stack.fifo_queue_url, ReceiptHandle=first["ReceiptHandle"])  # lost in its lane
    consume(moto_stack)
    # No reconciler: the sequencer filled the gap itself when position 2 arrived.
    events_now = list_subject(client, "order-gap")
    assert [e["sequence"] for e in events_now] == [1, 2, 3]
    assert queue_depth(moto_stack.fifo_dlq_url) == 0
    assert [e["id"] for e in events_now] == [e["id"] for e in events]


def test_a_transient_conflict_in_the_sequencer_is_retried_not_counted_as_out_of_order(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    post_all(client, [("order-c", "order.created")] * 2)
    publish(moto_stack)
    conflict = {"CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]}
    faults.add(Fault("dynamodb", "TransactWriteItems", code="TransactionCanceledException", times=2, extra=conflict))
    messages = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=moto_stack.fifo_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    event = sqs_event_from_bodies(moto_stack.fifo_queue_arn, [m["Body"] for m in messages], group="order-c")
    assert app.sequencer(event, None) == {"batchItemFailures": []}
    assert [e["sequence"] for e in list_subject(client, "order-c")] == [1, 2]


# -- 4. analytics receives a later position first ------------------------------------------------


def test_a_write_that_meets_a_transaction_is_retried_and_never_dead_letters_a_healthy_message(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    post_all(client, [("order-w", "order.created")] * 2)
    publish(moto_stack)
    messages = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=moto_stack.standard_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert len(messages) == 2
    bodies = [m["Body"] for m in messages]
    # The processor's update meets the accept transaction of another event on the same item, once:
    # retried within the invocation.
    faults.add(Fault("dynamodb", "UpdateItem", code="TransactionConflictException", times=1))
    assert app.processor(sqs_event_from_bodies(moto_stack.standard_queue_arn, bodies), None) == {
        "batchItemFailures": []
    }
    # On the receive that would dead-letter it, a conflict that outlasts the retries leaves the
    # message to the reconciler rather than to the DLQ.
    faults.add(Fault("dynamodb", "UpdateItem", code="TransactionConflictException"))
    last_receive = sqs_event_from_bodies(moto_stack.standard_queue_arn, bodies)
    for record in last_receive["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(MAX_RECEIVE_COUNT)
    assert app.processor(last_receive, None) == {"batchItemFailures": []}
    faults.clear()
    assert {e["status"] for e in list_subject(client, "order-w")} == {"processed"}


def test_analytics_counts_an_event_that_arrives_after_its_successor(client: Client, moto_stack: MotoStack) -> None:
    post_all(client, [("order-k", "order.created"), ("order-k", "order.paid")])
    publish(moto_stack)
    first, second = kinesis_event(moto_stack)["Records"]
    assert app.analytics({"Records": [second]}, None) == {"batchItemFailures": []}
    assert app.analytics({"Records": [first]}, None) == {"batchItemFailures": []}
    stats = json.loads(client.http.get("/v1/subjects/order-k/stats", headers=JSON).body)
    assert stats["total"] == 2
    assert stats["by_type"] == {"order.created": 1, "order.paid": 1}


# -- 5. what a stream mapping gave up on can be replayed -----------------------------------------


def test_replaying_the_stream_failure_queue_repairs_what_the_mapping_gave_up_on(
    client: Client, moto_stack: MotoStack
) -> None:
    from chalicelib.replay import StreamFailureReplayer

    events = post_all(client, [("order-r", "order.created")] * 2)
    stream = dynamodb_stream_event(moto_stack)["Records"]
    numbers = sorted(int(r["dynamodb"]["SequenceNumber"]) for r in stream)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    (shard,) = streams.describe_stream(StreamArn=moto_stack.table_stream_arn)["StreamDescription"]["Shards"]
    # What Lambda sends to the on-failure destination: the batch's coordinates, never its records.
    failure = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": "arn:aws:lambda:::function:pub"},
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"],
            "startSequenceNumber": str(numbers[0]),
            "endSequenceNumber": str(numbers[-1]),
            "batchSize": len(stream),
            "streamArn": moto_stack.table_stream_arn,
        },
    }
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=moto_stack.stream_failure_queue_url, MessageBody=json.dumps(failure))
    replayer = StreamFailureReplayer(components.repository(), components.publisher(), sqs, streams)
    report = replayer.replay(moto_stack.stream_failure_queue_url)
    assert report["left"] == []
    assert report["replayed_events"] == 2
    assert queue_depth(moto_stack.stream_failure_queue_url) == 0
    consume(moto_stack)
    assert_settled(client, moto_stack, by_subject(events))


# -- 7. the accept transaction's reply is lost ----------------------------------------------------


def test_a_lost_commit_reply_stores_the_event_once(client: Client, moto_stack: MotoStack, faults: Faults) -> None:
    faults.add(Fault("dynamodb", "TransactWriteItems", phase="response", times=1))
    response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body("order-lost", 0)))
    assert response.status_code == 201, response.body
    stored = list_subject(client, "order-lost")
    assert [e["id"] for e in stored] == [json.loads(response.body)["id"]]


def test_a_commit_whose_every_reply_is_lost_is_still_found_and_answered_once(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    faults.add(Fault("dynamodb", "TransactWriteItems", phase="response"))
    response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body("order-lost-all", 0)))
    faults.clear()
    assert response.status_code == 201, response.body
    assert [e["id"] for e in list_subject(client, "order-lost-all")] == [json.loads(response.body)["id"]]


# -- 8. throttling and contention are 503 and 429, each with Retry-After ----------------------------


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_a_throttled_table_is_a_503_with_retry_after_and_writes_nothing(
    client: Client, moto_stack: MotoStack, faults: Faults, code: str
) -> None:
    faults.add(Fault("dynamodb", "TransactWriteItems", code=code))
    faults.add(Fault("dynamodb", "GetItem", code=code))
    response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body("order-throttled", 0)))
    assert response.status_code == 503, response.body
    assert int(response.headers["Retry-After"]) >= 1
    assert json.loads(response.body)["error"]["code"] == "ServiceUnavailable"
    read = client.http.get("/v1/events/00000000-0000-4000-8000-000000000000", headers=JSON)
    assert read.status_code == 503
    faults.clear()
    assert list_subject(client, "order-throttled") == []


def test_per_subject_contention_is_a_429_with_retry_after(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    taken = {"CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}, {"Code": "None"}]}
    faults.add(Fault("dynamodb", "TransactWriteItems", code="TransactionCanceledException", extra=taken))
    response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body("order-hot", 0)))
    assert response.status_code == 429, response.body
    assert int(response.headers["Retry-After"]) >= 1
    assert json.loads(response.body)["error"]["code"] == "TooManyRequests"


# -- 9. bounded work ----------------------------------------------------------------------------


class ShortContext:
    """A Lambda context whose clock runs out after ``budget_ms``."""

    def __init__(self, budget_ms: float) -> None:
        self._deadline = time.monotonic() + budget_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def test_the_publisher_stops_before_its_timeout_and_checkpoints_the_rest(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    post_all(client, [("order-slow", "order.created")] * 3)
    records = dynamodb_stream_event(moto_stack)["Records"]
    response = app.publisher({"Records": records}, ShortContext(budget_ms=0))
    # Out of time before the first record: nothing published, the whole batch reported from its start.
    assert response == {"batchItemFailures": [{"itemIdentifier": dynamodb_sequence_number(records[0])}]}
    assert queue_depth(moto_stack.standard_queue_url) == 0


def test_the_reconciler_works_within_its_time_budget_and_resumes(client: Client, moto_stack: MotoStack) -> None:
    events = post_all(client, [(f"order-b{i}", "order.created") for i in range(6)])
    later = components.reconciler_at(lambda: utc_now() + timedelta(minutes=10))
    first = later.run(ShortContext(budget_ms=0))
    assert first["complete"] is False
    second = later.run(ShortContext(budget_ms=60_000))
    assert second["complete"] is True
    consume(moto_stack)
    assert_settled(client, moto_stack, by_subject(events))


# -- 10. a FIFO batch in which every record fails -----------------------------------------------


def test_a_fifo_batch_that_fails_entirely_reports_every_record(client: Client, moto_stack: MotoStack) -> None:
    event = sqs_event_from_bodies(moto_stack.fifo_queue_arn, ["not json", "{}"], group="order-z")
    response = app.sequencer(event, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-1"}]}


def test_a_poison_kinesis_record_is_skipped_without_holding_back_its_shard(
    client: Client, moto_stack: MotoStack
) -> None:
    events = post_all(client, [("order-p", "order.created")] * 2)
    publish(moto_stack)
    good = kinesis_event(moto_stack)["Records"]
    poison = kinesis_record(b"\x00garbage", "order-p", "1" + good[0]["kinesis"]["sequenceNumber"])
    # No retry can fix it, so the mapping is not made to retry it: later records go on at once.
    response = app.analytics({"Records": [good[0], poison, good[1]]}, None)
    assert response == {"batchItemFailures": []}
    drain_queue(handler("processor"), moto_stack.standard_queue_url, moto_stack.standard_queue_arn)
    drain_queue(handler("sequencer"), moto_stack.fifo_queue_url, moto_stack.fifo_queue_arn)
    assert_settled(client, moto_stack, by_subject(events))
