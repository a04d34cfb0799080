"""Cost lines: quantity per accepted event times a unit price, and the Lambda and DynamoDB lines.

A line's quantity comes from what the functions do per event (``usage``) or from the data file: everything
the handlers cannot see is added from there. Here: the 'pending' index writes, retried accepts,
redelivered messages and the alert lanes' failed first attempt (conditional failures still consume units),
the stream reads (free for Lambda) and SnapStart's cache and restores. SNS, SQS and Kinesis are in
``messaging``; CloudWatch Logs, KMS, X-Ray, the VPC interface endpoints, alarms and the schedule in
``observability``. Fixed monthly costs are divided by the environment's assumed monthly events. A GB is
2^30 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tooling.cost.data import CostData, Price
from tooling.cost.sizing import Sizing
from tooling.cost.usage import FUNCTIONS, Usage, pending_index_writes

GIB = 1024**3
ARCHITECTURES = ("x86_64", "arm64")

# Every price the cost lines read (here, in messaging and in observability); a test checks the data file
# has each and the model reads no other.
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


def priced_line(
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


def lambda_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, e_monthly: float) -> list[Line]:
    prices = data.prices
    arch = sizing.architecture
    other = ARCHITECTURES[1 - ARCHITECTURES.index(arch)]
    lines = []
    for name in FUNCTIONS:
        u = usage[name]
        lines.append(
            priced_line(
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
            priced_line(
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
            priced_line(
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
            priced_line(
                "lambda.api.snapstart_restore",
                "Lambda",
                "api: SnapStart restores",
                api.cold_starts * api.memory_gb,
                prices["lambda.snapstart.restore_gb"],
                f"{api.cold_starts:.3g} cold starts x {api.memory_gb:g} GB",
            )
        )
    return lines


def dynamodb_lines(usage: Mapping[str, Usage], data: CostData, env: str, s: float) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    wru, rru = data.prices["dynamodb.on_demand.write_request_unit"], data.prices["dynamodb.on_demand.read_request_unit"]
    lines = []
    for name in FUNCTIONS:
        u = usage[name]
        if u.write_units:
            lines.append(
                priced_line(
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
        priced_line(
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
        priced_line(
            "dynamodb.write.retries", "DynamoDB", "write units: failed conditions", retry_writes, wru, retry_basis
        )
    )
    for name in FUNCTIONS:
        u = usage[name]
        if u.read_units:
            lines.append(
                priced_line(
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
        priced_line("dynamodb.read.retries", "DynamoDB", "read units: failed conditions", retry_reads, rru, retry_basis)
    )
    lines.append(
        priced_line(
            "dynamodb.stream_reads",
            "DynamoDB",
            "stream records read by the publisher",
            s,
            data.prices["dynamodb.streams.lambda_read"],
            "every item write is a stream record, read by the mapping before its filter; GetRecords by a Lambda "
            "trigger is free",
        )
    )
    return lines
