"""Messaging cost lines: the SNS topics, the SQS queues and the Kinesis stream, per accepted event.

Added from the data file, since the handlers cannot see them: SNS's publishes and deliveries (the
publisher sends each invocation's new events in PublishBatch requests of up to ten, billed per 64 KB
chunk of a request; payload bytes on the FIFO topic), SNS's SendMessage into each queue, the
pollers' receive and delete per batch and their idle long polls, and Kinesis, on-demand (stream-hours,
data in rounded up to 1 KB per record, data out) or provisioned (shard-hours, 25 KB PUT payload units).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tooling.cost.data import CostData
from tooling.cost.lines import GIB, Line, priced_line
from tooling.cost.sizing import Sizing
from tooling.cost.usage import Usage, records_per_invocation

# SNS PublishBatch takes up to ten entries.
PUBLISH_BATCH = 10


def messaging_lines(usage: Mapping[str, Usage], sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    prices = data.prices
    size = e.event_bytes
    chunks = math.ceil(size / 65536)
    seconds = a.number("hours_per_month") * 3600
    pollers = data.quotas.value("lambda.sqs_initial_pollers")
    idle_polls = pollers * seconds / a.number("sqs_long_poll_seconds")
    # One PublishBatch request per topic carries up to ten of an invocation's new events.
    batch = max(1.0, min(float(PUBLISH_BATCH), records_per_invocation(sizing, data, env)[0]["publisher"]))
    requests = math.ceil(batch * size / 65536) / batch
    basis = f"PublishBatch of {batch:g} events of {size:g} bytes per request ({requests:.3g} x 64 KB chunk per event)"
    lines = [
        priced_line(
            "sns.standard.publish", "SNS", "standard topic: publishes", requests, prices["sns.standard.publish"], basis
        ),
        priced_line(
            "sns.standard.delivery_sqs",
            "SNS",
            "standard topic: deliveries to SQS",
            1.0,
            prices["sns.standard.delivery_sqs"],
            "one subscribed queue",
        ),
        priced_line(
            "sns.standard.delivery_lambda",
            "SNS",
            "standard topic: deliveries to the notifier",
            e.alert_share,
            prices["sns.standard.delivery_lambda"],
            "filter policy on the type attribute: alert.* only",
        ),
        priced_line("sns.fifo.publish", "SNS", "FIFO topic: publishes", requests, prices["sns.fifo.publish"], basis),
        priced_line(
            "sns.fifo.publish_payload",
            "SNS",
            "FIFO topic: payload published",
            size / GIB,
            prices["sns.fifo.publish_payload"],
            f"{size:g} bytes",
        ),
        priced_line(
            "sns.fifo.delivery_sqs",
            "SNS",
            "FIFO topic: deliveries to SQS FIFO",
            1.0,
            prices["sns.fifo.delivery_sqs"],
            "one subscribed queue",
        ),
        priced_line(
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
            priced_line(
                f"sqs.{lane}.sends",
                "SQS",
                f"{lane} queue: SendMessage by SNS",
                chunks,
                price,
                "SNS's delivery is a request on the queue (assumed billed to the queue owner)",
            ),
            priced_line(
                f"sqs.{lane}.batches",
                "SQS",
                f"{lane} queue: {consumer} receive + delete",
                2 * u.invocations,
                price,
                f"ReceiveMessage and DeleteMessageBatch per batch of {u.records:g}",
            ),
            priced_line(
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
        priced_line(
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


def kinesis_lines(sizing: Sizing, data: CostData, env: str) -> list[Line]:
    a = data.assumptions
    e = a.environment(env)
    hours = a.number("hours_per_month")
    size = e.event_bytes
    prices = data.prices
    if sizing.stream_mode == "ON_DEMAND":
        kib = ingested_kib(size)
        return [
            priced_line(
                "kinesis.on_demand.stream_hours",
                "Kinesis",
                "on-demand stream-hours",
                hours / e.monthly_events,
                prices["kinesis.on_demand.stream_hour"],
                f"{hours:g} h a month, one stream",
                fixed=True,
            ),
            priced_line(
                "kinesis.on_demand.ingest",
                "Kinesis",
                "on-demand data in",
                kib * 1024 / GIB,
                prices["kinesis.on_demand.ingest"],
                f"{size:g} bytes rounded up to {kib} KB",
            ),
            priced_line(
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
        priced_line(
            "kinesis.provisioned.shard_hours",
            "Kinesis",
            "shard-hours",
            sizing.stream_shard_count * hours / e.monthly_events,
            prices["kinesis.provisioned.shard_hour"],
            f"{sizing.stream_shard_count} shards x {hours:g} h a month",
            fixed=True,
        ),
        priced_line(
            "kinesis.provisioned.put_payload_units",
            "Kinesis",
            "PUT payload units",
            float(units),
            prices["kinesis.provisioned.put_payload_unit"],
            f"{size:g} bytes in 25 KB units",
        ),
    ]
