"""What an EventBridge Lambda target receives."""

from __future__ import annotations

import json

from localcloud.events.targets import is_lambda_target, target_payload

EVENT = {"version": "0", "id": "e1", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {"n": 1}}
ARN = "arn:aws:lambda:us-east-1:123456789012:function:nightly-job"


def test_the_whole_event_by_default() -> None:
    assert json.loads(target_payload({"Id": "t", "Arn": ARN}, EVENT)) == EVENT


def test_constant_input() -> None:
    assert target_payload({"Id": "t", "Arn": ARN, "Input": '{"mode": "full"}'}, EVENT) == b'{"mode": "full"}'


def test_input_path() -> None:
    assert json.loads(target_payload({"Id": "t", "Arn": ARN, "InputPath": "$.detail"}, EVENT)) == {"n": 1}


def test_input_transformer() -> None:
    transformer = {"InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"count": <n>}'}
    payload = target_payload({"Id": "t", "Arn": ARN, "InputTransformer": transformer}, EVENT)
    assert json.loads(payload) == {"count": 1}


def test_lambda_targets_are_recognised_by_arn() -> None:
    assert is_lambda_target({"Arn": ARN})
    assert not is_lambda_target({"Arn": "arn:aws:sqs:us-east-1:123456789012:q"})
