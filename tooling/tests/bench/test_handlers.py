"""tooling.bench.handlers and its child: request units, aggregation, and refusing error paths."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.bench import handler_child, handlers


@pytest.mark.parametrize(
    ("operation", "params", "units"),
    [
        ("GetItem", {"ConsistentRead": True}, (1.0, 0.0)),
        ("GetItem", {}, (0.5, 0.0)),
        ("Query", {"ConsistentRead": True}, (1.0, 0.0)),
        ("UpdateItem", {}, (0.0, 1.0)),
        ("PutItem", {}, (0.0, 1.0)),
        # Transactions cost twice a standard write, per item.
        ("TransactWriteItems", {"TransactItems": [{}, {}, {}]}, (0.0, 6.0)),
        ("BatchWriteItem", {"RequestItems": {"t": [{}, {}]}}, (0.0, 2.0)),
        ("DescribeTable", {}, (0.0, 0.0)),
    ],
)
def test_dynamodb_request_units(operation: str, params: dict[str, Any], units: tuple[float, float]) -> None:
    assert handler_child.dynamodb_units(operation, params) == units


def _invocation(label: str, wall: float, calls: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "label": label,
        "wall_ms": wall,
        "cpu_ms": wall / 2,
        "log_bytes": 100,
        "calls": calls,
        "dynamodb_units": {"read": 0.0, "write": 2.0},
        "failures": 0,
        "status": None,
        **extra,
    }


def test_aggregate_groups_warm_invocations_by_batch_size() -> None:
    run = {
        "init": {"wall_ms": 300.0, "cpu_ms": 290.0},
        "invocations": [
            _invocation("first", 200.0, {"dynamodb:UpdateItem": 1}),
            _invocation("records=10", 40.0, {"dynamodb:UpdateItem": 10}),
            _invocation("records=1", 4.0, {"dynamodb:UpdateItem": 1}),
            _invocation("records=10", 60.0, {"dynamodb:UpdateItem": 10, "sns:Publish": 1}),
        ],
    }
    figures = handlers.aggregate("processor", "app.processor", [{"wall_ms": 310.0, "cpu_ms": 1.0}], run)
    assert figures["first_invocation"]["wall_ms"]["median"] == 200.0
    assert figures["init"]["wall_ms"]["n"] == 1
    one, ten = figures["batches"]
    assert (one["records"], ten["records"]) == (1, 10)
    assert ten["wall_ms"]["median"] == 50.0
    assert ten["calls"] == {"dynamodb:UpdateItem": 10.0, "sns:Publish": 0.5}
    assert ten["dynamodb_units"] == {"read": 0.0, "write": 2.0}


@pytest.mark.parametrize("broken", [{"failures": 1}, {"status": 500}])
def test_an_event_that_fails_is_not_measured(broken: dict[str, Any]) -> None:
    run = {"init": {}, "invocations": [_invocation("first", 1.0, {}), _invocation("records=1", 1.0, {}, **broken)]}
    with pytest.raises(handlers.HandlerBenchError, match="would measure an error path"):
        handlers.aggregate("api", "app.app", [], run)
