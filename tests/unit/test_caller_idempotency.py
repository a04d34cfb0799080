"""Idempotency keys are per caller: the route reads who called from the request context API Gateway wrote.

The requests go through the api Lambda's handler with the proxy event API Gateway sends (the Chalice
test client cannot set ``requestContext``), each caller identified as its auth mode identifies it.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib import components, items
from chalicelib.identity import Caller
from tooling.moto_stack import MotoStack, api_event

ALICE = {"identity": {"apiKeyId": "alicekey01", "userArn": None}}
BOB = {"identity": {"apiKeyId": "bobkey0002", "userArn": None}}
BOB_BY_TOKEN = {"identity": {"apiKeyId": "alicekey01"}, "authorizer": {"claims": {"sub": "bob-client"}}}
BODY = {"type": "order.created", "subject": "order-1", "source": "checkout", "data": {"total": 1}}


class _Context:
    """The parts of Lambda's context object the handler reads."""

    aws_request_id = "req-1"
    function_name = "events-test-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:events-test-api"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def post(caller: dict[str, Any], key: str | None, body: dict[str, Any] = BODY) -> tuple[int, dict[str, Any]]:
    import app

    headers = {"content-type": "application/json", "x-api-key": "whatever"}
    if key is not None:
        headers["Idempotency-Key"] = key
    event = api_event(body, headers, request_context=caller)
    response = app.app(event, _Context())
    return int(response["statusCode"]), json.loads(response["body"])


def test_the_same_caller_gets_the_replay(moto_stack: MotoStack) -> None:
    status, first = post(ALICE, "k-1")
    again_status, again = post(ALICE, "k-1")
    assert (status, again_status) == (201, 200)
    assert again["id"] == first["id"]


@pytest.mark.parametrize("bob", [BOB, BOB_BY_TOKEN], ids=["another_api_key", "a_token_beside_the_same_key"])
def test_two_callers_with_one_key_get_independent_events(moto_stack: MotoStack, bob: dict[str, Any]) -> None:
    alice_status, alice = post(ALICE, "shared-key")
    bob_status, bob_event = post(bob, "shared-key")
    assert (alice_status, bob_status) == (201, 201)
    assert bob_event["id"] != alice["id"]
    # Each one's retry replays its own event.
    assert post(ALICE, "shared-key")[1]["id"] == alice["id"]
    assert post(bob, "shared-key")[1]["id"] == bob_event["id"]


def test_another_caller_can_neither_probe_nor_block_a_key(moto_stack: MotoStack) -> None:
    """With one caller's key taken, another's different body is accepted (no 409 reveals the key exists)."""
    assert post(ALICE, "probe-me")[0] == 201
    status, event = post(BOB, "probe-me", {**BODY, "source": "elsewhere"})
    assert status == 201
    assert event["source"] == "elsewhere"
    assert post(ALICE, "probe-me", {**BODY, "source": "elsewhere"})[0] == 409  # still Alice's own conflict


def test_a_key_cannot_spell_another_caller_s_item(moto_stack: MotoStack) -> None:
    """The caller is in the sort key: no Idempotency-Key Bob sends reaches Alice's item."""
    _, alice = post(ALICE, "k-2")
    alice_scope = Caller("api_key", "alicekey01").scope
    for crafted in (f"{alice_scope}#k-2", f"k-2#CALLER#{alice_scope}", "k-2"):
        status, event = post(BOB, crafted)
        assert status == 201, crafted
        assert event["id"] != alice["id"], crafted


def test_the_stored_key_names_the_caller_by_its_hash(moto_stack: MotoStack) -> None:
    post(ALICE, "k-3")
    table = boto3.client("dynamodb", region_name="us-east-1")
    stored = [
        item
        for item in table.scan(TableName=moto_stack.table)["Items"]
        if item.get("entity", {}).get("S") == "idempotency"
    ]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in stored] == [
        ("IDEMPOTENCY#k-3", f"CALLER#{Caller('api_key', 'alicekey01').scope}")
    ]
    assert "alicekey01" not in json.dumps(stored)


def test_a_key_stored_before_keys_were_scoped_is_replayed_until_it_expires(moto_stack: MotoStack) -> None:
    """A retry that spans the upgrade gets its first event, whoever asks (one shared key was everyone)."""
    status, first = post(ALICE, None)
    assert status == 201
    legacy = {
        **items.idempotency_key("before-upgrade", None),
        **items.serialize(
            {
                "entity": "idempotency",
                "fingerprint": _fingerprint(BODY),
                "event_id": first["id"],
                "expires_at": 4_000_000_000,
            }
        ),
    }
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=moto_stack.table, Item=legacy)
    status, again = post(BOB, "before-upgrade")
    assert (status, again["id"]) == (200, first["id"])
    assert post(BOB, "before-upgrade", {**BODY, "source": "other"})[0] == 409


def test_an_expired_key_of_before_is_free(moto_stack: MotoStack) -> None:
    status, first = post(ALICE, None)
    legacy = {
        **items.idempotency_key("long-ago", None),
        **items.serialize(
            {"entity": "idempotency", "fingerprint": _fingerprint(BODY), "event_id": first["id"], "expires_at": 1}
        ),
    }
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=moto_stack.table, Item=legacy)
    status, event = post(ALICE, "long-ago")
    assert status == 201
    assert event["id"] != first["id"]


def _fingerprint(body: dict[str, Any]) -> str:
    from chalicelib.events import NewEvent

    return NewEvent.from_body(body).fingerprint


@pytest.fixture(autouse=True)
def _fresh_components(moto_stack: MotoStack) -> None:
    components.reset()
