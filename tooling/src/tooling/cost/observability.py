"""Observability and platform cost lines: CloudWatch Logs, KMS, X-Ray, the VPC endpoints, alarms, schedule.

Added from the data file, since the handlers cannot see them: the log bytes each invocation adds beyond
the measured ones, the API access log, KMS's key-month and the data-key requests of each service
principal, X-Ray's default sampling at the average rate, the interface VPC endpoints' hours and data, the
CloudWatch alarms and the reconciler's EventBridge schedule. Most are fixed monthly costs, divided by the
environment's assumed monthly events.
"""

from __future__ import annotations

from collections.abc import Mapping

from tooling.cost.data import CostData
from tooling.cost.lines import GIB, Line, priced_line
from tooling.cost.sizing import Sizing
from tooling.cost.usage import FUNCTIONS, Usage


def sampled_share(rate_per_second: float, reservoir: float, fixed_rate: float) -> float:
    """Share of requests X-Ray's default rule records: the first `reservoir` per second, then `fixed_rate`."""
    if rate_per_second <= reservoir:
        return 1.0
    return (reservoir + fixed_rate * (rate_per_second - reservoir)) / rate_per_second


def observability_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    prices = data.prices
    seconds = a.number("hours_per_month") * 3600
    log_bytes = sum(u.log_bytes for u in usage.values())
    bench_level = a["bench_log_level"]
    level = "" if sizing.log_level == bench_level else f"; measured at {bench_level}, runs at {sizing.log_level}"
    lines = [
        priced_line(
            "logs.functions",
            "CloudWatch Logs",
            "function logs ingested",
            log_bytes / GIB,
            prices["logs.ingestion"],
            f"{log_bytes:,.0f} bytes per event (measured + {a.number('platform_log_bytes'):g} per invocation){level}",
        ),
        priced_line(
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
        priced_line(
            "kms.key",
            "KMS",
            "customer managed key",
            1 / e.monthly_events,
            prices["kms.key_month"],
            "one key-month",
            fixed=True,
        ),
        priced_line(
            "kms.data_keys",
            "KMS",
            "data-key requests (SQS, SNS, DynamoDB, Kinesis, Logs)",
            fixed_requests / e.monthly_events,
            prices["kms.request"],
            f"{fixed_requests:,.0f} requests a month, one per service principal per {kms['period_seconds']} s",
            fixed=True,
        ),
        priced_line(
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
        priced_line(
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
        priced_line(
            "vpc.endpoint_hours",
            "VPC",
            "interface endpoints",
            endpoint_hours / e.monthly_events,
            prices["vpc.interface_endpoint_hour"],
            f"{endpoints['services']} services x {e.az_count} AZs x {a.number('hours_per_month'):g} h",
            fixed=True,
        ),
        priced_line(
            "vpc.endpoint_data",
            "VPC",
            "interface endpoint data",
            float(endpoints["bytes_per_event"]) / GIB,
            prices["vpc.interface_endpoint_data"],
            f"{endpoints['bytes_per_event']} bytes per event",
        ),
        priced_line(
            "cloudwatch.alarms",
            "CloudWatch",
            "alarms",
            a.number("cloudwatch_alarms") / e.monthly_events,
            prices["cloudwatch.alarm_month"],
            f"{a.number('cloudwatch_alarms'):g} alarms",
            fixed=True,
        ),
        priced_line(
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
