"""The fault schedule is a function of the seed; the driver opens and closes windows as the load progresses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from chaos.conftest import StubServer
from tooling.chaos.faults import (
    FIRST_START,
    LAST_START,
    FaultDriver,
    FaultTargets,
    FaultWindow,
    HttpFaultApi,
    Rule,
    build_schedule,
)

TARGETS = FaultTargets(
    region="us-east-1",
    table_name="events-local-events",
    fifo_topic_arn="arn:aws:sns:us-east-1:123456789012:events-local-fifo.fifo",
    stream_name="events-local-events",
    processor_function="events-local-processor",
    sequencer_function="events-local-sequencer",
)
KINDS = {
    "fifo-publish-throttled",
    "kinesis-put-throttled",
    "table-throttled",
    "write-conflicts",
    "accept-replies-lost",
    "processor-crash-and-timeout",
    "sequencer-crash-and-timeout",
    "poison-message",
}


def test_the_same_seed_gives_the_same_schedule() -> None:
    assert build_schedule(7, TARGETS) == build_schedule(7, TARGETS)
    assert build_schedule(7, TARGETS) != build_schedule(8, TARGETS)


def test_every_kind_of_fault_is_scheduled_once_inside_the_load() -> None:
    for seed in range(20):
        windows = build_schedule(seed, TARGETS, window_seconds=6)
        assert {w.name for w in windows} == KINDS
        starts = [w.start for w in windows]
        assert starts == sorted(starts)
        assert all(FIRST_START <= s <= LAST_START for s in starts)
        for window in windows:
            assert window.seconds == 0 if window.poison else 4.8 <= window.seconds <= 7.5
            json.dumps(window.to_json())  # what the report and the fault API receive


def test_rules_name_the_deployed_resources_and_bound_the_lambda_faults() -> None:
    windows = {w.name: w for w in build_schedule(3, TARGETS)}
    (publish,) = windows["fifo-publish-throttled"].rules
    assert publish["resource"] == TARGETS.fifo_topic_arn
    assert (publish["service"], publish["operation"], publish["error"]["code"]) == ("sns", "PublishBatch", "Throttling")
    (put,) = windows["kinesis-put-throttled"].rules
    assert put["error"] == {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}
    throttled = windows["table-throttled"].rules
    assert {r["operation"] for r in throttled} >= {"GetItem", "TransactWriteItems", "UpdateItem"}
    assert all(r["resource"] == TARGETS.table_name and 0 < r["probability"] < 1 for r in throttled)
    # Each probabilistic rule draws from its own seeded generator, itself drawn from the run's seed.
    assert len({r["seed"] for r in throttled}) == len(throttled)
    (lost,) = windows["accept-replies-lost"].rules
    assert (lost["operation"], lost["phase"]) == ("TransactWriteItems", "response")
    for name, function in (
        ("processor-crash-and-timeout", TARGETS.processor_function),
        ("sequencer-crash-and-timeout", TARGETS.sequencer_function),
    ):
        rules = windows[name].rules
        assert {(r["effect"], r["count"]) for r in rules} == {("crash", 2), ("timeout", 1)}
        assert all(r["resource"] == function and r["operation"] == "Invoke" for r in rules)
    assert windows["poison-message"].poison
    assert not windows["poison-message"].rules


class FakeApi:
    available = True

    def __init__(self, fail_on_add: bool = False) -> None:
        self.calls: list[tuple[str, list[Rule]]] = []
        self.fail_on_add = fail_on_add

    def add(self, rules: Sequence[Rule]) -> list[Rule]:
        if self.fail_on_add:
            raise RuntimeError("refused")
        self.calls.append(("add", list(rules)))
        return []

    def remove(self, rules: Sequence[Rule]) -> list[Rule]:
        self.calls.append(("remove", list(rules)))
        return []

    def clear(self) -> None:
        self.calls.append(("clear", []))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _driver(api: Any, windows: list[FaultWindow], progress: list[float], clock: Clock) -> FaultDriver:
    return FaultDriver(api, windows, lambda: progress[0], lambda: "marker", started=0.0, clock=clock)


def test_the_driver_opens_on_progress_and_closes_after_the_window_seconds() -> None:
    rule: Rule = {"service": "sqs"}
    windows = [FaultWindow("a", 0.2, 5.0, (rule,)), FaultWindow("poison", 0.5, 0.0, poison=True)]
    api, clock, progress = FakeApi(), Clock(), [0.1]
    driver = _driver(api, windows, progress, clock)
    assert not driver.step()
    assert api.calls == []
    progress[0], clock.now = 0.25, 1.0
    driver.step()
    assert api.calls == [("add", [rule])]
    clock.now = 5.9
    driver.step()
    assert len(api.calls) == 1
    progress[0], clock.now = 0.6, 6.0
    assert driver.step()
    assert api.calls[-1] == ("remove", [rule])
    first, poison = driver.applied
    assert (first.opened, first.closed, first.applied) == (1.0, 6.0, True)
    assert (poison.opened, poison.closed, poison.poison_marker) == (6.0, 6.0, "marker")


def test_a_window_the_api_refuses_is_recorded_not_raised() -> None:
    api, clock = FakeApi(fail_on_add=True), Clock()
    driver = _driver(api, [FaultWindow("a", 0.0, 1.0, ({"service": "sqs"},))], [1.0], clock)
    driver.step()
    clock.now = 2.0
    assert driver.step()
    (entry,) = driver.applied
    assert not entry.applied
    assert entry.error == "open: refused"
    assert api.calls == []  # nothing to remove: it never opened


def test_the_http_client_finds_the_localstack_path_and_never_deletes_everything_by_accident(
    stub_server: StubServer,
) -> None:
    def respond(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/_localcloud/"):
            return 404, {}, {"message": "no such endpoint"}
        return 200, {}, body if isinstance(body, list) else []

    stub_server.respond = respond
    api = HttpFaultApi(stub_server.url)
    assert api.probe()
    assert api.url == f"{stub_server.url}/_localstack/chaos"
    rule: Rule = {"service": "kinesis", "operation": "PutRecord"}
    assert api.add([rule]) == [rule]
    api.remove([])
    api.remove([rule])
    api.clear()
    sent = [(method, path, body) for method, path, _, body in stub_server.requests]
    assert sent == [
        ("GET", "/_localcloud/chaos/faults", None),
        ("GET", "/_localstack/chaos/faults", None),
        ("PATCH", "/_localstack/chaos/faults", [rule]),
        ("GET", "/_localstack/chaos/faults", None),  # removing no rule only reads
        ("DELETE", "/_localstack/chaos/faults", [rule]),
        ("DELETE", "/_localstack/chaos/faults", None),
        ("POST", "/_localstack/chaos/effects", {"latency": 0}),
    ]


@pytest.mark.parametrize("endpoint", ["", "http://127.0.0.1:9"])
def test_no_fault_api_where_nothing_answers(endpoint: str) -> None:
    assert not HttpFaultApi(endpoint, timeout=2).probe()
