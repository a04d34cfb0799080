"""The publisher sends a shard's new events in batches of ten and resends the entries a batch call rejected."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from chalice.test import Client

from chalicelib import aws, components
from chalicelib.events import StoredEvent, canonical_json
from chalicelib.publishing import Publisher
from chalicelib.retry import Deadline
from tests.unit.test_handlers import JSON, captured_logs, post_events
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


# -- byte limits: every call within its API's limits, counted here independently of the code ----

# PublishBatch: the entries' bodies and attributes together; PutRecords: data and partition keys.
SNS_BATCH_BYTES = 262_144
KINESIS_REQUEST_BYTES = 5 * 1024 * 1024
KINESIS_RECORDS = 500


def _captured_calls(*clients: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each call the clients make, with its parameters as the code passed them (moto does not refuse big batches)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for service in clients:
        service.meta.events.register(
            "provide-client-params.*.*",
            lambda params, model, **_: calls.append((model.name, dict(params))),
        )
    return calls


def _sns_bytes(entry: dict[str, Any]) -> int:
    attributes = entry.get("MessageAttributes", {}).items()
    return len(entry["Message"].encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in attributes
    )


def _kinesis_bytes(record: dict[str, Any]) -> int:
    return len(record["Data"]) + len(record["PartitionKey"].encode())


def _batches(calls: list[tuple[str, dict[str, Any]]], topic_arn: str) -> list[list[dict[str, Any]]]:
    return [
        p["PublishBatchRequestEntries"] for name, p in calls if name == "PublishBatch" and p["TopicArn"] == topic_arn
    ]


def _record_batches(calls: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    return [params["Records"] for name, params in calls if name == "PutRecords"]


def _event(number: int, subject: str = "order-1", pad: int = 0, event_type: str = "order.created") -> StoredEvent:
    return StoredEvent(
        id=f"00000000-0000-4000-8000-{number:012d}",
        type=event_type,
        subject=subject,
        source="test",
        data={"pad": "x" * pad},
        occurred_at="2026-11-27T10:00:00Z",
        received_at="2026-11-27T10:00:00Z",
        status="accepted",
        sequence=None,
        position=number,
    )


def _sns_sized(number: int, size: int, subject: str = "order-1") -> StoredEvent:
    """An event whose PublishBatch entry counts exactly ``size`` bytes."""
    entry = {
        "Message": canonical_json(_event(number, subject).to_message()),
        "MessageAttributes": {"type": {"DataType": "String", "StringValue": "order.created"}},
    }
    return _event(number, subject, pad=size - _sns_bytes(entry))


def _kinesis_sized(number: int, size: int, subject: str = "order-1") -> StoredEvent:
    """An event whose PutRecords record counts exactly ``size`` bytes."""
    record = {"Data": canonical_json(_event(number, subject).to_message()).encode(), "PartitionKey": subject}
    return _event(number, subject, pad=size - _kinesis_bytes(record))


class _AcceptingSns:
    """SNS taking every entry, for tests of the Kinesis lane alone: moto's fan-out to queues is slow."""

    def publish_batch(self, **request: Any) -> dict[str, Any]:
        entries = request["PublishBatchRequestEntries"]
        return {"Successful": [{"Id": e["Id"], "MessageId": e["Id"]} for e in entries], "Failed": []}


def _publish(
    moto_stack: MotoStack, events: list[StoredEvent], sns: Any = None
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, list[str]]]:
    kinesis = aws.client("kinesis")
    calls = _captured_calls(kinesis) if sns else _captured_calls(sns := aws.client("sns"), kinesis)
    missed = _publisher(sns, kinesis, moto_stack).publish(events, Deadline(None))
    return calls, missed


def test_a_publish_batch_of_exactly_262144_bytes_is_one_call_and_one_byte_more_makes_two(
    moto_stack: MotoStack,
) -> None:
    calls, missed = _publish(moto_stack, [_sns_sized(n, 65_536) for n in range(1, 5)])
    assert missed == {}
    for topic in (moto_stack.standard_topic_arn, moto_stack.fifo_topic_arn):
        (batch,) = _batches(calls, topic)
        assert (len(batch), sum(_sns_bytes(entry) for entry in batch)) == (4, SNS_BATCH_BYTES)

    over = [_sns_sized(n, 65_536) for n in range(11, 14)] + [_sns_sized(14, 65_537)]
    calls, missed = _publish(moto_stack, over)
    assert missed == {}
    for topic in (moto_stack.standard_topic_arn, moto_stack.fifo_topic_arn):
        assert [len(batch) for batch in _batches(calls, topic)] == [3, 1]


