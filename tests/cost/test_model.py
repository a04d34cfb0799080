"""scripts/cost/model.py: the duration model and cost lines, against numbers derived by hand.

Inputs are fixed: the fixture bench (tests/cost/fixtures), dev's and prod's captured sizing, and the real
prices.json. Dev runs arm64 at 256 MB, so CPU time stretches by 1769 / 256 = 6.91015625.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from cost import model
from cost.data import CostData
from cost.measurements import HandlersBench
from cost.sizing import Sizing

SCALE_256 = 1769 / 256
ARM_GBS, X86_GBS = 0.0000133334, 0.0000166667


def test_cpu_scales_below_one_vcpu_only() -> None:
    assert model.cpu_scale(256, 1769) == pytest.approx(6.91015625)
    assert model.cpu_scale(1769, 1769) == 1.0
    assert model.cpu_scale(4096, 1769) == 1.0  # more than a vCPU does not speed up one thread


def test_duration_is_scaled_cpu_plus_call_latency() -> None:
    latency = {"dynamodb:GetItem": 4.0, "dynamodb:TransactWriteItems": 15.0}
    calls = {"dynamodb:GetItem": 1.0, "dynamodb:TransactWriteItems": 1.0}
    duration = model.modeled_duration_ms(6.0, calls, 256, latency, 1769)
    assert duration == pytest.approx(6.0 * SCALE_256 + 4 + 15)  # 60.4609375
    assert model.billed_ms(duration) == 61


def test_billing_rounds_each_invocation_up_to_a_millisecond() -> None:
    assert model.billed_ms(60.0) == 60
    assert model.billed_ms(60.0001) == 61
    assert model.billed_ms(0.2) == 1


def test_an_unknown_aws_call_needs_an_assumed_latency() -> None:
    with pytest.raises(model.ModelError, match="s3:GetObject"):
        model.modeled_duration_ms(1.0, {"s3:GetObject": 1.0}, 128, {"dynamodb:GetItem": 4.0}, 1769)


def test_batch_points_interpolate_linearly(bench: HandlersBench) -> None:
    publisher = bench["publisher"]  # 1 record: 2.5 ms, 10 records: 14.0 ms
    per_record = (14.0 - 2.5) / 9
    four = publisher.at(4)
    assert four.cpu_ms == pytest.approx(2.5 + 3 * per_record)
    assert four.calls == {"kinesis:PutRecord": pytest.approx(4.0), "sns:Publish": pytest.approx(8.0)}
    assert four.log_bytes == pytest.approx(250 + 3 * (2300 - 250) / 9)
    # Zero records leave the fixed part of an invocation; past 10 the same line goes on.
    assert publisher.at(0).cpu_ms == pytest.approx(2.5 - per_record)
    assert publisher.at(20).cpu_ms == pytest.approx(2.5 + 19 * per_record)
    # A function measured at one batch size costs the same whatever the records.
    assert bench["api"].at(3).cpu_ms == 6.0


def test_api_gb_seconds_line(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")
    # Without a key: 6.0 ms CPU x 6.91 + GetItem 4 + TransactWriteItems 15 = 60.46 -> 61 ms;
    # with one (50 %): + GetItem 4 -> 65 ms; mean 63 ms. Cold (1 %): (450 + 40 - 6) x 6.91 = 3344.5 -> 3345 ms.
    gb_seconds = 1 * 0.063 * 0.25 + 0.01 * 3.345 * 0.25
    line = report.line("lambda.api.duration")
    assert line.quantity == pytest.approx(gb_seconds)  # 0.0241125
    assert line.usd_per_million == pytest.approx(gb_seconds * ARM_GBS * 1e6)
    assert line.other_usd_per_million == pytest.approx(gb_seconds * X86_GBS * 1e6)
    assert report.line("lambda.api.requests").usd_per_million == pytest.approx(0.20)


def test_publisher_runs_for_every_stream_record(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")
    # 3 accept items + processor 1 + sequencer 2 + analytics 1 + 5 % alerts x 1 + 50 % keys x 2 = 8.05
    assert report.stream_records_per_event == pytest.approx(8.05)
    assert report.line("lambda.publisher.requests").quantity == pytest.approx(8.05)  # one record per invocation
    usage = report.usages["publisher"]
    # 1/8.05 new events per invocation: CPU 2.5 - (1 - 1/8.05) x 11.5/9 = 1.381 ms x 6.91 = 9.54 ms,
    # + 2/8.05 SNS publishes x 15 + 1/8.05 Kinesis puts x 12 = 5.22 ms -> 14.76 -> 15 ms.
    assert usage.billed_ms == 15


def test_prod_batches_cut_publisher_invocations(bench: HandlersBench, prod_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, prod_sizing, cost_data, "prod")
    assert report.line("lambda.publisher.requests").quantity == pytest.approx(8.05 / 10)
    assert report.line("lambda.processor.requests").quantity == pytest.approx(1 / 3)


def test_transactional_items_cost_two_write_units(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")
    # Three transactional items measured (6 WRU), half the accepts carry a fourth (2 WRU).
    api = report.line("dynamodb.write.api")
    assert api.quantity == pytest.approx(6 + 0.5 * 2)
    assert api.usd_per_million == pytest.approx(7 * 0.625)
    assert report.line("dynamodb.write.sequencer").quantity == pytest.approx(4)  # a two-item transaction
    # The event enters and leaves, the head is rewritten, the sequencer is first half the time; alerts +1.
    assert report.line("dynamodb.write.pending_index").quantity == pytest.approx(1 + 1 + 1 + 0.5 + 0.05 * 1)
    assert report.line("dynamodb.stream_reads").usd_per_million == 0.0  # Lambda's stream reads are free


def test_failed_conditions_still_cost_units(
    bench: HandlersBench, dev_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    costs = data_with(env={"dev": {"accept_conflict_share": 0.1, "redelivery_share": 0.0}})
    report = model.cost_report(bench, dev_sizing, costs, "dev")
    # A lost race re-reads the head (1 RRU) and its cancelled transaction consumes 6 WRU; the first lane
    # to reach an alert (5 %) fails the write that would also leave the index (1 WRU).
    assert report.line("dynamodb.write.retries").quantity == pytest.approx(0.1 * 6 + 0.05 * 1)
    assert report.line("dynamodb.read.retries").quantity == pytest.approx(0.1)
    redelivered = data_with(env={"dev": {"accept_conflict_share": 0.0, "redelivery_share": 0.5}})
    report = model.cost_report(bench, dev_sizing, redelivered, "dev")
    # Processor 2, sequencer 4, analytics 0, notifier 2 x 5 % writes per redelivery, plus the alerts' 0.05.
    assert report.line("dynamodb.write.retries").quantity == pytest.approx(0.5 * (2 + 4 + 0 + 0.05 * 2) + 0.05)


def test_kinesis_rounds_records_to_payload_units() -> None:
    # AWS's own examples: 5 KB is one PUT payload unit, 45 KB two, 1 MB forty.
    assert model.put_payload_units(5 * 1024) == 1
    assert model.put_payload_units(25 * 1024) == 1
    assert model.put_payload_units(25 * 1024 + 1) == 2
    assert model.put_payload_units(45 * 1024) == 2
    # AWS counts KB as 1,024 bytes; its "1 MB record" is 1,000 of them (1 MiB would be 41 units).
    assert model.put_payload_units(1000 * 1024) == 40
    assert model.put_payload_units(1024 * 1024) == 41
    assert model.ingested_kib(700) == 1
    assert model.ingested_kib(4.5 * 1024) == 5


def test_kinesis_lines_follow_the_stream_mode(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    on_demand = model.cost_report(bench, dev_sizing, cost_data, "dev")
    assert on_demand.line("kinesis.on_demand.stream_hours").usd_per_million == pytest.approx(730 * 0.04)
    provisioned = dataclasses.replace(dev_sizing, stream_mode="PROVISIONED", stream_shard_count=2)
    report = model.cost_report(bench, provisioned, cost_data, "dev")
    assert report.line("kinesis.provisioned.shard_hours").usd_per_million == pytest.approx(2 * 730 * 0.015)
    assert report.line("kinesis.provisioned.put_payload_units").quantity == 1
    with pytest.raises(KeyError):
        report.line("kinesis.on_demand.stream_hours")


def test_fixed_costs_are_spread_over_the_months_events(
    bench: HandlersBench, dev_sizing: Sizing, prod_sizing: Sizing, cost_data: CostData
) -> None:
    dev = model.cost_report(bench, dev_sizing, cost_data, "dev")  # 1 million events a month
    prod = model.cost_report(bench, prod_sizing, cost_data, "prod")  # 100 million
    endpoints = 3 * 2 * 730 * 0.01  # 3 services x 2 AZs x 730 h x 0.01 USD = 43.80 USD a month
    assert dev.line("vpc.endpoint_hours").usd_per_million == pytest.approx(endpoints)
    assert prod.line("vpc.endpoint_hours").usd_per_million == pytest.approx(endpoints / 100)
    assert dev.line("kms.key").usd_per_million == pytest.approx(1.0)
    idle = 5 * 730 * 3600 / 20  # five pollers, one 20 s long poll each, all month
    assert dev.line("sqs.standard.idle_polls").quantity == pytest.approx(idle / 1e6)
    assert dev.line("lambda.reconciler.requests").quantity == pytest.approx(8760 / 1e6)  # rate(5 minutes)
    assert dev.line("vpc.endpoint_hours").fixed
    assert not dev.line("apigateway.requests").fixed


def test_totals_and_the_other_architecture(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")
    assert report.total == pytest.approx(sum(line.usd_per_million for line in report.lines))
    assert report.monthly_total == pytest.approx(report.total)  # one million events a month
    # Only GB-seconds differ between architectures.
    gb_seconds = sum(line.quantity for line in report.lines if line.id.endswith(".duration"))
    assert report.other_total - report.total == pytest.approx(gb_seconds * (X86_GBS - ARM_GBS) * 1e6)
    assert report.architecture == "arm64"
    assert report.other_architecture == "x86_64"


def test_the_dominant_line_is_named_with_its_lever(
    bench: HandlersBench, dev_sizing: Sizing, prod_sizing: Sizing, cost_data: CostData
) -> None:
    dev = model.cost_report(bench, dev_sizing, cost_data, "dev")
    assert dev.dominant.id == "vpc.endpoint_hours"
    assert dev.dominant.usd_per_million == max(line.usd_per_million for line in dev.lines)
    assert "az_count" in dev.dominant_lever
    prod = model.cost_report(bench, prod_sizing, cost_data, "prod")
    assert prod.dominant.id == "dynamodb.write.api"
    assert "transaction" in prod.dominant_lever


def test_xray_default_sampling() -> None:
    assert model.sampled_share(0.5, 1, 0.05) == 1.0
    assert model.sampled_share(21, 1, 0.05) == pytest.approx((1 + 0.05 * 20) / 21)


def test_schedules_and_their_runs() -> None:
    assert model.runs_per_month("rate(5 minutes)", 730) == pytest.approx(8760)
    assert model.runs_per_month("rate(1 hour)", 730) == pytest.approx(730)
    with pytest.raises(model.ModelError, match="cron"):
        model.runs_per_month("cron(0 12 * * ? *)", 730)


def test_assumed_batches_are_capped_at_the_batch_size(
    bench: HandlersBench, prod_sizing: Sizing, cost_data: CostData
) -> None:
    small = dataclasses.replace(prod_sizing, queue_batch_size=2)
    report = model.cost_report(bench, small, cost_data, "prod")
    assert report.line("lambda.processor.requests").quantity == pytest.approx(1 / 2)
    assert any("capped at its batch size 2" in note for note in report.notes)


def test_an_event_item_over_1_kb_is_refused(
    bench: HandlersBench, dev_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    with pytest.raises(model.ModelError, match="1 KB"):
        model.cost_report(bench, dev_sizing, data_with(env={"dev": {"event_bytes": 900}}), "dev")


def test_snapstart_replaces_the_api_init_with_restores(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    report = model.cost_report(bench, dataclasses.replace(dev_sizing, api_snapstart=True), cost_data, "dev")
    assert report.line("lambda.api.duration").quantity == pytest.approx(0.063 * 0.25)  # no init billed
    cache = report.line("lambda.api.snapstart_cache")
    assert cache.quantity == pytest.approx(0.25 * 730 * 3600 / 1e6)
    assert cache.fixed
    assert report.line("lambda.api.snapstart_restore").quantity == pytest.approx(0.01 * 0.25)


def test_debug_logging_is_flagged(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")  # dev logs at DEBUG
    assert any("lower bound" in note for note in report.notes)
