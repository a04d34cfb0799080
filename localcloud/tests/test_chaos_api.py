"""The Chaos API's verbs (LocalStack's, on both path prefixes) and the rules it refuses."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from chaos_support import EFFECTS, FAULTS, faults
from localcloud.testing import Cloud


def test_get_post_patch_delete_answer_the_rules_in_force(cloud: Cloud) -> None:
    s3_east = {"service": "s3", "region": "us-east-1"}
    lambda_any = {"service": "lambda"}
    kinesis = {"service": "kinesis", "operation": "PutRecord", "probability": 0.3}

    assert faults(cloud, "GET") == []
    assert faults(cloud, "POST", [s3_east, lambda_any]) == [s3_east, lambda_any]
    assert faults(cloud, "PATCH", [kinesis]) == [s3_east, lambda_any, kinesis]
    assert faults(cloud, "POST", [kinesis]) == [kinesis]  # POST replaces
    faults(cloud, "PATCH", [s3_east, lambda_any])
    # DELETE removes the rules equal to a posted one; others, and unknown ones, change nothing.
    assert faults(cloud, "DELETE", [{"service": "lambda"}, {"service": "sns"}]) == [kinesis, s3_east]
    assert faults(cloud, "GET") == [kinesis, s3_east]
    assert faults(cloud, "DELETE", []) == []
    faults(cloud, "POST", [kinesis])
    response = requests.delete(cloud.endpoint_url + FAULTS, timeout=10)  # no body: all of them
    assert response.json() == []


def test_both_path_prefixes_serve_the_same_state(cloud: Cloud) -> None:
    rule = {"service": "sqs", "operation": "SendMessage"}
    faults(cloud, "POST", [rule], path="/_localstack/chaos/faults")
    assert faults(cloud, "GET") == [rule]
    faults(cloud, "POST", {"latency": 5}, path=EFFECTS)
    assert faults(cloud, "GET", path="/_localstack/chaos/effects") == {"latency": 5}
    faults(cloud, "POST", [], path="/_localstack/chaos/faults")
    assert faults(cloud, "GET") == []


@pytest.mark.parametrize(
    "rule",
    [
        {"service": "sqs", "probabilty": 0.5},
        {"probability": 2},
        {"count": 0},
        {"phase": "later"},
        {"error": {"statusCode": 200}},
        {"service": "lambda", "effect": "explode"},
        {"service": "sqs", "effect": "crash"},
        {"service": "lambda", "effect": "error", "error": {"code": "X"}},
    ],
)
def test_a_bad_rule_is_refused_and_nothing_changes(cloud: Cloud, rule: dict[str, Any]) -> None:
    faults(cloud, "POST", [{"service": "sns"}])
    response = requests.patch(cloud.endpoint_url + FAULTS, json=[{"service": "sqs"}, rule], timeout=10)
    assert response.status_code == 400
    assert response.json()["message"]
    assert faults(cloud, "GET") == [{"service": "sns"}]
