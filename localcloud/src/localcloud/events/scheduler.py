"""Fires EventBridge schedule rules and EventBridge Scheduler schedules.

moto stores schedules but never fires them. A background thread checks every
``resolution`` seconds and fires what is due, asynchronously as EventBridge
does; ``tick`` fires every enabled schedule now and waits for the Lambda
targets, so a caller (``make tick``, a test) sees their results.

A rate(N unit) schedule first fires N units after the local cloud first saw
it; a cron schedule fires on its UTC minutes.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from localcloud.awslambda.async_invoke import AsyncInvoker
from localcloud.awslambda.executor import FunctionLike, Invocation
from localcloud.awslambda.payloads import scheduled_event
from localcloud.events.schedule_expressions import Schedule, parse
from localcloud.events.targets import is_lambda_target, send_to_other_targets, target_payload
from localcloud.moto_patches.internals import Rule, events_backends, find_function, scheduler_backends, sqs_backends
from localcloud.moto_patches.serial import holding_moto

log = logging.getLogger(__name__)

Invoke = Callable[[FunctionLike, bytes], Invocation]


@dataclass(frozen=True)
class Firing:
    """One scheduled thing: its ARN, expression and its targets as (ARN, payload)."""

    arn: str
    expression: str
    targets: list[tuple[str, bytes]]
    # Delivers to targets that are not Lambda functions.
    deliver_others: Callable[[], None]


@dataclass
class _Timer:
    expression: str
    schedule: Schedule | None
    next_at: datetime | None


class Scheduler:
    def __init__(self, invoke: Invoke, async_invoker: AsyncInvoker, resolution: float) -> None:
        self._invoke = invoke
        self._async = async_invoker
        self._resolution = resolution
        self._timers: dict[str, _Timer] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="localcloud-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def tick(self) -> list[dict[str, Any]]:
        """Fire every enabled schedule now; report each Lambda target's result."""
        results: list[dict[str, Any]] = []
        for firing in list(_firings()):
            firing.deliver_others()
            for arn, payload in firing.targets:
                results.append(self._invoke_now(firing.arn, arn, payload))
        return results

    def _invoke_now(self, source: str, arn: str, payload: bytes) -> dict[str, Any]:
        try:
            result = self._invoke(find_function(arn), payload)
        except Exception as exc:
            return {"schedule": source, "target": arn, "ok": False, "error": str(exc)}
        return {"schedule": source, "target": arn, "ok": not result.is_error, "requestId": result.request_id}

    def _run(self) -> None:
        while not self._stop.wait(self._resolution):
            try:
                self._fire_due(datetime.now(UTC))
            except Exception:
                log.exception("scheduler pass failed")

    def _fire_due(self, now: datetime) -> None:
        seen = set()
        for firing in _firings():
            seen.add(firing.arn)
            timer = self._timer(firing, now)
            if timer.next_at is None or timer.next_at > now:
                continue
            log.info("schedule %s fired", firing.arn)
            firing.deliver_others()
            for arn, payload in firing.targets:
                self._async.submit(functools.partial(find_function, arn), payload)
            timer.next_at = timer.schedule.next_after(now) if timer.schedule else None
        for arn in set(self._timers) - seen:
            del self._timers[arn]

    def _timer(self, firing: Firing, now: datetime) -> _Timer:
        timer = self._timers.get(firing.arn)
        if timer is None or timer.expression != firing.expression:
            try:
                schedule: Schedule | None = parse(firing.expression)
            except ValueError as exc:
                log.warning("%s will not fire on its own: %s (tick still fires it)", firing.arn, exc)
                schedule = None
            timer = _Timer(firing.expression, schedule, schedule.next_after(now) if schedule else None)
            self._timers[firing.arn] = timer
        return timer


@holding_moto
def _firings() -> list[Firing]:
    return [*_rule_firings(), *_scheduler_firings()]


def _rule_firings() -> Iterator[Firing]:
    for account, region, backend in list(events_backends.iter_backends()):
        for bus in list(backend.event_buses.values()):  # type: ignore[attr-defined]
            for rule in list(bus.rules.values()):
                if rule.state != "ENABLED" or not rule.scheduled_expression:
                    continue
                event = scheduled_event(account, region, rule.arn)
                targets = [(t["Arn"], target_payload(t, event)) for t in rule.targets if is_lambda_target(t)]

                def deliver(rule: Rule = rule, event: dict[str, Any] = event) -> None:
                    send_to_other_targets(rule, event, _send_with_moto)

                yield Firing(rule.arn, rule.scheduled_expression, targets, deliver)


@holding_moto
def _send_with_moto(rule: Rule, event: dict[str, Any]) -> None:
    # The rule holds no Lambda target here: the patched method leaves it to moto.
    rule.send_to_targets(cast(Any, event))


def _scheduler_firings() -> Iterator[Firing]:
    for _account, _region, backend in list(scheduler_backends.iter_backends()):
        for group in list(backend.schedule_groups.values()):  # type: ignore[attr-defined]
            for schedule in list(group.schedules.values()):
                if schedule.state != "ENABLED":
                    continue
                target = schedule.target
                payload = str(target.get("Input") or "{}").encode()
                lambdas = [(target["Arn"], payload)] if is_lambda_target(target) else []

                def deliver(target: dict[str, Any] = target) -> None:
                    _deliver_scheduler_target(target)

                yield Firing(schedule.arn, schedule.schedule_expression, lambdas, deliver)


@holding_moto
def _deliver_scheduler_target(target: dict[str, Any]) -> None:
    parts = str(target.get("Arn", "")).split(":")
    if parts[2:3] == ["lambda"]:
        return
    if parts[2:3] == ["sqs"]:
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        sqs_backends[parts[4]][parts[3]].send_message(parts[5], str(target.get("Input") or "{}"), group_id=group)
        return
    log.warning("scheduler target %s is not supported locally", target.get("Arn"))
