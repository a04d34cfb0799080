"""Cost per million accepted events, line by line: pure arithmetic on measurements, settings and prices.

Inputs: the handlers bench (``measurements``), the environment's Terraform ``sizing`` and the data file
(``data``: prices, quotas, assumptions). No I/O happens here, so tests feed fixed inputs and check numbers.

Duration of one invocation (the Lambda duration model)::

    duration_ms = cpu_ms * max(1, 1769 / memory_mb) + sum(calls[op] * latency_ms[op])
    billed_ms   = ceil(duration_ms)                      # Lambda bills 1 ms increments per invocation

``cpu_ms`` is the bench's median CPU time of the handler at that batch size (interpolated between the
measured batch sizes), on the assumption that a full Lambda vCPU is as fast as the bench machine's core
and that arm64 and x86_64 run this Python equally fast: the architecture changes the price, not the
duration. Below 1,769 MB a function has that fraction of a vCPU, so its CPU time stretches. Network time
does not stretch: every AWS call the bench counted adds its assumed in-region latency. A cold start adds
the init CPU and the first call's extra CPU (lazy imports), scaled the same way, billed since August 2025;
with SnapStart (api only) the init is replaced by a restore charge and a cache charge.

Invocations per event (who runs, how often):

* api: one per accepted event (a share of them carries an Idempotency-Key: one more GetItem, a fourth
  transactional item, two more stream records).
* publisher: the table's stream carries a record for every item write, not only new events: the accept
  transaction's three items, the processor's update, the sequencer's two (its lane item and the event),
  the analytics lane update, the notifier's update per alert, and the idempotency key's insert and TTL
  deletion. The mapping has no filter,
  so with ``k`` stream records per invocation the publisher runs ``records_per_event / k`` times per event.
  Its bench batches hold new-event records only; a record of another item is skipped after two lookups,
  so such records are costed at zero beyond the invocation's fixed part (the batch line at zero events).
* processor, sequencer, analytics: one per ``k`` messages (``k`` = the environment's assumed records per
  invocation, at most the configured batch size).
* notifier: SNS pushes one message per invocation, for the alert share of events.
* reconciler: its schedule's runs per month spread over the month's events.

Everything the handlers cannot see is added from the data file: the 'pending' index writes, retried
accepts, redelivered messages and the alert lanes' failed first attempt (conditional failures still
consume units), the stream reads (free
for Lambda), SNS, SQS (SNS's SendMessage into each queue, the pollers' receive and delete per batch and
their idle long polls), Kinesis, CloudWatch Logs, KMS, X-Ray, the VPC interface endpoints and alarms.
Fixed monthly costs are divided by the environment's assumed monthly events. A GB is 2^30 bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cost.data import CostData, Price
from cost.levers import lever_for
from cost.measurements import FunctionBench, HandlersBench
from cost.sizing import Sizing

FUNCTIONS = ("api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler")
QUEUE_CONSUMERS = ("processor", "sequencer")
STREAM_CONSUMERS = ("publisher", "analytics")
GIB = 1024**3
ARCHITECTURES = ("x86_64", "arm64")

# Every price the model reads; a test checks the data file has each and the model reads no other.
PRICE_KEYS = (
    "lambda.x86_64.request",
    "lambda.arm64.request",
    "lambda.x86_64.gb_second",
    "lambda.arm64.gb_second",
    "lambda.snapstart.cache_gb_second",
    "lambda.snapstart.restore_gb",
    "apigateway.rest.request",
    "dynamodb.on_demand.write_request_unit",
    "dynamodb.on_demand.read_request_unit",
    "dynamodb.streams.lambda_read",
    "sns.standard.publish",
    "sns.standard.delivery_sqs",
    "sns.standard.delivery_lambda",
    "sns.fifo.publish",
    "sns.fifo.publish_payload",
    "sns.fifo.delivery_sqs",
    "sns.fifo.delivery_payload",
    "sqs.standard.request",
    "sqs.fifo.request",
    "kinesis.on_demand.stream_hour",
    "kinesis.on_demand.ingest",
    "kinesis.on_demand.retrieval",
    "kinesis.provisioned.shard_hour",
    "kinesis.provisioned.put_payload_unit",
    "logs.ingestion",
    "kms.key_month",
    "kms.request",
    "xray.trace_recorded",
    "vpc.interface_endpoint_hour",
    "vpc.interface_endpoint_data",
    "eventbridge.scheduled_invocation",
    "cloudwatch.alarm_month",
)

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ModelError(Exception):
    """The inputs cannot be combined (a missing latency, an unsupported schedule, an oversized item)."""


# -- the duration model -----------------------------------------------------------------------------


def cpu_scale(memory_mb: float, full_vcpu_mb: float) -> float:
    """How much longer CPU work takes with less than one full vCPU."""
    return max(1.0, full_vcpu_mb / memory_mb)


def modeled_duration_ms(
    cpu_ms: float, calls: Mapping[str, float], memory_mb: float, latency_ms: Mapping[str, float], full_vcpu_mb: float
) -> float:
    unknown = sorted(op for op, n in calls.items() if n > 0 and op not in latency_ms)
    if unknown:
        raise ModelError(f"no assumed latency for {', '.join(unknown)} (add it to assumptions.latency_ms)")
    network = sum(n * float(latency_ms[op]) for op, n in calls.items() if n > 0)
    return cpu_ms * cpu_scale(memory_mb, full_vcpu_mb) + network


def billed_ms(duration_ms: float) -> int:
    """Lambda rounds each invocation up to the next millisecond."""
    return max(1, math.ceil(round(duration_ms, 6)))


@dataclass(frozen=True)
class Invocation:
    records: float
    cpu_ms: float
    duration_ms: float
    billed_ms: int
    calls: Mapping[str, float]
    read_units: float
    write_units: float
    log_bytes: float


class FunctionModel:
    """One function's invocations at its configured memory."""

    def __init__(
        self, bench: FunctionBench, memory_mb: int, latency_ms: Mapping[str, float], full_vcpu_mb: float
    ) -> None:
        self.bench = bench
        self.memory_mb = memory_mb
        self.latency_ms = latency_ms
        self.full_vcpu_mb = full_vcpu_mb

    @property
    def memory_gb(self) -> float:
        return self.memory_mb / 1024

    def invocation(
        self,
        records: float,
        extra_calls: Mapping[str, float] | None = None,
        extra_read_units: float = 0.0,
        extra_write_units: float = 0.0,
    ) -> Invocation:
        point = self.bench.at(records)
        calls = dict(point.calls)
        for op, n in (extra_calls or {}).items():
            calls[op] = calls.get(op, 0.0) + n
        duration = modeled_duration_ms(point.cpu_ms, calls, self.memory_mb, self.latency_ms, self.full_vcpu_mb)
        return Invocation(
            records=records,
            cpu_ms=point.cpu_ms,
            duration_ms=duration,
            billed_ms=billed_ms(duration),
            calls=calls,
            read_units=point.read_units + extra_read_units,
            write_units=point.write_units + extra_write_units,
            log_bytes=point.log_bytes,
        )

    def cold_start_ms(self) -> float:
        """Extra duration of a cold start: init, plus the first call's CPU beyond a warm one's."""
        warm = self.bench.at(1).cpu_ms
        extra_cpu = self.bench.init_cpu_ms + max(0.0, self.bench.first_cpu_ms - warm)
        return extra_cpu * cpu_scale(self.memory_mb, self.full_vcpu_mb)


