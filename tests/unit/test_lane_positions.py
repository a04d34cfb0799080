"""A record's position against its subject: past the stored head it is poison, within the head it is only behind.

A fan-out message is published only after the accept transaction that gave its event its
position committed (lanes.py), so a record naming a position beyond the subject's head names no
event and never will: it is poison, whether the analytics lane is near it or not. A record
within the head that the lane has not reached yet is behind: a later attempt delivers it. The
stream failure replayer (``make replay-failures``) reports either one as a line and goes on.
"""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest

from chalicelib import components, items
from chalicelib.errors import PoisonMessageError
from chalicelib.events import EventMessage, NewEvent, StoredEvent
from chalicelib.lanes import CATCH_UP_CHUNK, LaneBehindError
from chalicelib.replay import StreamFailureReplayer
from chalicelib.retry import Deadline
from tests.unit.delivery import queue_depth
from tooling.moto_stack import REGION, MotoStack

FAR = 10 * CATCH_UP_CHUNK  # well past the window the catch-up checks around its cursor


def accept(subject: str, count: int) -> list[StoredEvent]:
    service = components.event_service()
    body = {"type": "order.created", "subject": subject, "source": "test", "data": {}}
    return [service.create(NewEvent.from_body(body), None)[0] for _ in range(count)]


def message_of(event: StoredEvent, position: int | None = None) -> EventMessage:
    message = EventMessage(event.id, event.type, event.subject, event.occurred_at, event.position)
    return message if position is None else dataclasses.replace(message, position=position)


def counted_through(subject: str) -> int:
    lane = components.repository().get(items.lane_key(subject, items.ANALYTICS_SK)) or {}
    return int(lane.get("counted_through", 0))


def test_a_position_past_the_subjects_head_is_poison_not_behind(moto_stack: MotoStack) -> None:
    (event, _) = accept("order-far", 2)
    with pytest.raises(PoisonMessageError, match="position"):
        components.lanes().count(message_of(event, FAR))
    # What the record could honestly do was done: the subject's real events are counted.
    assert counted_through("order-far") == 2


def test_a_position_just_past_the_head_is_poison_too(moto_stack: MotoStack) -> None:
    (event,) = accept("order-next", 1)
    with pytest.raises(PoisonMessageError):
        components.lanes().count(message_of(event, 2))


def test_a_position_within_the_head_the_lane_has_not_reached_is_behind(moto_stack: MotoStack) -> None:
    events = accept("order-behind", CATCH_UP_CHUNK + 3)
    spent = Deadline(0.0)  # no time left in the invocation: the lane cannot move at all
    with pytest.raises(LaneBehindError):
        components.lanes().count(message_of(events[-1]), spent)
    assert counted_through("order-behind") == 0
    components.lanes().count(message_of(events[-1]))
    assert counted_through("order-behind") == CATCH_UP_CHUNK + 3


# -- make replay-failures ----------------------------------------------------------------------


def _kinesis_failure(moto_stack: MotoStack, bodies: list[str]) -> None:
    """Put ``bodies`` on the stream and queue the coordinates Lambda sends when the mapping gives up on them."""
    kinesis = boto3.client("kinesis", region_name=REGION)
    numbers = [
        kinesis.put_record(StreamName=moto_stack.stream_name, Data=body.encode(), PartitionKey="k") for body in bodies
    ]
    shards = {n["ShardId"] for n in numbers}
    assert len(shards) == 1
    arn = kinesis.describe_stream_summary(StreamName=moto_stack.stream_name)["StreamDescriptionSummary"]["StreamARN"]
    failure = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": "arn:aws:lambda:::function:analytics"},
        "KinesisBatchInfo": {
            "shardId": shards.pop(),
            "startSequenceNumber": numbers[0]["SequenceNumber"],
            "endSequenceNumber": numbers[-1]["SequenceNumber"],
            "batchSize": len(bodies),
            "streamArn": arn,
        },
    }
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=moto_stack.stream_failure_queue_url, MessageBody=json.dumps(failure)
    )


def _replayer(moto_stack: MotoStack) -> StreamFailureReplayer:
    return StreamFailureReplayer(
        components.repository(),
        components.publisher(),
        boto3.client("sqs", region_name=REGION),
        boto3.client("dynamodbstreams", region_name=REGION),
        kinesis=boto3.client("kinesis", region_name=REGION),
        lanes=components.lanes(),
    )


def _body(message: EventMessage) -> str:
    return json.dumps(dataclasses.asdict(message))


def test_replaying_a_record_past_the_head_reports_it_and_replays_the_rest(moto_stack: MotoStack) -> None:
    first, second = accept("order-replay", 2)
    _kinesis_failure(moto_stack, [_body(message_of(first)), _body(message_of(first, FAR)), _body(message_of(second))])
    report = _replayer(moto_stack).replay(moto_stack.stream_failure_queue_url)
    assert report["replayed_events"] == 2
    assert report["left"] == []
    (skipped,) = report["skipped"]
    assert skipped["event_id"] == first.id
    assert f"position {FAR}" in skipped["reason"]
    assert counted_through("order-replay") == 2
    assert queue_depth(moto_stack.stream_failure_queue_url) == 0


def test_replaying_a_record_the_lane_cannot_reach_yet_leaves_the_message(
    moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    (event,) = accept("order-later", 1)
    _kinesis_failure(moto_stack, [_body(message_of(event))])
    lanes = components.lanes()

    def behind(message: EventMessage) -> None:
        raise LaneBehindError(f"analytics of event {message.id} reached 0 of {message.position}")

    monkeypatch.setattr(lanes, "count", behind)
    report = _replayer(moto_stack).replay(moto_stack.stream_failure_queue_url)
    (left,) = report["left"]
    assert "reached 0 of 1" in left["reason"]
    assert report["replayed_events"] == 0
    assert queue_depth(moto_stack.stream_failure_queue_url) == 1
