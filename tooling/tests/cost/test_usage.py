"""tooling.cost.usage: who runs how often per accepted event, against numbers derived by hand.

Inputs are fixed: the fixture bench (tests/cost/fixtures), dev's and prod's captured sizing, and the real
prices.json. Both run the publisher arm64 at 256 MB, so its CPU time stretches by 1769 / 256 = 6.91015625.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tooling.cost import duration, usage
from tooling.cost.data import CostData
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

SCALE_256 = 1769 / 256


def test_the_stream_carries_a_record_for_every_item_write(cost_data: CostData) -> None:
    # 3 accept items + processor 1 + sequencer 2 + analytics 1 + 5 % alerts x 1 + 50 % keys x 2 = 8.05
    assert usage.stream_records_per_event(cost_data, 0.05, 0.5) == pytest.approx(8.05)


def test_the_publisher_runs_once_per_new_event(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    usages, _ = usage.usages(bench, dev_sizing, cost_data, "dev")
    publisher = usages["publisher"]
    # Its mapping's filter passes only the event item's INSERT and Lambda drops the other 7.05 records of an
    # event without invoking it. Dev assumes 1 new event per invocation: 1 invocation per event (8.05, one per
    # stream record, when the mapping had no filter).
    assert publisher.invocations == pytest.approx(1.0)
    assert publisher.records == 1
    # One new event: CPU 2.5 ms x 6.91 = 17.28 ms, + 2 SNS publishes x 15 + 1 Kinesis put x 12 = 42 ms
    # -> 59.28 -> 60 ms.
    assert publisher.billed_ms == duration.billed_ms(2.5 * SCALE_256 + 2 * 15 + 12) == 60
    assert publisher.calls == {"kinesis:PutRecord": pytest.approx(1.0), "sns:Publish": pytest.approx(2.0)}
    assert "its filter drops the other 7.05 stream records per event" in publisher.basis


def test_other_item_writes_do_not_invoke_the_publisher(
    bench: HandlersBench, dev_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    # Two more item writes per event (say the analytics lane wrote three items): two more stream records,
    # 10.05 per event, and still one publisher invocation per new event.
    records = {"accept": 3, "processor": 1, "sequencer": 2, "analytics": 3, "notifier_per_alert": 1}
    costs = data_with(assumptions={"stream_records": records})
    assert usage.stream_records_per_event(costs, 0.05, 0.5) == pytest.approx(10.05)
    usages, _ = usage.usages(bench, dev_sizing, costs, "dev")
    assert usages["publisher"].invocations == pytest.approx(1.0)


def test_batches_cut_publisher_invocations(
    bench: HandlersBench, prod_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    batches = {"publisher": 10, "processor": 3, "sequencer": 1, "analytics": 3}
    usages, notes = usage.usages(
        bench, prod_sizing, data_with(env={"prod": {"records_per_invocation": batches}}), "prod"
    )
    # 10 new events per invocation: 1/10 of an invocation per event (8.05 / 10 = 0.805 when every
    # stream record counted).
    assert usages["publisher"].invocations == pytest.approx(1 / 10)
    # Ten new events, the bench's largest batch: CPU 14.0 ms x 6.91 = 96.74 ms, + 20 SNS publishes x 15
    # + 10 Kinesis puts x 12 = 420 ms -> 516.74 -> 517 ms.
    assert usages["publisher"].billed_ms == duration.billed_ms(14.0 * SCALE_256 + 20 * 15 + 10 * 12) == 517
    assert not any(note.startswith("publisher") for note in notes)  # measured up to 10 records
    assert usages["processor"].invocations == pytest.approx(1 / 3)


def test_a_batch_beyond_the_bench_is_flagged(
    bench: HandlersBench, prod_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    batches = {"publisher": 20, "processor": 3, "sequencer": 1, "analytics": 3}
    costs = data_with(env={"prod": {"records_per_invocation": batches}})
    usages, notes = usage.usages(bench, prod_sizing, costs, "prod")
    assert usages["publisher"].invocations == pytest.approx(1 / 20)
    assert "publisher: 20 records per invocation, beyond the measured 10 (extrapolated)" in notes


def test_schedules_and_their_runs() -> None:
    assert usage.runs_per_month("rate(5 minutes)", 730) == pytest.approx(8760)
    assert usage.runs_per_month("rate(1 hour)", 730) == pytest.approx(730)
    with pytest.raises(duration.ModelError, match="cron"):
        usage.runs_per_month("cron(0 12 * * ? *)", 730)


def test_assumed_batches_are_capped_at_the_batch_size(
    bench: HandlersBench, prod_sizing: Sizing, cost_data: CostData
) -> None:
    small = dataclasses.replace(prod_sizing, queue_batch_size=2)
    usages, notes = usage.usages(bench, small, cost_data, "prod")
    assert usages["processor"].invocations == pytest.approx(1 / 2)
    assert any("capped at its batch size 2" in note for note in notes)