# -- invocations per event ---------------------------------------------------------------------------


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
    events_per_inv = k["publisher"] / s
    inv = m.invocation(events_per_inv)
    result["publisher"] = _usage(
        "publisher",
        m,
        s / k["publisher"],
        [(1.0, inv)],
        e.cold_start_share,
        cold("publisher", m),
        platform,
        f"{s:.2f} stream records per event, {k['publisher']:g} per invocation ({events_per_inv:.2f} new events); "
        f"{inv.billed_ms} ms",
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
        wanted = events_per_inv if name == "publisher" else k[name]
        if wanted > measured:
            notes.append(
                f"{name}: {wanted:.3g} records per invocation, beyond the measured {measured:g} (extrapolated)"
            )
    return result, notes


# -- cost lines --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One cost line: quantity per accepted event times the unit price."""

    id: str
    service: str
    item: str
    quantity: float
    unit: str
    price_key: str
    unit_price: float
    price_text: str
    basis: str
    fixed: bool = False
    other_unit_price: float | None = None

    @property
    def usd_per_million(self) -> float:
        return self.quantity * self.unit_price * 1e6

    @property
    def other_usd_per_million(self) -> float:
        price = self.unit_price if self.other_unit_price is None else self.other_unit_price
        return self.quantity * price * 1e6


def _line(
    id_: str,
    service: str,
    item: str,
    quantity: float,
    price: Price,
    basis: str,
    fixed: bool = False,
    other: Price | None = None,
) -> Line:
    return Line(
        id=id_,
        service=service,
        item=item,
        quantity=quantity,
        unit=price.unit,
        price_key=price.key,
        unit_price=price.unit_price,
        price_text=price.describe(),
        basis=basis,
        fixed=fixed,
        other_unit_price=None if other is None else other.unit_price,
    )


def sampled_share(rate_per_second: float, reservoir: float, fixed_rate: float) -> float:
    """Share of requests X-Ray's default rule records: the first `reservoir` per second, then `fixed_rate`."""
    if rate_per_second <= reservoir:
        return 1.0
    return (reservoir + fixed_rate * (rate_per_second - reservoir)) / rate_per_second


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


def _lambda_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, e_monthly: float) -> list[Line]:
    prices = data.prices
    arch = sizing.architecture
    other = ARCHITECTURES[1 - ARCHITECTURES.index(arch)]
    lines = []
    for name in FUNCTIONS:
        u = usage[name]
        lines.append(
            _line(
                f"lambda.{name}.requests",
                "Lambda",
                f"{name}: requests",
                u.invocations,
                prices[f"lambda.{arch}.request"],
                u.basis,
                fixed=name == "reconciler",
                other=prices[f"lambda.{other}.request"],
            )
        )
        cold = f"; {u.cold_starts / u.invocations:.1%} cold, +{u.cold_billed_ms} ms each" if u.invocations else ""
        lines.append(
            _line(
                f"lambda.{name}.duration",
                "Lambda",
                f"{name}: duration ({u.memory_gb * 1024:.0f} MB)",
                u.gb_seconds,
                prices[f"lambda.{arch}.gb_second"],
                f"{u.invocations:.4g} x {u.billed_ms:.1f} ms x {u.memory_gb:g} GB{cold}",
                fixed=name == "reconciler",
                other=prices[f"lambda.{other}.gb_second"],
            )
        )
    if sizing.api_snapstart:
        api = usage["api"]
        seconds = data.assumptions.number("hours_per_month") * 3600
        versions = data.assumptions.number("snapstart_versions")
        lines.append(
            _line(
                "lambda.api.snapstart_cache",
                "Lambda",
                "api: SnapStart snapshot cache",
                api.memory_gb * seconds * versions / e_monthly,
                prices["lambda.snapstart.cache_gb_second"],
                f"{versions:g} version x {api.memory_gb:g} GB cached all month",
                fixed=True,
            )
        )
        lines.append(
            _line(
                "lambda.api.snapstart_restore",
                "Lambda",
                "api: SnapStart restores",
                api.cold_starts * api.memory_gb,
                prices["lambda.snapstart.restore_gb"],
                f"{api.cold_starts:.3g} cold starts x {api.memory_gb:g} GB",
            )
        )
    return lines


