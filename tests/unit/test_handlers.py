"""Every event handler, on events made from what moto really holds after real API calls.

The pipeline is driven by hand, one hop at a time: API -> table stream ->
publisher -> (SQS standard, SQS FIFO, Kinesis, SNS) -> consumers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import logging
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from chalice.test import Client

import app
from chalicelib import components
from chalicelib.timefmt import utc_now
from tooling.moto_stack import (
    MotoStack,
    body_json,
    dynamodb_stream_event,
    kinesis_event,
    kinesis_record,
    receive_all,
    sns_event,
    sqs_event,
    sqs_event_from_bodies,
)

JSON = {"Content-Type": "application/json", "x-api-key": "k"}


def post_events(client: Client, specs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Post (subject, type) pairs in order; returns the created events."""
    created = []
    for index, (subject, event_type) in enumerate(specs):
        body = {
            "type": event_type,
            "subject": subject,
            "source": "test",
            "data": {"index": index},
            "occurred_at": f"2026-11-27T10:00:{index:02d}Z",
        }
        response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body))
        assert response.status_code == 201, response.body
        created.append(json.loads(response.body))
    return created


def invoke(client: Client, name: str, event: dict[str, Any]) -> Any:  # the handler's JSON result
    # Called directly rather than through client.lambda_: its context claims a 3-second timeout,
    # which the publisher and the reconciler would rightly refuse to start a call within.
    return getattr(app, name)(event, None)


def publish_all(client: Client, moto_stack: MotoStack) -> Any:
    return invoke(client, "publisher", dynamodb_stream_event(moto_stack))


def get_event(client: Client, event_id: str) -> dict[str, Any]:
    response = client.http.get(f"/v1/events/{event_id}", headers=JSON)
    loaded: dict[str, Any] = json.loads(response.body)
    return loaded


def table_item(moto_stack: MotoStack, pk: str, sk: str) -> dict[str, Any] | None:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=moto_stack.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    )
    found: dict[str, Any] | None = item.get("Item")
    return found


KEY_PKS = ("KEY#cursor", "KEY#log")


@contextlib.contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """The app logger's lines from INFO up, as the JSON Powertools writes them, while the block runs."""
    components.logger()  # Powertools configures the standard logger of the service's name
    logger = logging.getLogger(components.SERVICE_NAME)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    # Powertools' own JSON formatter (a logger re-created after components.reset() reports a bare one).
    handler.setFormatter(LambdaPowertoolsFormatter())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    parsed: list[dict[str, Any]] = []
    try:
        yield parsed
    finally:
        logger.setLevel(level)
        logger.removeHandler(handler)
        parsed += [json.loads(line) for line in lines.getvalue().splitlines()]


def make_both_keys(client: Client, moto_stack: MotoStack) -> None:
    """Let the real handlers create both key items: a listing signs a cursor, the processor logs a subject."""
    post_events(client, [("order-1", "order.created"), ("order-1", "order.paid"), ("order-2", "order.created")])
    assert json.loads(client.http.get("/v1/events?subject=order-1&limit=1", headers=JSON).body)["next_cursor"]
    publish_all(client, moto_stack)
    invoke(client, "processor", sqs_event(moto_stack.standard_queue_arn, receive_all(moto_stack.standard_queue_url)))
    receive_all(moto_stack.fifo_queue_url)
    for pk in KEY_PKS:
        assert table_item(moto_stack, pk, "v1") is not None


# -- publisher -------------------------------------------------------------------------------------


def test_publisher_fans_each_new_event_out_once(client: Client, moto_stack: MotoStack) -> None:
    events = post_events(client, [("order-1", "order.created"), ("order-2", "alert.fraud"), ("order-1", "order.paid")])
    assert publish_all(client, moto_stack) == {"batchItemFailures": []}

    standard = [body_json(m) for m in receive_all(moto_stack.standard_queue_url)]
    fifo = receive_all(moto_stack.fifo_queue_url)
    assert sorted(m["id"] for m in standard) == sorted(e["id"] for e in events)
    assert [body_json(m)["id"] for m in fifo] == [e["id"] for e in events]
    groups = [m["Attributes"]["MessageGroupId"] for m in fifo]
    assert groups == ["order-1", "order-2", "order-1"]
    assert [m["Attributes"]["MessageDeduplicationId"] for m in fifo] == [e["id"] for e in events]
    records = kinesis_event(moto_stack)["Records"]
    assert sorted(r["kinesis"]["partitionKey"] for r in records) == ["order-1", "order-1", "order-2"]
    assert [body_json(m)["position"] for m in fifo] == [1, 1, 2]


