"""The reconciler keeps going past what it cannot repair, and shares its time among the buckets.

A subject whose lane write fails for good (an analytics item DynamoDB refuses with
``ValidationException``), or a bucket whose index query fails, is logged, counted in the
``ReconcileFailures`` metric and skipped; every other subject is still repaired and the
checkpoint is still saved. A bucket that always fills the time budget does not keep the next
run's start: each run starts one bucket further, so every bucket gets repaired.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import aws, components, items, reconcile
from chalicelib.aws import WORST_CALL_SECONDS
from chalicelib.timefmt import format_rfc3339, utc_now
from tests.unit.faults import Fault, Faults
from tooling.moto_stack import MotoStack

JSON = {"Content-Type": "application/json", "x-api-key": "k"}
LATER = timedelta(minutes=10)
# The metric the stack alarms on (terraform/modules/observability).
FAILURE_METRIC = "ReconcileFailures"


@pytest.fixture
def faults(moto_stack: MotoStack) -> Iterator[Faults]:
    injected = Faults()
    injected.attach(aws.client("dynamodb"))
    yield injected
    injected.clear()


def post(client: Client, subject: str, event_type: str = "order.created") -> dict[str, Any]:
    body = {"type": event_type, "subject": subject, "source": "test", "data": {}}
    response = client.http.post("/v1/events", headers=JSON, body=json.dumps(body))
    assert response.status_code == 201, response.body
    created: dict[str, Any] = json.loads(response.body)
    return created


def bucket_number(bucket: str) -> int:
    return int(bucket.removeprefix("PENDING#"))


def subjects_in_two_buckets() -> tuple[str, str]:
    """Two subjects whose heads lie in different pending buckets."""
    names = [f"order-{i}" for i in range(50)]
    first = names[0]
    other = next(n for n in names if items.subject_bucket(n) != items.subject_bucket(first))
    return first, other


def stats(client: Client, subject: str) -> dict[str, Any]:
    response = client.http.get(f"/v1/subjects/{subject}/stats", headers=JSON)
    assert response.status_code == 200, response.body
    found: dict[str, Any] = json.loads(response.body)
    return found


def run_reporting_metrics() -> tuple[dict[str, Any], list[float]]:
    """A reconcile run, and the values of the failure metric in the EMF lines it printed.

    Only the run's own stdout is captured: the logger (built before) keeps its stream, which a
    capture closed after the test would leave closed for every later test.
    """
    reconciler = components.reconciler_at(lambda: utc_now() + LATER)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        report = reconciler.run()
    values = []
    for line in out.getvalue().splitlines():
        if line.startswith("{") and FAILURE_METRIC in line and '"_aws"' in line:
            emitted = json.loads(line)
            # The alarm (terraform/modules/observability) names the namespace and the table.
            assert emitted["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Events"
            assert emitted["table"] == components.repository().table_name
            values += emitted[FAILURE_METRIC]
    return report, values


def analytics_of(subject: str) -> Any:
    def match(params: dict[str, Any]) -> bool:
        return bool(params.get("Key") == items.lane_key(subject, items.ANALYTICS_SK))

    return match


def pending_bucket_query(bucket: str) -> Any:
    def match(params: dict[str, Any]) -> bool:
        wanted = items.values(bucket=bucket)[":bucket"]
        return bool(params.get("ExpressionAttributeValues", {}).get(":bucket") == wanted)

    return match


def test_a_subject_the_reconciler_cannot_repair_is_skipped_counted_and_the_rest_repaired(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    broken, healthy = subjects_in_two_buckets()
    for subject in (broken, healthy):
        post(client, subject)
        post(client, subject, "order.paid")
    # What an analytics item past 400 KB answers to every write: neither poison nor transient.
    faults.add(Fault("dynamodb", "UpdateItem", code="ValidationException", when=analytics_of(broken)))
    repository = components.repository()
    # The broken subject's bucket comes first, as it does when its head is the oldest entry.
    start = bucket_number(items.subject_bucket(broken))
    repository.save_reconciler_checkpoint(start, format_rfc3339(utc_now()))

    report, metric = run_reporting_metrics()

    assert report["failed"] == 1, report
    assert metric == [1.0]
    assert stats(client, healthy)["total"] == 2, "the other subject is repaired"
    assert stats(client, broken)["last_sequence"] == 2, "the broken subject's other lanes are repaired"
    assert repository.reconciler_checkpoint() == (start + 1) % items.PENDING_BUCKETS, "the checkpoint is saved"
    # The head stays in the index: the next run tries the subject again.
    again = components.reconciler_at(lambda: utc_now() + LATER).run()
    assert again["failed"] == 1, again
    assert again["complete"] is True, again


def test_a_bucket_whose_query_fails_is_skipped_counted_and_the_other_buckets_repaired(
    client: Client, moto_stack: MotoStack, faults: Faults
) -> None:
    broken, healthy = subjects_in_two_buckets()
    post(client, healthy)
    bad_bucket = items.subject_bucket(broken)
    faults.add(
        Fault("dynamodb", "Query", code="InternalServerError", status=500, when=pending_bucket_query(bad_bucket))
    )
    repository = components.repository()
    repository.save_reconciler_checkpoint(bucket_number(bad_bucket), format_rfc3339(utc_now()))

    report, metric = run_reporting_metrics()

    assert report["failed"] == 1, report
    assert metric == [1.0]
    assert stats(client, healthy)["total"] == 1


class _EntriesDeadline:
    """A budget of a fixed number of entries per run; a catch-up's own steps always fit."""

    def __init__(self, entries: int) -> None:
        self._left = entries

    def allows(self, seconds: float) -> bool:
        if seconds < WORST_CALL_SECONDS:
            return True
        self._left -= 1
        return self._left >= 0

    def remaining(self) -> float:
        return float("inf")


def test_a_bucket_that_always_fills_the_budget_does_not_starve_the_others(
    client: Client, moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = iter(f"order-fair-{i}" for i in range(1000))
    repository = components.repository()
    cutoff = format_rfc3339(utc_now() + LATER - timedelta(seconds=components.settings().reconcile_after_seconds))

    def depths() -> list[int]:
        return [len(list(repository.pending(b, cutoff))) for b in range(items.PENDING_BUCKETS)]

    while min(depths()) < 3:  # every bucket holds more than a run can repair
        post(client, next(subject))
    before = depths()

    class OneEntryPerRun:
        @staticmethod
        def from_context(context: Any, reserve_seconds: float) -> _EntriesDeadline:
            return _EntriesDeadline(1)

    monkeypatch.setattr(reconcile, "Deadline", OneEntryPerRun)
    repository.save_reconciler_checkpoint(0, format_rfc3339(utc_now()))
    for _ in range(items.PENDING_BUCKETS):
        assert components.reconciler_at(lambda: utc_now() + LATER).run()["complete"] is False

    after = depths()
    assert all(a < b for a, b in zip(after, before, strict=True)), (before, after)