def _dynamodb_lines(usage: Mapping[str, Usage], data: CostData, env: str, s: float) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    wru, rru = data.prices["dynamodb.on_demand.write_request_unit"], data.prices["dynamodb.on_demand.read_request_unit"]
    lines = []
    for name in FUNCTIONS:
        u = usage[name]
        if u.write_units:
            lines.append(
                _line(
                    f"dynamodb.write.{name}",
                    "DynamoDB",
                    f"write units: {name}",
                    u.write_units,
                    wru,
                    "measured per invocation x invocations per event (transactional items count 2)",
                    fixed=name == "reconciler",
                )
            )
    lines.append(
        _line(
            "dynamodb.write.pending_index",
            "DynamoDB",
            "write units: 'pending' index",
            pending_index_writes(data, e.alert_share),
            wru,
            "event enters and leaves, head rewritten per accept, rewrites while indexed (see gsi_writes)",
        )
    )
    conflict = a["conflict_units"]
    redelivery = a["redelivery_units"]
    alert = a["alert_units"]
    consumers = {"processor": 1.0, "sequencer": 1.0, "analytics": 1.0, "notifier": e.alert_share}
    retry_writes = (
        e.accept_conflict_share * float(conflict["write_units"])
        + e.redelivery_share * sum(weight * float(redelivery[name]["write"]) for name, weight in consumers.items())
        + e.alert_share * float(alert["write"])
    )
    retry_reads = (
        e.accept_conflict_share * float(conflict["read_units"])
        + e.redelivery_share * sum(weight * float(redelivery[name]["read"]) for name, weight in consumers.items())
        + e.alert_share * float(alert["read"])
    )
    retry_basis = (
        f"{e.accept_conflict_share:.1%} lost accept races, {e.redelivery_share:.1%} redelivered messages, "
        f"{e.alert_share:.0%} alerts' first lane"
    )
    lines.append(
        _line("dynamodb.write.retries", "DynamoDB", "write units: failed conditions", retry_writes, wru, retry_basis)
    )
    for name in FUNCTIONS:
        u = usage[name]
        if u.read_units:
            lines.append(
                _line(
                    f"dynamodb.read.{name}",
                    "DynamoDB",
                    f"read units: {name}",
                    u.read_units,
                    rru,
                    "measured per invocation x invocations per event",
                    fixed=name == "reconciler",
                )
            )
    lines.append(
        _line("dynamodb.read.retries", "DynamoDB", "read units: failed conditions", retry_reads, rru, retry_basis)
    )
    lines.append(
        _line(
            "dynamodb.stream_reads",
            "DynamoDB",
            "stream records read by the publisher",
            s,
            data.prices["dynamodb.streams.lambda_read"],
            "every item write is a stream record; GetRecords by a Lambda trigger is free",
        )
    )
    return lines