def test_publisher_ignores_modifications_and_non_event_items(client: Client, moto_stack: MotoStack) -> None:
    post_events(client, [("order-1", "order.created")])
    stream = dynamodb_stream_event(moto_stack)
    # One accept writes the event, the subject head and the pointer: only the event is published.
    entities = sorted(r["dynamodb"]["NewImage"].get("entity", {}).get("S", "") for r in stream["Records"])
    assert entities.count("event") == 1
    assert {"subject", "pointer"} <= set(entities)
    publish_all(client, moto_stack)
    assert len(receive_all(moto_stack.standard_queue_url)) == 1
    modify = {**stream["Records"][0], "eventName": "MODIFY"}
    assert invoke(client, "publisher", {"Records": [modify]}) == {"batchItemFailures": []}
    assert receive_all(moto_stack.standard_queue_url) == []


def test_publisher_ignores_the_key_items_insert(client: Client, moto_stack: MotoStack) -> None:
    make_both_keys(client, moto_stack)
    records = dynamodb_stream_event(moto_stack)["Records"]
    inserted = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] in KEY_PKS]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in inserted) == sorted(KEY_PKS)
    assert {r["eventName"] for r in inserted} == {"INSERT"}
    # As Lambda delivers them: JSON, so the secret's Binary is a base64 string, not bytes.
    inserted = json.loads(json.dumps(inserted, default=lambda b: base64.b64encode(b).decode("ascii")))
    kinesis_before = len(kinesis_event(moto_stack)["Records"])
    # The publisher must skip them quietly, not fail on the Binary or log them as malformed events.
    with captured_logs() as logs:
        assert invoke(client, "publisher", {"Records": inserted}) == {"batchItemFailures": []}
    assert logs == []
    assert receive_all(moto_stack.standard_queue_url) == []
    assert receive_all(moto_stack.fifo_queue_url) == []
    assert len(kinesis_event(moto_stack)["Records"]) == kinesis_before


def test_publisher_skips_a_malformed_record_and_publishes_the_rest(client: Client, moto_stack: MotoStack) -> None:
    events = post_events(client, [("order-1", "order.created"), ("order-1", "order.paid")])
    records = [
        r
        for r in dynamodb_stream_event(moto_stack)["Records"]
        if r["dynamodb"]["NewImage"].get("entity") == {"S": "event"}
    ]
    broken = json.loads(json.dumps(records[0]))
    broken["dynamodb"]["NewImage"]["data_json"]["S"] = "{not json"
    # The same bytes would fail every retry, and holding the shard would stall every subject on it.
    assert invoke(client, "publisher", {"Records": [broken, records[1]]}) == {"batchItemFailures": []}
    assert [body_json(m)["id"] for m in receive_all(moto_stack.standard_queue_url)] == [events[1]["id"]]


# -- processor -------------------------------------------------------------------------------------


def test_processor_marks_events_processed_and_redelivery_changes_nothing(client: Client, moto_stack: MotoStack) -> None:
    events = post_events(client, [("order-1", "order.created"), ("order-2", "order.created")])
    publish_all(client, moto_stack)
    messages = receive_all(moto_stack.standard_queue_url)
    assert invoke(client, "processor", sqs_event(moto_stack.standard_queue_arn, messages)) == {"batchItemFailures": []}
    processed = [get_event(client, e["id"]) for e in events]
    assert {e["status"] for e in processed} == {"processed"}
    first_item = table_item(moto_stack, "SUBJECT#order-1", "EVENT#000000000001")
    assert first_item is not None
    assert "pending_bucket" not in first_item

    assert invoke(client, "processor", sqs_event(moto_stack.standard_queue_arn, messages)) == {"batchItemFailures": []}
    assert table_item(moto_stack, "SUBJECT#order-1", "EVENT#000000000001") == first_item


