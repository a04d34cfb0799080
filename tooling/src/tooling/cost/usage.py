"""Invocations per event (who runs, how often), and what each function does per accepted event.

Pure arithmetic on the bench (``measurements``), the environment's ``sizing`` and the data file (``data``),
through the Lambda duration model (``duration``):

* api: one per accepted event (a share of them carries an Idempotency-Key: one more GetItem, a fourth
  transactional item, two more stream records).
* publisher: the table's stream carries a record for every item write, not only new events: the accept
  transaction's three items, the processor's update, the sequencer's two (its lane item and the event),
  the analytics lane update, the notifier's update per alert, and the idempotency key's insert and TTL
  deletion. The mapping's filter (Terraform: the stack's publisher_filter_pattern) passes only an event
  item no consumer has marked yet: ``entity = event`` with no ``sequence``, ``processed_at`` or
  ``notified_at``, i.e. the event's INSERT. Lambda drops the other records without invoking the function,
  so with ``k`` new events per invocation the publisher runs ``1 / k`` times per event, whatever the
  records per event. Its bench batches hold new-event records only, which is what the filter lets through.
  The mapping still reads every record from the stream, free for Lambda (the ``dynamodb.stream_reads`` line).
* processor, sequencer, analytics: one per ``k`` messages (``k`` = the environment's assumed records per
  invocation, at most the configured batch size).
* notifier: SNS pushes one message per invocation, for the alert share of events.
* reconciler: its schedule's runs per month spread over the month's events.

The stream records per event (the report's figure and the free stream-reads line) and the 'pending' index
writes (for the DynamoDB lines and the index's capacity stage) are counted here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tooling.cost.data import CostData
from tooling.cost.duration import FunctionModel, Invocation, ModelError, billed_ms
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

FUNCTIONS = ("api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler")
QUEUE_CONSUMERS = ("processor", "sequencer")
STREAM_CONSUMERS = ("publisher", "analytics")

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def runs_per_month(schedule: str, hours_per_month: float) -> float:
    match = _RATE.match(schedule.strip())
    if not match:
        raise ModelError(f"cannot count the runs of {schedule!r}: only rate(N minutes|hours|days) is modelled")
    every = int(match.group(1)) * _RATE_SECONDS[match.group(2).rstrip("s")]
    return hours_per_month * 3600 / every


def stream_records_per_event(data: CostData, alert_share: float, idempotency_share: float) -> float:
    records = data.assumptions["stream_records"]
    idem = data.assumptions["idempotency_extra"]
    return (
        float(records["accept"])
        + float(records["processor"])
        + float(records["sequencer"])
        + float(records["analytics"])
        + float(records["notifier_per_alert"]) * alert_share
        + float(idem["stream_records"]) * idempotency_share
    )


def pending_index_writes(data: CostData, alert_share: float) -> float:
    """Write units on the 'pending' index per event (assumptions.gsi_writes)."""
    gsi = data.assumptions["gsi_writes"]
    per_event = sum(float(v) for v in gsi["per_event"].values())
    per_alert = sum(float(v) for v in gsi["per_alert"].values())
    return per_event + alert_share * per_alert


@dataclass(frozen=True)
class Usage:
    """What one function does per accepted event."""

    name: str
    invocations: float
    records: float
    billed_ms: float
    memory_gb: float
    gb_seconds: float
    cold_starts: float
    cold_billed_ms: int
    read_units: float
    write_units: float
    log_bytes: float
    calls: Mapping[str, float]
    basis: str


def _usage(
    name: str,
    model: FunctionModel,
    invocations: float,
    variants: list[tuple[float, Invocation]],
    cold_share: float,
    cold_billed: int,
    platform_log_bytes: float,
    basis: str,
) -> Usage:
    mean_billed = sum(weight * inv.billed_ms for weight, inv in variants)
    calls: dict[str, float] = {}
    for weight, inv in variants:
        for op, n in inv.calls.items():
            calls[op] = calls.get(op, 0.0) + weight * n * invocations
    cold_starts = invocations * cold_share
    gb_seconds = invocations * mean_billed / 1000 * model.memory_gb + cold_starts * cold_billed / 1000 * model.memory_gb
    return Usage(
        name=name,
        invocations=invocations,
        records=variants[0][1].records,
        billed_ms=mean_billed,
        memory_gb=model.memory_gb,
        gb_seconds=gb_seconds,
        cold_starts=cold_starts,
        cold_billed_ms=cold_billed,
        read_units=invocations * sum(w * inv.read_units for w, inv in variants),
        write_units=invocations * sum(w * inv.write_units for w, inv in variants),
        log_bytes=invocations * (sum(w * inv.log_bytes for w, inv in variants) + platform_log_bytes),
        calls=calls,
        basis=basis,
    )


def records_per_invocation(sizing: Sizing, data: CostData, env: str) -> tuple[dict[str, float], list[str]]:
    """The assumed records per invocation, capped at each mapping's batch size."""
    assumed = data.assumptions.environment(env).records_per_invocation
    limits = {
        "publisher": sizing.stream_batch_size,
        "analytics": sizing.stream_batch_size,
        "processor": sizing.queue_batch_size,
        "sequencer": sizing.queue_batch_size,
    }
    notes = []
    capped = {}
    for name, limit in limits.items():
        capped[name] = min(assumed[name], float(limit))
        if assumed[name] > limit:
            notes.append(f"{name}: assumed {assumed[name]:g} records per invocation, capped at its batch size {limit}")
    return capped, notes