def test_ten_events_of_60_kb_from_the_stream_go_out_in_calls_of_at_most_262144_bytes(
    client: Client, moto_stack: MotoStack
) -> None:
    """The issue's batch: ten events of 60 KB each, which PublishBatch refuses whole if sent together."""
    created = []
    for index in range(10):
        body = {
            "type": "order.created",
            "subject": f"order-{index % 3}",
            "source": "test",
            "data": {"pad": "x" * 60_000},
        }
        posted = client.http.post("/v1/events", headers=JSON, body=json.dumps(body))
        assert posted.status_code == 201, posted.body
        created.append(json.loads(posted.body))
    sns, kinesis = aws.client("sns"), aws.client("kinesis")
    calls = _captured_calls(sns, kinesis)

    response = _publisher(sns, kinesis, moto_stack).publish_stream_batch(
        dynamodb_stream_event(moto_stack)["Records"], Deadline(None)
    )

    assert response == {"batchItemFailures": []}
    ids = [event["id"] for event in created]
    for topic in (moto_stack.standard_topic_arn, moto_stack.fifo_topic_arn):
        batches = _batches(calls, topic)
        assert sum(_sns_bytes(entry) for batch in batches for entry in batch) > 2 * SNS_BATCH_BYTES
        assert [len(batch) for batch in batches] == [4, 4, 2]
        assert all(sum(_sns_bytes(entry) for entry in batch) <= SNS_BATCH_BYTES for batch in batches)
        assert [json.loads(entry["Message"])["id"] for batch in batches for entry in batch] == ids
    assert [len(batch) for batch in _record_batches(calls)] == [10]
    standard = [json.loads(m["Body"])["id"] for m in receive_all(moto_stack.standard_queue_url)]
    assert sorted(standard) == sorted(_drain_ids(moto_stack.fifo_queue_url)) == sorted(_streamed_ids(moto_stack))
    assert sorted(standard) == sorted(ids)


def test_put_records_takes_500_records_a_call(moto_stack: MotoStack) -> None:
    events = [_event(n, subject=f"order-{n % 7}") for n in range(1, 502)]

    calls, missed = _publish(moto_stack, events, sns=_AcceptingSns())

    assert missed == {}
    batches = _record_batches(calls)
    assert [len(batch) for batch in batches] == [KINESIS_RECORDS, 1]
    assert [json.loads(r["Data"])["id"] for batch in batches for r in batch] == [e.id for e in events]
    assert sorted(_streamed_ids(moto_stack)) == sorted(e.id for e in events)


def test_put_records_takes_exactly_5_mib_a_call_and_not_one_byte_more(moto_stack: MotoStack) -> None:
    exact = [_kinesis_sized(n, 65_536) for n in range(1, 81)]
    calls, missed = _publish(moto_stack, exact, sns=_AcceptingSns())
    assert missed == {}
    (batch,) = _record_batches(calls)
    assert (len(batch), sum(_kinesis_bytes(record) for record in batch)) == (80, KINESIS_REQUEST_BYTES)

    over = [_kinesis_sized(n, 65_536) for n in range(101, 180)] + [_kinesis_sized(180, 65_537)]
    calls, missed = _publish(moto_stack, over, sns=_AcceptingSns())
    assert missed == {}
    assert [len(batch) for batch in _record_batches(calls)] == [79, 1]


def test_per_subject_order_is_kept_across_the_calls_of_a_lane(moto_stack: MotoStack) -> None:
    events = [_sns_sized(n, 100_000, subject=f"order-{n % 3}") for n in range(1, 11)]

    calls, missed = _publish(moto_stack, events)

    assert missed == {}
    fifo = _batches(calls, moto_stack.fifo_topic_arn)
    assert len(fifo) == 5
    # Sent in order, within each call and from one call to the next...
    assert [entry["MessageDeduplicationId"] for batch in fifo for entry in batch] == [e.id for e in events]
    # ...so each subject's FIFO group delivers its events in position order.
    delivered = _drain_ids(moto_stack.fifo_queue_url)
    for subject in ("order-0", "order-1", "order-2"):
        expected = [e.id for e in events if e.subject == subject]
        assert [i for i in delivered if i in expected] == expected


def test_an_event_too_big_for_any_publish_batch_is_not_sent_and_left_to_its_lanes_repair(
    moto_stack: MotoStack,
) -> None:
    # Beyond the contract's 64 KiB of data: what a stored item could still hold.
    small, huge, last = _event(1), _event(2, pad=300_000), _event(3)

    with captured_logs() as logs:
        calls, missed = _publish(moto_stack, [small, huge, last])

    assert missed == {
        "processor and notifier (standard topic)": [huge.id],
        "sequencer (FIFO topic)": [huge.id],
    }
    for topic in (moto_stack.standard_topic_arn, moto_stack.fifo_topic_arn):
        batches = _batches(calls, topic)
        assert [[json.loads(entry["Message"])["id"] for entry in batch] for batch in batches] == [[small.id, last.id]]
    # PutRecords takes a record of up to 1 MiB: the stream gets all three.
    assert sorted(_streamed_ids(moto_stack)) == sorted([small.id, huge.id, last.id])
    too_large = [line for line in logs if line["message"].startswith("event too large")]
    assert [(line["event_id"], line["api"]) for line in too_large] == [(huge.id, "PublishBatch")] * 2
