"""tooling.cost.capacity: each stage's ceiling from quotas, settings and the duration model."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tooling.cost import capacity, model
from tooling.cost.data import CostData
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

SCALE_256 = 1769 / 256


def _capacity(bench: HandlersBench, sizing: Sizing, data: CostData, env: str) -> capacity.CapacityReport:
    cost = model.cost_report(bench, sizing, data, env)
    return capacity.capacity_report(bench, sizing, data, env, cost.usages)


def test_a_subjects_hottest_item_bounds_it(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = _capacity(bench, dev_sizing, cost_data, "dev")
    # The head takes 2 WRU per accept (transactional); the lanes keep their own items (2 and 1).
    assert report.stage("DynamoDB head item (one partition)").events_per_second == pytest.approx(1000 / 2)
    # Head 2 + sequencer lane 2 + analytics lane 1 + event items 5 share the partition key.
    assert report.stage("DynamoDB subject item collection").events_per_second == pytest.approx(1000 / 10)
    # One GetItem (4 ms) + TransactWriteItems (15 ms) round trip per accept of a subject.
    assert report.stage("accept serialised on the subject's head").events_per_second == pytest.approx(1000 / 19)


def test_the_subjects_items_come_from_the_data_file(
    bench: HandlersBench, dev_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    writes = {"head": 2, "sequencer lane": 4, "analytics lane": 1, "event items": 5}
    report = _capacity(bench, dev_sizing, data_with(assumptions={"subject_partition_writes": writes}), "dev")
    assert report.stage("DynamoDB sequencer lane item (one partition)").events_per_second == pytest.approx(1000 / 4)
    assert report.stage("DynamoDB subject item collection").events_per_second == pytest.approx(1000 / 12)


def test_what_binds_first(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = _capacity(bench, dev_sizing, cost_data, "dev")
    # The mapping's filter passes only new events, so a full batch is 100 of them (not 100 stream records,
    # 12.42 events, as before the filter): CPU (2.5 + 99 x 11.5/9) x 6.91 = 891.4 ms, 200 SNS publishes x 15
    # + 100 Kinesis puts x 12 = 4,200 ms -> 5,091.4 ms; 19.6 events/s a shard (19.4 before).
    events = 100
    duration = (2.5 + (events - 1) * 11.5 / 9) * SCALE_256 + 2 * events * 15 + events * 12
    per_shard = events / (duration / 1000)
    stack = report.binding(capacity.STACK)
    assert stack.name == "DynamoDB stream -> publisher"
    assert stack.events_per_second == pytest.approx(4 * per_shard)
    subject = report.binding(capacity.SUBJECT)
    assert subject.name == "one stream shard -> publisher"
    assert subject.events_per_second == pytest.approx(per_shard)
    assert "stream_parallelization_factor" in stack.lever


def test_a_parallelization_factor_lifts_the_stack_but_not_one_subject(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    one = _capacity(bench, dev_sizing, cost_data, "dev")
    four = _capacity(bench, dataclasses.replace(dev_sizing, stream_parallelization_factor=4), cost_data, "dev")
    for name in ("DynamoDB stream -> publisher", "Kinesis -> analytics"):
        assert four.stage(name).events_per_second == pytest.approx(4 * one.stage(name).events_per_second)
    # A subject's records share a key: one batch at a time whatever the factor.
    for name in ("one stream shard -> publisher", "analytics, one shard"):
        assert four.stage(name).events_per_second == pytest.approx(one.stage(name).events_per_second)


def test_the_api_throttle_comes_from_terraform(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = _capacity(bench, dataclasses.replace(dev_sizing, api_throttling_rate_limit=25), cost_data, "dev")
    stage = report.stage("API stage and usage-plan throttle")
    assert stage.events_per_second == 25
    assert report.binding(capacity.STACK) == stage
    assert report.stage("API Gateway account quota").events_per_second == 10000


def test_fifo_high_throughput_lifts_the_fifo_stages(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    normal = _capacity(bench, dev_sizing, cost_data, "dev")
    assert normal.stage("SNS FIFO topic").events_per_second == 3000
    assert normal.stage("SQS FIFO queue").events_per_second == 300
    high = _capacity(bench, dataclasses.replace(dev_sizing, fifo_high_throughput=True), cost_data, "dev")
    assert high.stage("SNS FIFO topic").events_per_second == 30000
    assert high.stage("SQS FIFO queue").events_per_second == 70000


def test_a_message_group_is_one_batch_at_a_time(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = _capacity(bench, dev_sizing, cost_data, "dev")
    # Ten messages: CPU 22 ms x 6.91 = 152.02 ms + 10 transactions x 15 ms = 302.02 ms.
    duration = 22 * SCALE_256 + 10 * 15
    assert report.stage("sequencer, one message group").events_per_second == pytest.approx(10 / (duration / 1000))


def test_provisioned_kinesis_scales_with_shards(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    sizing = dataclasses.replace(dev_sizing, stream_mode="PROVISIONED", stream_shard_count=3)
    report = _capacity(bench, sizing, cost_data, "dev")
    assert report.stage("Kinesis stream writes").events_per_second == pytest.approx(3 * 1000)


def test_reserved_concurrency_caps_a_consumer(bench: HandlersBench, prod_sizing: Sizing, cost_data: CostData) -> None:
    report = _capacity(bench, prod_sizing, cost_data, "prod")  # processor reserved_concurrency = 20
    duration = 18 * SCALE_256 + 10 * 6  # ten messages: CPU 18 ms x 6.91 + ten UpdateItems x 6 ms
    assert report.stage("processor Lambda").events_per_second == pytest.approx(20 * 10 / (duration / 1000))
    # Every prod function reserves concurrency: there is no shared pool to be a stage.
    with pytest.raises(KeyError):
        report.stage("Lambda account concurrency (shared pool)")