def _messaging_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    prices = data.prices
    size = e.event_bytes
    chunks = math.ceil(size / 65536)
    seconds = a.number("hours_per_month") * 3600
    pollers = data.quotas.value("lambda.sqs_initial_pollers")
    idle_polls = pollers * seconds / a.number("sqs_long_poll_seconds")
    lines = [
        _line(
            "sns.standard.publish",
            "SNS",
            "standard topic: publishes",
            chunks,
            prices["sns.standard.publish"],
            f"1 publish of {size:g} bytes ({chunks} x 64 KB chunk)",
        ),
        _line(
            "sns.standard.delivery_sqs",
            "SNS",
            "standard topic: deliveries to SQS",
            1.0,
            prices["sns.standard.delivery_sqs"],
            "one subscribed queue",
        ),
        _line(
            "sns.standard.delivery_lambda",
            "SNS",
            "standard topic: deliveries to the notifier",
            e.alert_share,
            prices["sns.standard.delivery_lambda"],
            "filter policy on the type attribute: alert.* only",
        ),
        _line("sns.fifo.publish", "SNS", "FIFO topic: publishes", 1.0, prices["sns.fifo.publish"], "1 per event"),
        _line(
            "sns.fifo.publish_payload",
            "SNS",
            "FIFO topic: payload published",
            size / GIB,
            prices["sns.fifo.publish_payload"],
            f"{size:g} bytes",
        ),
        _line(
            "sns.fifo.delivery_sqs",
            "SNS",
            "FIFO topic: deliveries to SQS FIFO",
            1.0,
            prices["sns.fifo.delivery_sqs"],
            "one subscribed queue",
        ),
        _line(
            "sns.fifo.delivery_payload",
            "SNS",
            "FIFO topic: payload delivered",
            size / GIB,
            prices["sns.fifo.delivery_payload"],
            f"{size:g} bytes",
        ),
    ]
    for lane, consumer in (("standard", "processor"), ("fifo", "sequencer")):
        price = prices[f"sqs.{lane}.request"]
        u = usage[consumer]
        lines += [
            _line(
                f"sqs.{lane}.sends",
                "SQS",
                f"{lane} queue: SendMessage by SNS",
                chunks,
                price,
                "SNS's delivery is a request on the queue (assumed billed to the queue owner)",
            ),
            _line(
                f"sqs.{lane}.batches",
                "SQS",
                f"{lane} queue: {consumer} receive + delete",
                2 * u.invocations,
                price,
                f"ReceiveMessage and DeleteMessageBatch per batch of {u.records:g}",
            ),
            _line(
                f"sqs.{lane}.idle_polls",
                "SQS",
                f"{lane} queue: idle long polls",
                idle_polls / e.monthly_events,
                price,
                f"{pollers:g} pollers x one 20 s poll each, all month: {idle_polls:,.0f} requests",
                fixed=True,
            ),
        ]
    recon = usage["reconciler"]
    lines.append(
        _line(
            "sqs.dlq_depth",
            "SQS",
            "DLQ depth checks (reconciler)",
            recon.calls.get("sqs:GetQueueAttributes", 0.0),
            prices["sqs.standard.request"],
            f"GetQueueAttributes on {a.number('reconciler_dlq_count'):g} queues per run",
            fixed=True,
        )
    )
    return lines


