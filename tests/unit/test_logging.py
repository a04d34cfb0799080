"""One log call is one JSON line.

Powertools' logger and Chalice both log through the ``events`` logger; Chalice, left to
configure logs, adds its own plain-text handler, so every call was written twice (once as
``events - INFO - ...``, once as JSON): twice the CloudWatch Logs ingestion, and lines that
JSON-only queries cannot read. A fresh interpreter imports the app as Lambda does, so no
other test's logging set-up can hide a second handler.

The lines written while the API handles a POST carry API Gateway's request id and, once it is
known, the event's id: ``make trace EVENT=<id>`` finds the API's hop by them.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tooling.moto_stack import MAX_RECEIVE_COUNT, MotoStack, api_event, sqs_event_from_bodies
from tooling.repository import APP_DIR

SCRIPT = """
import app
from chalicelib import components
components.logger().info("one call", extra={"marker": 7})
app.app.log.warning("through chalice's logger")
"""


def test_one_log_call_writes_exactly_one_json_line() -> None:
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=APP_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert [record["message"] for record in records] == ["one call", "through chalice's logger"]
    assert records[0]["marker"] == 7
    assert records[0]["service"] == "events"


class _LambdaContext:
    function_name = "events-test-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:events-test-api"
    aws_request_id = "lambda-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@contextlib.contextmanager
def _captured_logs() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines the app's logger writes inside the block, at INFO (the moto stack logs warnings only)."""
    from chalicelib import components

    logger = components.logger()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous, level = handler.setStream(stream), logger.log_level
    logger.setLevel("INFO")
    records: list[dict[str, Any]] = []
    try:
        yield records
    finally:
        handler.setStream(previous)
        logger.setLevel(level)
        records += [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_the_posts_log_lines_carry_its_request_id_and_event_id(moto_stack: MotoStack) -> None:
    import app
    from chalicelib import components

    with _captured_logs() as records:
        body = {"type": "order.created", "subject": "order-1", "source": "shop", "data": {}}
        reply = app.app(api_event(body, request_id="api-request-1"), _LambdaContext())
        components.logger().info("after the request")

    assert reply["statusCode"] == 201
    event_id = json.loads(reply["body"])["id"]
    accepted = [r for r in records if r["message"] == "accepted"]
    assert len(accepted) == 1  # one log call, one JSON line
    assert (accepted[0]["event_id"], accepted[0]["request_id"]) == (event_id, "api-request-1")
    # The keys belong to the request: a later line of the same execution environment has neither.
    after = next(r for r in records if r["message"] == "after the request")
    assert "event_id" not in after
    assert "request_id" not in after


def test_a_message_left_to_the_reconciler_is_logged_with_its_event_id(
    moto_stack: MotoStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app
    from chalicelib.lanes import Lanes

    def conflict(*_: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateItem")

    monkeypatch.setattr(Lanes, "mark_processed", conflict)
    message = {"id": "evt-1", "type": "order.created", "subject": "s", "occurred_at": "2026-01-01T00:00:00Z"}
    event = sqs_event_from_bodies(moto_stack.standard_queue_arn, [json.dumps({**message, "position": 1})])
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(MAX_RECEIVE_COUNT)  # the receive that would dead-letter

    with _captured_logs() as records:
        assert app.processor(event, None) == {"batchItemFailures": []}

    (deferred,) = [r for r in records if r["message"] == "deferred to the reconciler rather than dead-lettered"]
    assert deferred["event_id"] == "evt-1"
