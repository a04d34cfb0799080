"""tooling.cost.messaging: the SNS, SQS and Kinesis lines, against numbers derived by hand."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tooling.cost import messaging, model
from tooling.cost.data import CostData
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing


def test_kinesis_rounds_records_to_payload_units() -> None:
    # AWS's own examples: 5 KB is one PUT payload unit, 45 KB two, 1 MB forty.
    assert messaging.put_payload_units(5 * 1024) == 1
    assert messaging.put_payload_units(25 * 1024) == 1
    assert messaging.put_payload_units(25 * 1024 + 1) == 2
    assert messaging.put_payload_units(45 * 1024) == 2
    # AWS counts KB as 1,024 bytes; its "1 MB record" is 1,000 of them (1 MiB would be 41 units).
    assert messaging.put_payload_units(1000 * 1024) == 40
    assert messaging.put_payload_units(1024 * 1024) == 41
    assert messaging.ingested_kib(700) == 1
    assert messaging.ingested_kib(4.5 * 1024) == 5


def test_kinesis_lines_follow_the_stream_mode(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    on_demand = model.cost_report(bench, dev_sizing, cost_data, "dev")
    assert on_demand.line("kinesis.on_demand.stream_hours").usd_per_million == pytest.approx(730 * 0.04)
    provisioned = dataclasses.replace(dev_sizing, stream_mode="PROVISIONED", stream_shard_count=2)
    report = model.cost_report(bench, provisioned, cost_data, "dev")
    assert report.line("kinesis.provisioned.shard_hours").usd_per_million == pytest.approx(2 * 730 * 0.015)
    assert report.line("kinesis.provisioned.put_payload_units").quantity == 1
    with pytest.raises(KeyError):
        report.line("kinesis.on_demand.stream_hours")


def test_sns_is_billed_per_publish_batch_of_an_invocations_new_events(
    bench: HandlersBench, prod_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    def publishes(events_per_invocation: float) -> float:
        batches = {"publisher": events_per_invocation, "processor": 3, "sequencer": 1, "analytics": 3}
        costs = data_with(env={"prod": {"records_per_invocation": batches}})
        report = model.cost_report(bench, prod_sizing, costs, "prod")
        standard, fifo = report.line("sns.standard.publish"), report.line("sns.fifo.publish")
        assert standard.quantity == fifo.quantity
        return standard.quantity

    # One event per invocation: one request per event; 2.5 events of 700 bytes share one 64 KB request,
    # so 1 / 2.5 = 0.4 requests per event; more than ten still go ten to a request.
    assert publishes(1) == pytest.approx(1.0)
    assert publishes(2.5) == pytest.approx(0.4)
    assert publishes(10) == pytest.approx(0.1)
    assert publishes(20) == pytest.approx(0.1)