def put_payload_units(record_bytes: float) -> int:
    """Provisioned Kinesis bills each record in 25 KB PUT payload units, rounded up."""
    return max(1, math.ceil(record_bytes / (25 * 1024)))


def ingested_kib(record_bytes: float) -> int:
    """On-demand Kinesis bills data in per record rounded up to the next 1 KB."""
    return max(1, math.ceil(record_bytes / 1024))


def _kinesis_lines(sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    hours = a.number("hours_per_month")
    size = e.event_bytes
    prices = data.prices
    if sizing.stream_mode == "ON_DEMAND":
        kib = ingested_kib(size)
        return [
            _line(
                "kinesis.on_demand.stream_hours",
                "Kinesis",
                "on-demand stream-hours",
                hours / e.monthly_events,
                prices["kinesis.on_demand.stream_hour"],
                f"{hours:g} h a month, one stream",
                fixed=True,
            ),
            _line(
                "kinesis.on_demand.ingest",
                "Kinesis",
                "on-demand data in",
                kib * 1024 / GIB,
                prices["kinesis.on_demand.ingest"],
                f"{size:g} bytes rounded up to {kib} KB",
            ),
            _line(
                "kinesis.on_demand.retrieval",
                "Kinesis",
                "on-demand data out (analytics)",
                size / GIB,
                prices["kinesis.on_demand.retrieval"],
                f"{size:g} bytes read once",
            ),
        ]
    units = put_payload_units(size)
    return [
        _line(
            "kinesis.provisioned.shard_hours",
            "Kinesis",
            "shard-hours",
            sizing.stream_shard_count * hours / e.monthly_events,
            prices["kinesis.provisioned.shard_hour"],
            f"{sizing.stream_shard_count} shards x {hours:g} h a month",
            fixed=True,
        ),
        _line(
            "kinesis.provisioned.put_payload_units",
            "Kinesis",
            "PUT payload units",
            float(units),
            prices["kinesis.provisioned.put_payload_unit"],
            f"{size:g} bytes in 25 KB units",
        ),
    ]


def _observability_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    prices = data.prices
    seconds = a.number("hours_per_month") * 3600
    log_bytes = sum(u.log_bytes for u in usage.values())
    bench_level = a["bench_log_level"]
    level = "" if sizing.log_level == bench_level else f"; measured at {bench_level}, runs at {sizing.log_level}"
    lines = [
        _line(
            "logs.functions",
            "CloudWatch Logs",
            "function logs ingested",
            log_bytes / GIB,
            prices["logs.ingestion"],
            f"{log_bytes:,.0f} bytes per event (measured + {a.number('platform_log_bytes'):g} per invocation){level}",
        ),
        _line(
            "logs.api_access",
            "CloudWatch Logs",
            "API access logs ingested",
            a.number("api_access_log_bytes") / GIB,
            prices["logs.ingestion"],
            f"{a.number('api_access_log_bytes'):g} bytes per request",
        ),
    ]
    kms = a["kms"]
    periods = seconds / float(kms["period_seconds"])
    fixed_requests = periods * (
        float(kms["sqs_queues"]) * float(kms["sqs_requests_per_queue_period"])
        + float(kms["sns_topics"])
        + float(kms["dynamodb_tables"])
        + float(kms["log_groups"])
        + e.kinesis_credentials
    )
    cold = sum(u.cold_starts for u in usage.values()) * float(kms["cold_start_requests"])
    lines += [
        _line(
            "kms.key",
            "KMS",
            "customer managed key",
            1 / e.monthly_events,
            prices["kms.key_month"],
            "one key-month",
            fixed=True,
        ),
        _line(
            "kms.data_keys",
            "KMS",
            "data-key requests (SQS, SNS, DynamoDB, Kinesis, Logs)",
            fixed_requests / e.monthly_events,
            prices["kms.request"],
            f"{fixed_requests:,.0f} requests a month, one per service principal per {kms['period_seconds']} s",
            fixed=True,
        ),
        _line(
            "kms.cold_starts",
            "KMS",
            "environment decryption on cold starts",
            cold,
            prices["kms.request"],
            "one Decrypt per cold start",
        ),
    ]
    xray = a["xray"]
    reservoir, rate = float(xray["reservoir_per_second"]), float(xray["fixed_rate"])
    traces = 0.0
    traced = []
    for name in FUNCTIONS:
        u = usage[name]
        traced_here = bool(xray["functions_active"]) or (name == "api" and bool(xray["api_stage"]))
        if not traced_here:
            continue
        per_second = u.invocations * e.monthly_events / seconds
        share = sampled_share(per_second, reservoir, rate)
        traces += u.invocations * share
        traced.append(f"{name} {u.invocations * share:.3g}")
    lines.append(
        _line(
            "xray.traces",
            "X-Ray",
            "traces recorded",
            traces,
            prices["xray.trace_recorded"],
            "default sampling at the average rate: " + ", ".join(traced),
        )
    )
    endpoints = a["interface_endpoints"]
    endpoint_hours = float(endpoints["services"]) * e.az_count * a.number("hours_per_month")
    lines += [
        _line(
            "vpc.endpoint_hours",
            "VPC",
            "interface endpoints",
            endpoint_hours / e.monthly_events,
            prices["vpc.interface_endpoint_hour"],
            f"{endpoints['services']} services x {e.az_count} AZs x {a.number('hours_per_month'):g} h",
            fixed=True,
        ),
        _line(
            "vpc.endpoint_data",
            "VPC",
            "interface endpoint data",
            float(endpoints["bytes_per_event"]) / GIB,
            prices["vpc.interface_endpoint_data"],
            f"{endpoints['bytes_per_event']} bytes per event",
        ),
        _line(
            "cloudwatch.alarms",
            "CloudWatch",
            "alarms",
            a.number("cloudwatch_alarms") / e.monthly_events,
            prices["cloudwatch.alarm_month"],
            f"{a.number('cloudwatch_alarms'):g} alarms",
            fixed=True,
        ),
        _line(
            "eventbridge.schedule",
            "EventBridge",
            "reconciler schedule",
            usage["reconciler"].invocations,
            prices["eventbridge.scheduled_invocation"],
            sizing.reconcile_schedule_expression,
            fixed=True,
        ),
    ]
    return lines


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
        *_lambda_lines(usage, sizing, data, e.monthly_events),
        _line(
            "apigateway.requests",
            "API Gateway",
            "REST API requests",
            1.0,
            data.prices["apigateway.rest.request"],
            "one POST /v1/events per accepted event",
        ),
        *_dynamodb_lines(usage, data, env, s),
        *_messaging_lines(usage, sizing, data, env),
        *_kinesis_lines(sizing, data, env),
        *_observability_lines(usage, sizing, data, env),
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
