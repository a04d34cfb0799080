"""tooling/cost/prices.json and tooling.cost.data: every price the model uses is there, sourced and dated."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from typing import Any

import pytest

from tooling.cost import capacity, data, lines, model
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing

CHECKED = "2026-11-30"


def test_every_price_the_model_names_is_in_the_file(cost_data: data.CostData) -> None:
    missing = [key for key in lines.PRICE_KEYS if key not in cost_data.prices]
    assert missing == []
    for key in lines.PRICE_KEYS:
        price = cost_data.prices[key]
        assert price.source.strip()
        assert price.unit.strip()
        assert price.region == "us-east-1"
        assert price.checked == CHECKED
        assert price.evidence in data.EVIDENCE
        if price.evidence != "official":
            assert price.note.strip(), key


def test_the_model_reads_exactly_the_prices_it_names(
    bench: HandlersBench, dev_sizing: Sizing, cost_data: data.CostData
) -> None:
    # Both stream modes and SnapStart, so every optional line is built once.
    variants = [
        dev_sizing,
        dataclasses.replace(dev_sizing, stream_mode="PROVISIONED", stream_shard_count=1, api_snapstart=True),
    ]
    for sizing in variants:
        report = model.cost_report(bench, sizing, cost_data, "dev")
        capacity.capacity_report(bench, sizing, cost_data, "dev", report.usages)
    assert cost_data.prices.used == set(lines.PRICE_KEYS)


def test_every_quota_is_sourced_and_dated(cost_data: data.CostData) -> None:
    for quota in cost_data.quotas.all():
        assert quota.source.strip(), quota.key
        assert quota.checked == CHECKED
        assert quota.region == "us-east-1"


def test_every_assumption_says_why(cost_data: data.CostData) -> None:
    for key, note in cost_data.assumptions.notes.items():
        assert len(note) > 20, key
    for name in ("dev", "staging", "prod", "local"):
        env = cost_data.assumptions.environment(name)
        assert env.monthly_events > 0
        assert set(env.records_per_invocation) == {"publisher", "processor", "sequencer", "analytics"}


def test_the_data_file_links_nowhere() -> None:
    text = data.DATA_FILE.read_text(encoding="utf-8")
    assert re.search(r"https?://|www\.", text) is None


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data.DATA_FILE.read_text(encoding="utf-8"))
    return doc


def test_a_doubtful_price_needs_a_note() -> None:
    doc = copy.deepcopy(_doc())
    doc["prices"]["sns.fifo.publish_payload"]["note"] = ""
    with pytest.raises(data.DataError, match="needs a note"):
        data.parse(doc)


def test_a_price_without_a_source_is_refused() -> None:
    doc = copy.deepcopy(_doc())
    doc["prices"]["kms.request"]["source"] = " "
    with pytest.raises(data.DataError, match="source"):
        data.parse(doc)


def test_a_missing_price_is_named(cost_data: data.CostData) -> None:
    with pytest.raises(data.DataError, match=r"lambda\.riscv\.request"):
        cost_data.prices["lambda.riscv.request"]


def test_prices_are_quoted_as_written(cost_data: data.CostData) -> None:
    assert cost_data.prices["lambda.x86_64.gb_second"].describe() == "0.0000166667 USD per GB-second"
    assert cost_data.prices["kms.request"].describe() == "0.03 USD per 10,000 symmetric key request"
    assert cost_data.prices["kms.request"].unit_price == pytest.approx(0.000003)
