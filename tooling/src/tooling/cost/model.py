"""Cost per million accepted events, line by line: pure arithmetic on measurements, settings and prices.

Inputs: the handlers bench (``measurements``), the environment's Terraform ``sizing`` and the data file
(``data``: prices, quotas, assumptions). No I/O happens here, so tests feed fixed inputs and check numbers.

``cost_report`` is the entry point. It puts together, each module documenting its own part:

* ``duration``: the Lambda duration model, how long one invocation runs and what it bills;
* ``usage``: who runs how often per accepted event, and what each function does per event;
* ``lines``: the cost line (quantity per event times a unit price), and the Lambda and DynamoDB lines;
* ``messaging``: the SNS, SQS and Kinesis lines;
* ``observability``: CloudWatch Logs, KMS, X-Ray, the VPC interface endpoints, alarms and the schedule.

Fixed monthly costs are divided by the environment's assumed monthly events, so a report is per event
and its monthly total is the per-event total times the monthly events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tooling.cost.data import CostData
from tooling.cost.duration import ModelError
from tooling.cost.levers import lever_for
from tooling.cost.lines import ARCHITECTURES, Line, dynamodb_lines, lambda_lines, priced_line
from tooling.cost.measurements import HandlersBench
from tooling.cost.messaging import kinesis_lines, messaging_lines
from tooling.cost.observability import observability_lines
from tooling.cost.sizing import Sizing
from tooling.cost.usage import Usage, stream_records_per_event, usages


@dataclass(frozen=True)
class CostReport:
    env: str
    sizing: Sizing
    architecture: str
    other_architecture: str
    monthly_events: float
    stream_records_per_event: float
    lines: tuple[Line, ...]
    usages: Mapping[str, Usage]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        return sum(line.usd_per_million for line in self.lines)

    @property
    def other_total(self) -> float:
        return sum(line.other_usd_per_million for line in self.lines)

    @property
    def monthly_total(self) -> float:
        return self.total * self.monthly_events / 1e6

    @property
    def dominant(self) -> Line:
        return max(self.lines, key=lambda line: line.usd_per_million)

    @property
    def dominant_lever(self) -> str:
        return lever_for(self.dominant.id)

    def line(self, id_: str) -> Line:
        for line in self.lines:
            if line.id == id_:
                return line
        raise KeyError(id_)


def cost_report(bench: HandlersBench, sizing: Sizing, data: CostData, env: str) -> CostReport:
    """All cost lines of one environment, per accepted event."""
    a = data.assumptions
    e = a.environment(env)
    item_bytes = e.event_bytes + a.number("event_item_overhead_bytes")
    if item_bytes > 1024:
        raise ModelError(
            f"an event item of {item_bytes:g} bytes exceeds 1 KB; the bench's request units assume items of at "
            "most 1 KB, so lower event_bytes or measure larger items"
        )
    usage, notes = usages(bench, sizing, data, env)
    s = stream_records_per_event(data, e.alert_share, e.idempotency_key_share)
    lines = [
        *lambda_lines(usage, sizing, data, e.monthly_events),
        priced_line(
            "apigateway.requests",
            "API Gateway",
            "REST API requests",
            1.0,
            data.prices["apigateway.rest.request"],
            "one POST /v1/events per accepted event",
        ),
        *dynamodb_lines(usage, data, env, s),
        *messaging_lines(usage, sizing, data, env),
        *kinesis_lines(sizing, data, env),
        *observability_lines(usage, sizing, data, env),
    ]
    if sizing.log_level != a["bench_log_level"]:
        notes.append(
            f"{env} logs at {sizing.log_level}, the bench measured {a['bench_log_level']}: "
            "the function log line is a lower bound"
        )
    arch = sizing.architecture
    return CostReport(
        env=env,
        sizing=sizing,
        architecture=arch,
        other_architecture=ARCHITECTURES[1 - ARCHITECTURES.index(arch)],
        monthly_events=e.monthly_events,
        stream_records_per_event=s,
        lines=tuple(lines),
        usages=usage,
        notes=tuple(notes),
    )