@pytest.mark.parametrize(
    "poison",
    ["not json", "[]", '{"id": "x"}', '{"id":"x","type":"t","subject":"s","occurred_at":"t","position":0}'],
)
def test_processor_reports_only_the_poison_message(client: Client, moto_stack: MotoStack, poison: str) -> None:
    events = post_events(client, [("order-1", "order.created"), ("order-1", "order.paid")])
    publish_all(client, moto_stack)
    bodies = [m["Body"] for m in receive_all(moto_stack.standard_queue_url)]
    event = sqs_event_from_bodies(moto_stack.standard_queue_arn, [bodies[0], poison, bodies[1]])
    assert invoke(client, "processor", event) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert {get_event(client, e["id"])["status"] for e in events} == {"processed"}


def test_processor_rejects_a_message_for_an_event_that_does_not_exist(client: Client, moto_stack: MotoStack) -> None:
    post_events(client, [("order-1", "order.created")])
    publish_all(client, moto_stack)
    body = body_json(receive_all(moto_stack.standard_queue_url)[0])
    body["id"] = "00000000-0000-4000-8000-000000000000"
    event = sqs_event_from_bodies(moto_stack.standard_queue_arn, [json.dumps(body)])
    assert invoke(client, "processor", event) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


def test_a_log_line_carries_the_subjects_keyed_hash_never_the_subject(client: Client, moto_stack: MotoStack) -> None:
    subject = "customer-4711@example.com"
    events = post_events(client, [(subject, "order.created"), ("order-2", "order.created"), (subject, "order.paid")])
    publish_all(client, moto_stack)
    messages = receive_all(moto_stack.standard_queue_url)
    with captured_logs() as logs:
        invoke(client, "processor", sqs_event(moto_stack.standard_queue_arn, messages))
    lines = {line["event_id"]: line for line in logs if line["message"] == "processed"}
    assert set(lines) == {e["id"] for e in events}
    key_item = table_item(moto_stack, "KEY#log", "v1")
    assert key_item is not None
    expected = hmac.new(key_item["secret"]["B"], subject.encode(), hashlib.sha256).hexdigest()[:16]
    # One subject's lines share the hash (they can be found together); another subject's differs.
    assert [lines[events[i]["id"]]["subject_hash"] for i in (0, 2)] == [expected, expected]
    assert lines[events[1]["id"]]["subject_hash"] not in (expected, "unavailable")
    assert all("subject" not in line for line in logs)
    assert subject not in json.dumps(logs)


def test_the_key_items_stay_out_of_listings_the_pending_index_and_the_reconciler(
    client: Client, moto_stack: MotoStack
) -> None:
    make_both_keys(client, moto_stack)
    stored = {pk: table_item(moto_stack, pk, "v1") for pk in KEY_PKS}
    for name in ("cursor", "log", "KEY#cursor", "KEY#log", "v1"):
        quoted = urllib.parse.quote(name, safe="")
        page = json.loads(client.http.get(f"/v1/events?subject={quoted}", headers=JSON).body)
        assert page == {"items": [], "next_cursor": None}
        assert client.http.get(f"/v1/subjects/{quoted}/stats", headers=JSON).status_code == 404
    pending = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=moto_stack.table, IndexName="pending")
    assert pending["Items"]
    assert not [item for item in pending["Items"] if item["pk"]["S"].startswith("KEY#")]
    report = components.reconciler_at(lambda: utc_now() + timedelta(minutes=10)).run()
    assert report["complete"] is True
    assert {pk: table_item(moto_stack, pk, "v1") for pk in KEY_PKS} == stored


# -- sequencer -------------------------------------------------------------------------------------


