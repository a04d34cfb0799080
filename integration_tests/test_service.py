"""The deployed service end to end: request, DynamoDB, stream, SNS, SQS, FIFO, Kinesis, every Lambda."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import requests

from integration_tests.conftest import Aws
from integration_tests.support import POLL_SECONDS, SETTLE_SECONDS, assert_error_body, get_json, post_event, unique
from localcloud.testing import wait_for


def new_body(subject: str, event_type: str = "order.created", **data: Any) -> dict[str, Any]:
    return {"type": event_type, "subject": subject, "source": "integration-test", "data": data}


# -- through both gateways -------------------------------------------------------------------------


def test_health_needs_no_key(http: requests.Session, gateway: str) -> None:
    response = http.get(f"{gateway}/health", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_create_then_read(http: requests.Session, gateway: str, api_key: str) -> None:
    subject = unique("order")
    created = post_event(http, gateway, api_key, new_body(subject, total=12.5))
    assert created.status_code == 201, created.text
    event = created.json()
    assert created.headers["Location"] == f"/v1/events/{event['id']}"
    assert event["subject"] == subject
    assert event["status"] == "accepted"
    read = get_json(http, f"{gateway}/v1/events/{event['id']}", api_key)
    assert read["id"] == event["id"]
    assert read["data"] == {"total": 12.5}


def test_idempotent_retry(http: requests.Session, gateway: str, api_key: str) -> None:
    key = unique("idem")
    body = new_body(unique("order"))
    first = post_event(http, gateway, api_key, body, **{"Idempotency-Key": key})
    again = post_event(http, gateway, api_key, body, **{"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = post_event(http, gateway, api_key, {**body, "source": "other"}, **{"Idempotency-Key": key})
    assert assert_error_body(other, 409)["error"]["code"] == "Conflict"


def test_unknown_route_is_rejected_in_the_error_schema(http: requests.Session, gateway: str, api_key: str) -> None:
    response = http.get(f"{gateway}/v1/nothing-here", headers={"x-api-key": api_key}, timeout=30)
    assert_error_body(response, 404)


@pytest.mark.parametrize("key", [None, "not-the-key"])
def test_missing_or_wrong_key_is_403(http: requests.Session, gateway: str, key: str | None) -> None:
    headers = {"content-type": "application/json", **({"x-api-key": key} if key else {})}
    response = http.post(f"{gateway}/v1/events", data=json.dumps(new_body("s")), headers=headers, timeout=30)
    assert assert_error_body(response, 403)["error"]["code"] == "Forbidden"


def test_bad_input_is_a_documented_4xx(http: requests.Session, gateway: str, api_key: str) -> None:
    response = http.post(
        f"{gateway}/v1/events",
        data="{not json",
        headers={"content-type": "application/json", "x-api-key": api_key},
        timeout=30,
    )
    assert assert_error_body(response, 400)["error"]["code"] == "BadRequest"


# The function answers a schema failure with ValidationError; BadRequest here shows that API
# Gateway's request validator refused the request before the function ran.


def test_a_body_that_fails_the_schema_never_reaches_the_function(
    http: requests.Session, gateway: str, api_key: str
) -> None:
    body = {key: value for key, value in new_body("s").items() if key != "type"}
    response = post_event(http, gateway, api_key, body)
    error = assert_error_body(response, 400)["error"]
    assert error["code"] == "BadRequest", error


def test_a_missing_required_parameter_never_reaches_the_function(
    http: requests.Session, gateway: str, api_key: str
) -> None:
    response = http.get(f"{gateway}/v1/events", headers={"x-api-key": api_key}, timeout=30)
    error = assert_error_body(response, 400)["error"]
    assert error["code"] == "BadRequest", error
    assert "subject" in error["message"], error


def test_each_event_is_processed_and_sequenced_within_the_deadline(
    http: requests.Session, gateway: str, api_key: str
) -> None:
    subject = unique("order")
    ids = [post_event(http, gateway, api_key, new_body(subject, n=n)).json()["id"] for n in range(3)]

    def settled() -> list[dict[str, Any]] | None:
        events = [get_json(http, f"{gateway}/v1/events/{event_id}", api_key) for event_id in ids]
        done = all(e["status"] == "processed" and e["sequence"] is not None for e in events)
        return events if done else None

    events = wait_for(
        settled, f"events of {subject} to be processed and sequenced", timeout=SETTLE_SECONDS, interval=POLL_SECONDS
    )
    assert [e["sequence"] for e in events] == [1, 2, 3]


# -- the pipeline (once; it does not depend on the gateway) ----------------------------------------


def test_fifty_events_over_five_subjects_keep_per_subject_order(
    http: requests.Session, outputs: dict[str, Any], api_key: str
) -> None:
    base = outputs["regional_api_url"]
    subjects = [unique(f"s{n}") for n in range(5)]
    posted: dict[str, list[str]] = {subject: [] for subject in subjects}
    types = ["order.created", "order.paid"]
    for n in range(50):
        subject = subjects[n % 5]
        response = post_event(http, base, api_key, new_body(subject, types[n % 2 if n < 25 else 0], n=n))
        assert response.status_code == 201, response.text
        posted[subject].append(response.json()["id"])

    for subject, ids in posted.items():

        def listed(subject: str = subject) -> list[dict[str, Any]] | None:
            items = get_json(http, f"{base}/v1/events?subject={subject}&limit=100", api_key)["items"]
            return items if all(item["sequence"] is not None for item in items) else None

        items = wait_for(listed, f"sequences of {subject}", timeout=max(SETTLE_SECONDS, 30), interval=POLL_SECONDS)
        assert [item["id"] for item in items] == ids
        assert [item["sequence"] for item in items] == list(range(1, 11))

    for index, subject in enumerate(subjects):
        expected_by_type: dict[str, int] = {}
        for n in range(index, 50, 5):
            event_type = types[n % 2 if n < 25 else 0]
            expected_by_type[event_type] = expected_by_type.get(event_type, 0) + 1

        def counted(subject: str = subject) -> dict[str, Any] | None:
            stats: dict[str, Any] = get_json(http, f"{base}/v1/subjects/{subject}/stats", api_key)
            return stats if stats["total"] == 10 else None

        stats = wait_for(counted, f"stats of {subject}", timeout=max(SETTLE_SECONDS, 30), interval=POLL_SECONDS)
        assert stats["by_type"] == expected_by_type
        assert stats["last_sequence"] == 10
        assert stats["first_occurred_at"] <= stats["last_occurred_at"]


def _queue_messages(aws: Aws, url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _event_item(aws: Aws, outputs: dict[str, Any], subject: str, position: int) -> dict[str, Any]:
    item: dict[str, Any] = aws.client("dynamodb").get_item(
        TableName=outputs["events_table_name"],
        Key={"pk": {"S": f"SUBJECT#{subject}"}, "sk": {"S": f"EVENT#{position:012d}"}},
        ConsistentRead=True,
    )["Item"]
    return item


def test_poison_message_goes_to_the_dlq_and_its_batch_neighbours_succeed(
    http: requests.Session, outputs: dict[str, Any], api_key: str, aws: Aws
) -> None:
    """A message the processor rejects (not an event) is retried alone, then dead-lettered.

    Its neighbours are valid messages of real events, sent in the same batch: with
    partial batch failures they succeed once and are deleted; with all-or-nothing
    batches they would be retried with the poison and dead-lettered beside it.
    """
    base = outputs["regional_api_url"]
    subject = unique("poison")
    events = [post_event(http, base, api_key, new_body(subject, n=n)).json() for n in range(2)]
    neighbours = [json.dumps({**event, "position": position}) for position, event in enumerate(events, start=1)]
    marker = unique("poison-body")
    sqs = aws.client("sqs")
    sqs.send_message_batch(
        QueueUrl=outputs["standard_queue_url"],
        Entries=[
            {"Id": "first", "MessageBody": neighbours[0]},
            {"Id": "poison", "MessageBody": marker},
            {"Id": "second", "MessageBody": neighbours[1]},
        ],
    )

    def dead_lettered() -> set[str] | None:
        bodies: set[str] = set()
        for _ in range(5):
            received = sqs.receive_message(
                QueueUrl=outputs["standard_dlq_url"], MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
            bodies.update(m["Body"] for m in received)
        return bodies if marker in bodies else None

    in_dlq = wait_for(
        dead_lettered,
        "the poison message in the DLQ",
        timeout=float(os.environ.get("DLQ_WAIT_SECONDS", "60")),
        interval=POLL_SECONDS,
    )
    assert not in_dlq & set(neighbours), "a valid neighbour of the poison message was dead-lettered"
    for event in events:
        assert get_json(http, f"{base}/v1/events/{event['id']}", api_key)["status"] == "processed"


def test_redelivered_message_changes_nothing(
    http: requests.Session, outputs: dict[str, Any], api_key: str, aws: Aws
) -> None:
    base = outputs["regional_api_url"]
    subject = unique("redeliver")
    event = post_event(http, base, api_key, new_body(subject)).json()
    wait_for(
        lambda: (
            get_json(http, f"{base}/v1/events/{event['id']}", api_key)["sequence"] == 1
            and get_json(http, f"{base}/v1/subjects/{subject}/stats", api_key)["total"] == 1
        ),
        "the event to settle",
        timeout=SETTLE_SECONDS,
        interval=POLL_SECONDS,
    )
    before = _event_item(aws, outputs, subject, 1)
    stats_before = get_json(http, f"{base}/v1/subjects/{subject}/stats", api_key)
    message = json.dumps({**event, "position": 1})
    aws.client("sqs").send_message(QueueUrl=outputs["standard_queue_url"], MessageBody=message)
    aws.client("sqs").send_message(
        QueueUrl=outputs["fifo_queue_url"],
        MessageBody=message,
        MessageGroupId=subject,
        MessageDeduplicationId=unique("redelivery"),
    )
    aws.client("kinesis").put_record(
        StreamName=outputs["events_stream_name"], Data=message.encode(), PartitionKey=subject
    )
    # Wait until the queues are drained, then check nothing moved.
    wait_for(
        lambda: (
            _queue_messages(aws, outputs["standard_queue_url"]) == 0
            and _queue_messages(aws, outputs["fifo_queue_url"]) == 0
        ),
        "the redelivered messages to be consumed",
        timeout=SETTLE_SECONDS,
        interval=POLL_SECONDS,
    )
    time.sleep(1)
    assert _event_item(aws, outputs, subject, 1) == before
    assert get_json(http, f"{base}/v1/subjects/{subject}/stats", api_key) == stats_before


def test_schedule_fires_the_reconciler(http: requests.Session, outputs: dict[str, Any], aws: Aws) -> None:
    logs = aws.client("logs")
    group = f"/aws/lambda/{outputs['function_names']['reconciler']}"
    started_ms = int(time.time() * 1000)
    endpoint = outputs.get("aws_endpoint_url") or ""
    if endpoint:
        # The local cloud fires schedules on demand (`make tick`); elsewhere wait for the rate.
        tick = http.post(f"{endpoint}/_localcloud/tick", timeout=60)
        if tick.status_code == 404:
            pytest.fail("this emulator has no tick endpoint; run against the project's local cloud")
        assert tick.status_code == 200, tick.text

    def reconciled() -> bool:
        found = logs.filter_log_events(logGroupName=group, startTime=started_ms, filterPattern='"reconciled"')
        return bool(found.get("events"))

    wait_for(
        reconciled,
        "a reconciler run in its log group",
        timeout=float(os.environ.get("SCHEDULE_WAIT_SECONDS", "30")),
        interval=POLL_SECONDS,
    )
