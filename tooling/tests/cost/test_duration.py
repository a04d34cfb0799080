"""tooling.cost.duration: the Lambda duration model, against numbers derived by hand.

Dev runs arm64 at 256 MB, so CPU time stretches by 1769 / 256 = 6.91015625.
"""

from __future__ import annotations

import pytest

from tooling.cost import duration
from tooling.cost.measurements import HandlersBench

SCALE_256 = 1769 / 256


def test_cpu_scales_below_one_vcpu_only() -> None:
    assert duration.cpu_scale(256, 1769) == pytest.approx(6.91015625)
    assert duration.cpu_scale(1769, 1769) == 1.0
    assert duration.cpu_scale(4096, 1769) == 1.0  # more than a vCPU does not speed up one thread


def test_duration_is_scaled_cpu_plus_call_latency() -> None:
    latency = {"dynamodb:GetItem": 4.0, "dynamodb:TransactWriteItems": 15.0}
    calls = {"dynamodb:GetItem": 1.0, "dynamodb:TransactWriteItems": 1.0}
    modeled = duration.modeled_duration_ms(6.0, calls, 256, latency, 1769)
    assert modeled == pytest.approx(6.0 * SCALE_256 + 4 + 15)  # 60.4609375
    assert duration.billed_ms(modeled) == 61


def test_billing_rounds_each_invocation_up_to_a_millisecond() -> None:
    assert duration.billed_ms(60.0) == 60
    assert duration.billed_ms(60.0001) == 61
    assert duration.billed_ms(0.2) == 1


def test_an_unknown_aws_call_needs_an_assumed_latency() -> None:
    with pytest.raises(duration.ModelError, match="s3:GetObject"):
        duration.modeled_duration_ms(1.0, {"s3:GetObject": 1.0}, 128, {"dynamodb:GetItem": 4.0}, 1769)


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
