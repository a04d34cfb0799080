"""EventBridge rules and Scheduler schedules firing Lambda targets: on ``tick``, on their own
when due, and PutEvents through an event pattern."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from localcloud.testing import Cloud, wait_for


def _rule_with_lambda_target(
    cloud: Cloud, schedule: str, target_input: dict[str, Any] | None = None
) -> tuple[str, str]:
    name, arn = cloud.function("echo")
    events = cloud.client("events")
    rule_arn = events.put_rule(Name=f"{name}-schedule", ScheduleExpression=schedule, State="ENABLED")["RuleArn"]
    target = {"Id": "fn", "Arn": arn}
    if target_input is not None:
        target["Input"] = json.dumps(target_input)
    events.put_targets(Rule=f"{name}-schedule", Targets=[target])
    return name, rule_arn


def _invocations(cloud: Cloud, name: str) -> list[str]:
    logs = cloud.client("logs")
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in found if e["message"].startswith("echo got")]


def test_tick_fires_every_enabled_schedule_now(cloud: Cloud) -> None:
    name, rule_arn = _rule_with_lambda_target(cloud, "rate(1 day)", {"reconcile": True})
    disabled, _ = _rule_with_lambda_target(cloud, "rate(1 day)")
    cloud.client("events").disable_rule(Name=f"{disabled}-schedule")

    response = requests.post(f"{cloud.endpoint_url}/_localcloud/tick", timeout=30)

    assert response.status_code == 200
    fired = response.json()["fired"]
    assert [(f["schedule"], f["ok"]) for f in fired] == [(rule_arn, True)]
    assert wait_for(lambda: _invocations(cloud, name)) == ["echo got {'reconcile': True}"]
    assert _invocations(cloud, disabled) == []


def test_tick_fires_eventbridge_scheduler_schedules_too(cloud: Cloud) -> None:
    name, arn = cloud.function("echo")
    cloud.client("scheduler").create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": cloud.role(), "Input": json.dumps({"nightly": True})},
    )

    fired = requests.post(f"{cloud.endpoint_url}/_localcloud/tick", timeout=30).json()["fired"]

    assert [f["ok"] for f in fired] == [True]
    assert wait_for(lambda: _invocations(cloud, name)) == ["echo got {'nightly': True}"]


def test_schedules_fire_on_their_own_when_due(cloud: Cloud) -> None:
    name, rule_arn = _rule_with_lambda_target(cloud, "rate(5 minutes)")
    scheduler = cloud.server.scheduler
    now = datetime.now(UTC)
    scheduler._fire_due(now)  # first sight: due five minutes from now
    assert _invocations(cloud, name) == []

    scheduler._fire_due(now + timedelta(minutes=5, seconds=1))

    seen = wait_for(lambda: _invocations(cloud, name))
    event = ast.literal_eval(seen[0].removeprefix("echo got "))  # the handler printed the dict
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [rule_arn]


def test_put_events_reaches_a_lambda_target_through_a_pattern(cloud: Cloud) -> None:
    name, arn = cloud.function("echo")
    events = cloud.client("events")
    events.put_rule(Name="on-created", EventPattern=json.dumps({"source": ["events.service"]}))
    events.put_targets(Rule="on-created", Targets=[{"Id": "fn", "Arn": arn}])

    events.put_events(Entries=[{"Source": "other", "DetailType": "x", "Detail": "{}"}])
    events.put_events(Entries=[{"Source": "events.service", "DetailType": "EventCreated", "Detail": '{"id": "e1"}'}])

    seen = wait_for(lambda: _invocations(cloud, name))
    assert len(seen) == 1
    assert "'detail': {'id': 'e1'}" in seen[0]
