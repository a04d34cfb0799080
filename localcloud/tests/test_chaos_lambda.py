"""Lambda faults (chaos/faults.py): crash, timeout and error, carried out by the worker
for every invocation of the function, whether invoked directly or by a mapping."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud.testing import Cloud, read_records, wait_for


def _rules(cloud: Cloud, *rules: dict[str, Any]) -> None:
    response = requests.post(f"{cloud.endpoint_url}/_localcloud/chaos/faults", json=list(rules), timeout=10)
    assert response.status_code == 200, response.text


def _invoke(cloud: Cloud, name: str, event: object) -> tuple[dict[str, Any], Any]:
    response = cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return response, json.loads(response["Payload"].read())


def _sqs_event(body: str) -> dict[str, Any]:
    """What the recorder function expects: one SQS-shaped record."""
    return {"Records": [{"messageId": body, "body": body, "attributes": {"ApproximateReceiveCount": "1"}}]}


def _recorder(cloud: Cloud, timeout: int = 5) -> tuple[str, str, Path]:
    records = cloud.record_file()
    name, arn = cloud.function("recorder", env={"RECORD_FILE": str(records)}, timeout=timeout)
    return name, arn, records


def test_crash_kills_the_worker_mid_invocation_and_it_is_replaced(cloud: Cloud) -> None:
    name, arn = cloud.function("echo")
    _, warm = _invoke(cloud, name, {})
    _rules(cloud, {"service": "lambda", "operation": "Invoke", "resource": arn, "effect": "crash", "count": 1})

    response, crashed = _invoke(cloud, name, {})
    _, after = _invoke(cloud, name, {})

    assert response["FunctionError"] == "Unhandled"
    assert crashed["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 1" in crashed["errorMessage"]
    assert after["pid"] != warm["pid"]


def test_timeout_runs_past_the_function_timeout(cloud: Cloud) -> None:
    name, _ = cloud.function("echo", timeout=1)
    _rules(cloud, {"service": "lambda", "resource": name, "effect": "timeout", "count": 1})

    started = time.monotonic()
    response, timed_out = _invoke(cloud, name, {})
    elapsed = time.monotonic() - started

    assert response["FunctionError"] == "Unhandled"
    assert timed_out["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in timed_out["errorMessage"]
    assert 1 <= elapsed < 3
    assert "FunctionError" not in _invoke(cloud, name, {})[0]


def test_error_raises_instead_of_running_the_handler(cloud: Cloud) -> None:
    name, _, records = _recorder(cloud)
    _rules(cloud, {"resource": name, "effect": "error"})

    response, body = _invoke(cloud, name, _sqs_event("first"))

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "InjectedFault"
    assert read_records(records) == []


def test_phase_response_runs_the_handler_then_fails(cloud: Cloud) -> None:
    name, _, records = _recorder(cloud)
    _rules(cloud, {"resource": name, "effect": "error", "phase": "response", "count": 1})

    response, body = _invoke(cloud, name, _sqs_event("done"))

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "InjectedFault"
    assert [r["data"] for r in read_records(records)] == ["done"]  # its effects happened


def test_only_the_named_function_and_never_with_probability_zero(cloud: Cloud) -> None:
    target, _ = cloud.function("echo")
    other, _ = cloud.function("echo")
    _rules(
        cloud,
        {"resource": f"function:{target}", "effect": "error"},
        {"resource": other, "effect": "crash", "probability": 0},
    )

    assert "FunctionError" in _invoke(cloud, target, {})[0]
    for _ in range(5):
        assert "FunctionError" not in _invoke(cloud, other, {})[0]


@pytest.mark.parametrize("effect", ["crash", "timeout", "error"])
def test_an_sqs_mapping_sees_the_failure_and_the_message_comes_back(cloud: Cloud, effect: str) -> None:
    sqs = cloud.client("sqs")
    # Longer than the function's timeout, as AWS requires of a mapped queue.
    url = sqs.create_queue(QueueName=f"chaos-{effect}", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name, _, records = _recorder(cloud, timeout=1)
    _rules(cloud, {"service": "lambda", "operation": "Invoke", "resource": name, "effect": effect, "count": 1})
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)

    sqs.send_message(QueueUrl=url, MessageBody="once")

    seen = wait_for(lambda: read_records(records), timeout=10)
    # The first delivery failed before the handler ran; the second, after the visibility timeout, succeeded.
    assert [(r["data"], r["receives"]) for r in seen] == [("once", "2")]
    assert requests.get(f"{cloud.endpoint_url}/_localcloud/chaos/faults", timeout=5).json() == []
