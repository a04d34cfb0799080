"""Settings of deployed resources that the local cloud stores but does not act on, said out loud.

moto stores what Terraform sends and answers it back, so a plan is clean even where the local
cloud then behaves differently from AWS: an SQS mapping's ``ScalingConfig`` is not applied, a
tumbling window never opens, a container-image function is never run. Silently, a fork would
find out in production. Here the deployed state is scanned (every housekeeping pass, and on
the first health read): each setting found is logged once as a warning naming the resource, the
setting and what the local cloud does instead, and the health answer lists what the latest scan
found (``make status`` shows them).

Only what is set and would change behaviour is named: a value equal to what the local cloud does
anyway (``ParallelizationFactor`` 1, a UTC schedule) is not. The README's "Differences from AWS"
explains each one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from localcloud.moto_patches.internals import deployed_functions, lambda_backends, scheduler_backends
from localcloud.moto_patches.serial import holding_moto

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Unemulated:
    resource: str
    setting: str
    instead: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def _functions() -> Iterator[Unemulated]:
    for fn in deployed_functions():
        name = f"function {fn.function_name}"
        if fn.package_type == "Image":
            yield Unemulated(name, "PackageType=Image", "container images are not run; invocations fail")
        runtime = str(fn.run_time or "")
        if runtime and not runtime.startswith("python"):
            yield Unemulated(name, f"Runtime={runtime}", "run as a Python handler by the local cloud's Python")
        if (fn.tracing_config or {}).get("Mode") == "Active":
            yield Unemulated(name, "TracingConfig.Mode=Active", "nothing is traced (Sampled=0)")
        if (fn.vpc_config or {}).get("SubnetIds"):
            yield Unemulated(name, "VpcConfig", "not enforced: the function reaches the local cloud directly")


def _mappings() -> Iterator[Unemulated]:
    for _account, _region, backend in list(lambda_backends.iter_backends()):
        for mapping in list(backend._event_source_mappings.values()):  # type: ignore[attr-defined]
            source = str(mapping.event_source_arn or "").split(":", 5)[-1]
            name = f"mapping {mapping.uuid} ({source})"
            if mapping.scaling_config:
                yield Unemulated(name, "ScalingConfig", "one poller per mapping, batches one after another")
            if mapping.tumbling_window:
                yield Unemulated(name, "TumblingWindowInSeconds", "no windows: records are delivered without state")
            if mapping.parallelization_factor and int(mapping.parallelization_factor) > 1:
                factor = mapping.parallelization_factor
                yield Unemulated(name, f"ParallelizationFactor={factor}", "one batch per shard at a time (factor 1)")
            if mapping.self_managed_event_source or mapping.kafka_config or mapping.document_db_config:
                yield Unemulated(name, "a Kafka, MQ or DocumentDB source", "not polled")
            if mapping.poller_config:
                yield Unemulated(name, "ProvisionedPollerConfig", "ignored")


def _schedules() -> Iterator[Unemulated]:
    for _account, _region, backend in list(scheduler_backends.iter_backends()):
        for group in list(backend.schedule_groups.values()):  # type: ignore[attr-defined]
            for schedule in list(group.schedules.values()):
                name = f"schedule {group.name}/{schedule.name}"
                if schedule.schedule_expression_timezone not in (None, "UTC"):
                    timezone = schedule.schedule_expression_timezone
                    yield Unemulated(name, f"ScheduleExpressionTimezone={timezone}", "fires on UTC")
                if (schedule.flexible_time_window or {}).get("Mode", "OFF") != "OFF":
                    yield Unemulated(name, "FlexibleTimeWindow", "fires on time")


@holding_moto
def scan() -> list[Unemulated]:
    """Every unemulated setting of the resources deployed now."""
    return sorted({*_functions(), *_mappings(), *_schedules()})


class Reporter:
    """Logs each unemulated setting once, the first time a scan finds it."""

    def __init__(self) -> None:
        self._told: set[Unemulated] = set()
        self._lock = threading.Lock()
        self._last: list[Unemulated] | None = None

    @property
    def last(self) -> list[Unemulated]:
        """What the latest scan found (a scan now if there was none): cheap enough for every health read."""
        return self.check() if self._last is None else list(self._last)

    def check(self) -> list[Unemulated]:
        found = scan()
        with self._lock:
            new = [item for item in found if item not in self._told]
            self._told.update(new)
            self._last = found
        for item in new:
            log.warning("not emulated: %s sets %s; the local cloud: %s", item.resource, item.setting, item.instead)
        return found