def test_sequencer_numbers_each_subject_in_acceptance_order(client: Client, moto_stack: MotoStack) -> None:
    specs = [(f"order-{i % 3}", "order.created") for i in range(9)]
    events = post_events(client, specs)
    publish_all(client, moto_stack)
    fifo = receive_all(moto_stack.fifo_queue_url)
    assert invoke(client, "sequencer", sqs_event(moto_stack.fifo_queue_arn, fifo)) == {"batchItemFailures": []}
    for subject in ("order-0", "order-1", "order-2"):
        mine = [get_event(client, e["id"]) for e in events if e["subject"] == subject]
        assert [e["sequence"] for e in mine] == [1, 2, 3]
    stats = json.loads(client.http.get("/v1/subjects/order-0/stats", headers=JSON).body)
    assert stats["last_sequence"] == 3
    # Redelivery of the whole batch changes nothing.
    assert invoke(client, "sequencer", sqs_event(moto_stack.fifo_queue_arn, fifo)) == {"batchItemFailures": []}
    assert [get_event(client, e["id"])["sequence"] for e in events][:3] == [1, 1, 1]


def test_sequencer_fills_a_gap_from_the_table_and_ignores_the_late_predecessor(
    client: Client, moto_stack: MotoStack
) -> None:
    post_events(client, [("order-a", "t"), ("order-a", "t"), ("order-a", "t"), ("order-b", "t")])
    publish_all(client, moto_stack)
    fifo = receive_all(moto_stack.fifo_queue_url)
    a1, a2, a3, b1 = fifo
    assert invoke(client, "sequencer", sqs_event(moto_stack.fifo_queue_arn, [a2, a3, b1])) == {"batchItemFailures": []}
    stats = json.loads(client.http.get("/v1/subjects/order-a/stats", headers=JSON).body)
    assert stats["last_sequence"] == 3
    assert invoke(client, "sequencer", sqs_event(moto_stack.fifo_queue_arn, [a1])) == {"batchItemFailures": []}
    listed = json.loads(client.http.get("/v1/events?subject=order-a", headers=JSON).body)["items"]
    assert [e["sequence"] for e in listed] == [1, 2, 3]


# -- analytics -------------------------------------------------------------------------------------


def test_analytics_maintains_stats_once_per_event(client: Client, moto_stack: MotoStack) -> None:
    post_events(client, [("order-1", "order.created"), ("order-1", "order.paid"), ("order-1", "order.paid")])
    publish_all(client, moto_stack)
    event = kinesis_event(moto_stack)
    assert invoke(client, "analytics", event) == {"batchItemFailures": []}
    assert invoke(client, "analytics", event) == {"batchItemFailures": []}
    stats = json.loads(client.http.get("/v1/subjects/order-1/stats", headers=JSON).body)
    assert stats["total"] == 3
    assert stats["by_type"] == {"order.created": 1, "order.paid": 2}
    assert stats["first_occurred_at"] == "2026-11-27T10:00:00.000000Z"
    assert stats["last_occurred_at"] == "2026-11-27T10:00:02.000000Z"


def test_analytics_counts_a_subjects_events_in_one_batch_with_one_write(client: Client, moto_stack: MotoStack) -> None:
    post_events(client, [("hot", "a"), ("cold", "a"), ("hot", "b"), ("hot", "a"), ("cold", "b"), ("hot", "c")])
    publish_all(client, moto_stack)
    records = kinesis_event(moto_stack)["Records"]
    assert len(records) == 6

    assert invoke(client, "analytics", {"Records": records}) == {"batchItemFailures": []}

    # The cursor of each write of a lane item, from the table's stream (moto also records the
    # creation of an updated item's key, without the update's attributes: skipped).
    lane_writes = sorted(
        (record["dynamodb"]["Keys"]["pk"]["S"], int(image["counted_through"]["N"]))
        for record in dynamodb_stream_event(moto_stack)["Records"]
        if record["dynamodb"]["Keys"]["sk"]["S"] == "LANE#analytics"
        and "counted_through" in (image := record["dynamodb"].get("NewImage", {}))
    )
    # The first record of each subject counts through the last position the batch holds for it.
    assert lane_writes == [("SUBJECT#cold", 2), ("SUBJECT#hot", 4)]
    for subject, total, by_type in (("hot", 4, {"a": 2, "b": 1, "c": 1}), ("cold", 2, {"a": 1, "b": 1})):
        stats = json.loads(client.http.get(f"/v1/subjects/{subject}/stats", headers=JSON).body)
        assert (stats["total"], stats["by_type"]) == (total, by_type)
    # Delivered again, record by record: nothing more is counted or written.
    for record in records:
        assert invoke(client, "analytics", {"Records": [record]}) == {"batchItemFailures": []}
    assert json.loads(client.http.get("/v1/subjects/hot/stats", headers=JSON).body)["total"] == 4


