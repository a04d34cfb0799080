"""tooling.cost.lines: the cost line, and the Lambda and DynamoDB lines, against numbers derived by hand.

Inputs are fixed: the fixture bench (tests/cost/fixtures), dev's captured sizing and the real prices.json.
Dev runs arm64 at 256 MB, so CPU time stretches by 1769 / 256 = 6.91015625.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tooling.cost import model
from tooling.cost.data import CostData
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

ARM_GBS, X86_GBS = 0.0000133334, 0.0000166667


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


def test_the_publishers_mapping_reads_every_stream_record_for_free(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")
    # The mapping reads all 8.05 records of an event before its filter drops all but the new event's INSERT:
    # they are read, not invoked for (1 publisher request per event), and Lambda's stream reads are free.
    assert report.stream_records_per_event == pytest.approx(8.05)
    reads = report.line("dynamodb.stream_reads")
    assert reads.quantity == pytest.approx(8.05)
    assert reads.usd_per_million == 0.0
    assert report.line("lambda.publisher.requests").quantity == pytest.approx(1.0)


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


def test_snapstart_replaces_the_api_init_with_restores(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData
) -> None:
    report = model.cost_report(bench, dataclasses.replace(dev_sizing, api_snapstart=True), cost_data, "dev")
    assert report.line("lambda.api.duration").quantity == pytest.approx(0.063 * 0.25)  # no init billed
    cache = report.line("lambda.api.snapstart_cache")
    assert cache.quantity == pytest.approx(0.25 * 730 * 3600 / 1e6)
    assert cache.fixed
    assert report.line("lambda.api.snapstart_restore").quantity == pytest.approx(0.01 * 0.25)
