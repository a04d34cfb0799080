"""tooling.cost.model: the whole report of an environment (totals, fixed costs, dominant line, checks).

Inputs are fixed: the fixture bench (tests/cost/fixtures), dev's and prod's captured sizing, and the real
prices.json.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tooling.cost import duration, model
from tooling.cost.data import CostData
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

ARM_GBS, X86_GBS = 0.0000133334, 0.0000166667


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


def test_an_event_item_over_1_kb_is_refused(
    bench: HandlersBench, dev_sizing: Sizing, data_with: Callable[..., CostData]
) -> None:
    with pytest.raises(duration.ModelError, match="1 KB"):
        model.cost_report(bench, dev_sizing, data_with(env={"dev": {"event_bytes": 900}}), "dev")


def test_debug_logging_is_flagged(bench: HandlersBench, dev_sizing: Sizing, cost_data: CostData) -> None:
    report = model.cost_report(bench, dev_sizing, cost_data, "dev")  # dev logs at DEBUG
    assert any("lower bound" in note for note in report.notes)