def usages(bench: HandlersBench, sizing: Sizing, data: CostData, env: str) -> tuple[dict[str, Usage], list[str]]:
    a = data.assumptions
    e = a.environment(env)
    full_vcpu = data.quotas.value("lambda.full_vcpu_memory_mb")
    latency = {op: float(ms) for op, ms in a["latency_ms"].items()}
    platform = a.number("platform_log_bytes")
    idem = a["idempotency_extra"]
    k, notes = records_per_invocation(sizing, data, env)
    s = stream_records_per_event(data, e.alert_share, e.idempotency_key_share)

    def model(name: str) -> FunctionModel:
        return FunctionModel(bench[name], sizing.functions[name].memory_size, latency, full_vcpu)

    def cold(name: str, m: FunctionModel) -> int:
        if name == "api" and sizing.api_snapstart:
            return 0  # restored from the snapshot: charged per GB restored instead
        return billed_ms(m.cold_start_ms())

    result: dict[str, Usage] = {}
    m = model("api")
    p = e.idempotency_key_share
    plain = m.invocation(1)
    keyed = m.invocation(
        1,
        extra_calls={op: float(n) for op, n in idem["calls"].items()},
        extra_read_units=float(idem["read_units"]),
        extra_write_units=float(idem["write_units"]),
    )
    result["api"] = _usage(
        "api",
        m,
        1.0,
        [(1 - p, plain), (p, keyed)],
        e.cold_start_share,
        cold("api", m),
        platform,
        f"1 per event; {plain.billed_ms} ms, {keyed.billed_ms} ms with an Idempotency-Key ({p:.0%} of events)",
    )
    m = model("publisher")
    inv = m.invocation(k["publisher"])
    result["publisher"] = _usage(
        "publisher",
        m,
        1 / k["publisher"],
        [(1.0, inv)],
        e.cold_start_share,
        cold("publisher", m),
        platform,
        f"{k['publisher']:g} new event{'' if k['publisher'] == 1 else 's'} per invocation; its filter drops the "
        f"other {s - 1:.2f} stream records per event; {inv.billed_ms} ms",
    )
    for name in ("processor", "sequencer", "analytics"):
        m = model(name)
        inv = m.invocation(k[name])
        result[name] = _usage(
            name,
            m,
            1 / k[name],
            [(1.0, inv)],
            e.cold_start_share,
            cold(name, m),
            platform,
            f"{k[name]:g} record{'' if k[name] == 1 else 's'} per invocation; {inv.billed_ms} ms",
        )
    m = model("notifier")
    inv = m.invocation(1)
    result["notifier"] = _usage(
        "notifier",
        m,
        e.alert_share,
        [(1.0, inv)],
        e.cold_start_share,
        cold("notifier", m),
        platform,
        f"{e.alert_share:.0%} of events are alert.*; {inv.billed_ms} ms",
    )
    m = model("reconciler")
    runs = runs_per_month(sizing.reconcile_schedule_expression, a.number("hours_per_month"))
    inv = m.invocation(1)
    result["reconciler"] = _usage(
        "reconciler",
        m,
        runs / e.monthly_events,
        [(1.0, inv)],
        e.cold_start_share,
        cold("reconciler", m),
        platform,
        f"{runs:,.0f} runs a month ({sizing.reconcile_schedule_expression}) over {e.monthly_events:,.0f} events; "
        f"{inv.billed_ms} ms",
    )
    for name in STREAM_CONSUMERS + QUEUE_CONSUMERS:
        measured = bench[name].max_records
        if k[name] > measured:
            notes.append(
                f"{name}: {k[name]:.3g} records per invocation, beyond the measured {measured:g} (extrapolated)"
            )
    return result, notes