def test_analytics_skips_a_poison_record(client: Client, moto_stack: MotoStack) -> None:
    post_events(client, [("order-1", "order.created"), ("order-1", "order.paid")])
    publish_all(client, moto_stack)
    good = kinesis_event(moto_stack)["Records"]
    poison = kinesis_record(b"\x00garbage", "order-1", "999")
    response = invoke(client, "analytics", {"Records": [good[0], poison, good[1]]})
    assert response == {"batchItemFailures": []}
    stats = json.loads(client.http.get("/v1/subjects/order-1/stats", headers=JSON).body)
    assert stats["total"] == 2


# -- notifier --------------------------------------------------------------------------------------


def test_notifier_records_alerts_once(client: Client, moto_stack: MotoStack) -> None:
    (alert,) = post_events(client, [("card-9", "alert.fraud")])
    publish_all(client, moto_stack)
    message = receive_all(moto_stack.standard_queue_url)[0]["Body"]
    event = sns_event(moto_stack.standard_topic_arn, message, {"type": "alert.fraud"})
    assert invoke(client, "notifier", event) == {"notified": 1}
    assert invoke(client, "notifier", event) == {"notified": 0}
    item = table_item(moto_stack, "SUBJECT#card-9", "EVENT#000000000001")
    assert item is not None
    assert item["id"] == {"S": alert["id"]}
    assert "notified_at" in item


def test_notifier_ignores_non_alerts(client: Client, moto_stack: MotoStack) -> None:
    (plain,) = post_events(client, [("order-1", "order.created")])
    publish_all(client, moto_stack)
    message = receive_all(moto_stack.standard_queue_url)[0]["Body"]
    assert invoke(client, "notifier", sns_event(moto_stack.standard_topic_arn, message, {"type": "order.created"})) == {
        "notified": 0
    }
    item = table_item(moto_stack, "SUBJECT#order-1", "EVENT#000000000001")
    assert item is not None
    assert item["id"] == {"S": plain["id"]}
    assert "notified_at" not in item


# -- reconciler ------------------------------------------------------------------------------------


def test_reconciler_repairs_stuck_events_and_reports_dlq_depth(client: Client, moto_stack: MotoStack) -> None:
    stuck, done = post_events(client, [("order-1", "order.created"), ("order-2", "alert.fraud")])
    publish_all(client, moto_stack)
    messages = receive_all(moto_stack.standard_queue_url)
    done_message = [m for m in messages if body_json(m)["id"] == done["id"]]
    invoke(client, "processor", sqs_event(moto_stack.standard_queue_arn, done_message))
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=moto_stack.standard_dlq_url, MessageBody="dead")

    # Nothing is older than the cut-off yet.
    report = invoke(client, "reconciler", {})
    assert report["repaired"] == {"processed": 0, "notified": 0, "sequenced": 0, "counted": 0, "settled_subjects": 0}

    later = components.reconciler_at(lambda: utc_now() + timedelta(minutes=10))
    report = later.run()
    assert report["complete"] is True
    # The stuck event is processed, the alert notified, both subjects sequenced and counted from the table.
    assert report["repaired"] == {"processed": 1, "notified": 1, "sequenced": 2, "counted": 2, "settled_subjects": 2}
    assert report["dlq_depth"][moto_stack.standard_dlq_url] == 1
    assert {get_event(client, e["id"])["status"] for e in (stuck, done)} == {"processed"}
    assert [get_event(client, e["id"])["sequence"] for e in (stuck, done)] == [1, 1]
    # Repaired, not re-published: the lanes' queues hold nothing new.
    assert receive_all(moto_stack.standard_queue_url) == []
    assert later.run()["repaired"]["settled_subjects"] == 0
