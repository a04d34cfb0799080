"""The deployed service under injected faults. Emulators only: the `faults` fixture skips on AWS,
and these tests use the local cloud's extensions (count, phase), so they skip on LocalStack too."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integration_tests.chaos import FaultInjection
from integration_tests.support import POLL_SECONDS, SETTLE_SECONDS, get_json, post_event, unique
from localcloud.testing import wait_for


def _accept_transactions(**extra: Any) -> dict[str, Any]:
    return {"service": "dynamodb", "operation": "TransactWriteItems", **extra}


def _body(subject: str) -> dict[str, Any]:
    return {"type": "order.created", "subject": subject, "source": "integration-test", "data": {}}


@pytest.fixture
def extended(faults: FaultInjection) -> FaultInjection:
    if not faults.extensions:
        pytest.skip("needs the local cloud's fault-injection extensions (count, phase)")
    return faults


def test_a_brief_throttle_is_absorbed(
    http: requests.Session, gateway: str, api_key: str, extended: FaultInjection
) -> None:
    throttled = {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}
    extended.set([_accept_transactions(count=2, error=throttled)])

    created = post_event(http, gateway, api_key, _body(unique("order")))

    assert created.status_code == 201, created.text
    assert extended.rules() == []  # both throttles were spent on this request's retries


def test_a_lost_accept_reply_stores_the_event_once(
    http: requests.Session, gateway: str, api_key: str, extended: FaultInjection
) -> None:
    subject = unique("order")
    # The first commit happens and its reply is lost: the retry carries the same ClientRequestToken.
    extended.set([_accept_transactions(count=1, phase="response")])
    first = post_event(http, gateway, api_key, _body(subject))
    assert first.status_code == 201, first.text
    second = post_event(http, gateway, api_key, _body(subject))
    ids = [first.json()["id"], second.json()["id"]]

    def sequenced() -> list[Any] | None:
        events = [get_json(http, f"{gateway}/v1/events/{event_id}", api_key) for event_id in ids]
        return [e["sequence"] for e in events] if all(e["sequence"] is not None for e in events) else None

    # Stored twice, the first would hold two positions and the second event would be number 3.
    assert wait_for(
        sequenced, f"events of {subject} to be sequenced", timeout=SETTLE_SECONDS, interval=POLL_SECONDS
    ) == [1, 2]
