"""The publisher sends a shard's new events in batches of ten and resends the entries a batch call rejected."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from chalice.test import Client

from chalicelib import aws, components
from chalicelib.publishing import Publisher
from chalicelib.retry import Deadline
from tests.unit.test_handlers import captured_logs, post_events
from tooling.moto_stack import MotoStack, client, dynamodb_stream_event, kinesis_event, receive_all


def _publisher(sns: Any, kinesis: Any, moto_stack: MotoStack) -> Publisher:
    return Publisher(
        sns,
        kinesis,
        standard_topic_arn=moto_stack.standard_topic_arn,
        fifo_topic_arn=moto_stack.fifo_topic_arn,
        stream_name=moto_stack.stream_name,
        logger=components.logger(),
        subject_hash=components.keys().subject_hash,
        sleep=lambda _seconds: None,
    )


def _count_calls(*clients: Any) -> Counter[str]:
    calls: Counter[str] = Counter()
    for service in clients:
        service.meta.events.register(
            "before-call.*.*",
            lambda model, **_: calls.update([model.name]),
        )
    return calls


def _drain_ids(queue_url: str) -> list[str]:
    """Event ids in the order a consumer gets them (a FIFO group yields its next message once the last is deleted)."""
    sqs, ids = client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        ids += [json.loads(m["Body"])["id"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return ids


def _streamed_ids(moto_stack: MotoStack) -> list[str]:
    return [json.loads(base64.b64decode(r["kinesis"]["data"]))["id"] for r in kinesis_event(moto_stack)["Records"]]


class _RejectsOnce:
    """Kinesis as it answers under load: PutRecords takes the call but rejects one record, once."""

    def __init__(self, kinesis: Any, event_id: str) -> None:
        self._kinesis = kinesis
        self._event_id = event_id
        self.rejected = 0

    def put_records(self, **request: Any) -> dict[str, Any]:
        records = request["Records"]
        keep = [r for r in records if self.rejected or self._event_id.encode() not in r["Data"]]
        response: dict[str, Any] = self._kinesis.put_records(**{**request, "Records": keep})
        if len(keep) == len(records):
            return response
        self.rejected += 1
        results = iter(response["Records"])
        throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        answers = [next(results) if r in keep else throttled for r in records]
        return {"FailedRecordCount": 1, "Records": answers}


def test_a_batch_of_new_events_costs_three_calls_per_ten(client: Client, moto_stack: MotoStack) -> None:
    created = post_events(client, [(f"subject-{n % 3}", "order.created") for n in range(25)])
    records = dynamodb_stream_event(moto_stack)["Records"]
    sns, kinesis = aws.client("sns"), aws.client("kinesis")
    calls = _count_calls(sns, kinesis)

    response = _publisher(sns, kinesis, moto_stack).publish_stream_batch(records, Deadline(None))

    assert response == {"batchItemFailures": []}
    # 25 events: three groups of at most ten, one call per destination each (other items are skipped).
    assert calls == Counter({"PublishBatch": 6, "PutRecords": 3})
    standard = [json.loads(m["Body"])["id"] for m in receive_all(moto_stack.standard_queue_url)]
    fifo = _drain_ids(moto_stack.fifo_queue_url)
    streamed = _streamed_ids(moto_stack)
    ids = [event["id"] for event in created]
    assert sorted(standard) == sorted(fifo) == sorted(streamed) == sorted(ids)
    # Per subject, the FIFO queue holds the events in acceptance order.
    for subject in ("subject-0", "subject-1", "subject-2"):
        expected = [e["id"] for e in created if e["subject"] == subject]
        assert [i for i in fifo if i in expected] == expected


def test_a_rejected_entry_is_sent_again(client: Client, moto_stack: MotoStack) -> None:
    created = post_events(client, [("order-1", "order.created"), ("order-1", "order.paid"), ("order-2", "a")])
    sns, kinesis = aws.client("sns"), aws.client("kinesis")
    flaky = _RejectsOnce(kinesis, created[1]["id"])

    response = _publisher(sns, flaky, moto_stack).publish_stream_batch(
        dynamodb_stream_event(moto_stack)["Records"], Deadline(None)
    )

    assert response == {"batchItemFailures": []}
    assert flaky.rejected == 1
    assert sorted(_streamed_ids(moto_stack)) == sorted(event["id"] for event in created)


class _Throttled:
    """Kinesis rejecting every record of every call, past any resend."""

    def put_records(self, **request: Any) -> dict[str, Any]:
        throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        return {"FailedRecordCount": len(request["Records"]), "Records": [throttled] * len(request["Records"])}


def test_a_lane_given_up_on_is_logged_with_the_subjects_keyed_hash(client: Client, moto_stack: MotoStack) -> None:
    subject = "customer-4711@example.com"
    (event,) = post_events(client, [(subject, "order.created")])
    publisher = _publisher(aws.client("sns"), _Throttled(), moto_stack)

    with captured_logs() as logs:
        response = publisher.publish_stream_batch(dynamodb_stream_event(moto_stack)["Records"], Deadline(None))

    assert response == {"batchItemFailures": []}
    (line,) = [line for line in logs if line["message"].startswith("publish failed")]
    assert (line["event_id"], line["lane"]) == (event["id"], "analytics (Kinesis)")
    assert line["subject_hash"] == components.keys().subject_hash(subject)
    assert subject not in json.dumps(logs)
