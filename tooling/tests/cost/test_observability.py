"""tooling.cost.observability: CloudWatch Logs, KMS, X-Ray and the fixed platform lines."""

from __future__ import annotations

import pytest

from tooling.cost import observability


def test_xray_default_sampling() -> None:
    assert observability.sampled_share(0.5, 1, 0.05) == 1.0
    assert observability.sampled_share(21, 1, 0.05) == pytest.approx((1 + 0.05 * 20) / 21)
