"""make trace: one event's hops read from the table, the stream and the logs, and where it stopped.

The events are accepted and moved through their lanes by the service's own code (``chalicelib``),
so the keys the trace spells (``tooling.events_table``) are checked against the keys the service
writes.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from localcloud.testing import Cloud
from tooling.moto_stack import create_table
from tooling.ops.target import Target
from tooling.ops.trace import Trace, render, trace
from tooling.repository import import_service_code

TABLE = "stack-events"


@pytest.fixture
def service(cloud: Cloud) -> Any:
    """The service's repository, event service and lanes over a fresh events table in the cloud."""
    import_service_code()
    from chalicelib.keys import KeyStore
    from chalicelib.lanes import Lanes
    from chalicelib.repository import EventsRepository
    from chalicelib.service import EventService

    dynamodb = cloud.client("dynamodb")
    create_table(dynamodb, TABLE)
    repository = EventsRepository(dynamodb, TABLE)

    class Service:
        events = EventService(repository, KeyStore(dynamodb, TABLE), idempotency_ttl_seconds=3600)
        lanes = Lanes(dynamodb, repository)

    return Service


def _target(cloud: Cloud) -> Target:
    names = {short: f"stack-{short}" for short in ("api", "processor", "sequencer", "analytics")}
    outputs = {
        "aws_endpoint_url": cloud.endpoint_url,
        "region": "us-east-1",
        "function_names": names,
        "events_table_name": TABLE,
    }
    return Target(outputs)


def _accept(service: Any, event_type: str = "order.created") -> Any:
    from chalicelib.events import EventMessage, NewEvent

    body = {"type": event_type, "subject": "order-1", "source": "test", "data": {}}
    stored, _ = service.events.create(NewEvent.from_body(body), None)
    return EventMessage(stored.id, stored.type, stored.subject, stored.occurred_at, stored.position)


def _log(cloud: Cloud, function: str, message: dict[str, Any]) -> None:
    logs, group = cloud.client("logs"), f"/aws/lambda/stack-{function}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    event = {"timestamp": int(time.time() * 1000), "message": json.dumps(message)}
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[event])


def _states(found: Trace) -> dict[str, bool | None]:
    return {hop.name: hop.done for hop in found.hops}


def test_an_event_part_way_through_stops_at_its_first_missing_hop(cloud: Cloud, service: Any) -> None:
    message = _accept(service)
    service.lanes.mark_processed(message, "2026-11-30T12:00:01.000Z")
    service.lanes.sequence(message)
    _log(cloud, "sequencer", {"level": "INFO", "message": "sequenced", "event_id": message.id})
    _log(cloud, "processor", {"level": "INFO", "message": "processed", "event_id": "another"})

    found = trace(_target(cloud), message.id)

    assert _states(found) == {
        "accepted": True,
        "stream record": True,
        "processed": True,
        "notified": None,
        "left pending": True,
        "sequenced": True,
        "counted": False,
    }
    assert found.stopped_at is not None
    assert found.stopped_at.name == "counted"
    assert [(line.function, json.loads(line.message)["message"]) for line in found.lines] == [
        ("sequencer", "sequenced")
    ]
    assert found.hops[5].at is not None  # the sequencer's line says when
    assert "stopped at: counted" in render(found)


def test_an_event_through_every_lane_is_done(cloud: Cloud, service: Any) -> None:
    message = _accept(service, "alert.raised")
    service.lanes.mark_processed(message, "2026-11-30T12:00:01.000Z")
    service.lanes.record_notification(message, "2026-11-30T12:00:02.000Z")
    service.lanes.sequence(message)
    service.lanes.count(message)

    found = trace(_target(cloud), message.id)

    assert _states(found)["notified"] is True
    assert found.stopped_at is None
    assert render(found).endswith("every hop done")


def test_an_unknown_id_is_reported_as_never_accepted(cloud: Cloud, service: Any) -> None:
    found = trace(_target(cloud), "no-such-id")

    assert not found.found
    assert "no such event" in render(found)


def test_a_record_beyond_the_stream_reads_is_not_called_missing(cloud: Cloud, service: Any) -> None:
    message = _accept(service)

    found = trace(_target(cloud), message.id, stream_reads=0)

    assert _states(found)["stream record"] is None
