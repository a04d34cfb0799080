"""The HTTP routes through chalice.test.Client against moto: happy paths, bad input, idempotency."""

from __future__ import annotations

import json
from typing import Any

import boto3
import fastjsonschema
import pytest
from chalice.test import Client

from chalicelib import aws, components, contract, items, service
from chalicelib.cursor import encode_cursor
from chalicelib.keys import CURSOR_KEY, KeyId
from tooling.moto_stack import MotoStack

JSON = {"Content-Type": "application/json", "x-api-key": "test-key"}


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "order.created",
        "subject": "order-1",
        "source": "checkout",
        "data": {"total": 12.5},
    }
    body.update(overrides)
    return body


def post(client: Client, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post("/v1/events", headers=headers or JSON, body=raw)


def assert_matches(schema_name: str, payload: Any) -> None:
    fastjsonschema.compile(contract.json_schema(schema_name), formats={"date-time": r".+", "uuid": r".+"})(payload)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    payload: dict[str, Any] = json.loads(response.body)
    assert_matches("Error", payload)
    assert payload["error"]["code"] == code
    assert payload["error"]["message"]
    return payload


def item_count(moto_stack: MotoStack) -> int:
    return int(
        boto3.client("dynamodb", region_name="us-east-1").scan(TableName=moto_stack.table, Select="COUNT")["Count"]
    )


def test_health_needs_nothing(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_create_then_read(client: Client) -> None:
    created = post(client, event_body(occurred_at="2026-11-27T10:00:00+01:00"))
    assert created.status_code == 201
    event = json.loads(created.body)
    assert_matches("Event", event)
    assert created.headers["Location"] == f"/v1/events/{event['id']}"
    assert event["status"] == "accepted"
    assert event["sequence"] is None
    assert event["occurred_at"] == "2026-11-27T09:00:00.000000Z"
    assert event["data"] == {"total": 12.5}

    read = client.http.get(f"/v1/events/{event['id']}", headers=JSON)
    assert read.status_code == 200
    assert json.loads(read.body) == event


def test_occurred_at_defaults_to_receipt(client: Client) -> None:
    event = json.loads(post(client, event_body()).body)
    assert event["occurred_at"] == event["received_at"]


def test_unknown_and_malformed_ids(client: Client) -> None:
    assert_error(client.http.get("/v1/events/0b6f2f0e-6a51-4a8f-9d0c-3c1f6f2a9b10", headers=JSON), 404, "NotFound")
    assert_error(client.http.get("/v1/events/not-a-uuid", headers=JSON), 400, "ValidationError")


def test_list_in_acceptance_order_with_pages(client: Client) -> None:
    ids = [json.loads(post(client, event_body(data={"n": n})).body)["id"] for n in range(5)]
    post(client, event_body(subject="order-2"))

    first = client.http.get("/v1/events?subject=order-1&limit=2", headers=JSON)
    assert first.status_code == 200
    page = json.loads(first.body)
    assert_matches("EventPage", page)
    seen = [item["id"] for item in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        page = json.loads(client.http.get(f"/v1/events?subject=order-1&limit=2&cursor={cursor}", headers=JSON).body)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids
    default_page = json.loads(client.http.get("/v1/events?subject=order-1", headers=JSON).body)
    assert [item["id"] for item in default_page["items"]] == ids
    assert default_page["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?limit=5",
        "?subject=order-1&limit=0",
        "?subject=order-1&limit=101",
        "?subject=order-1&limit=abc",
        "?subject=order-1&limit=-1",
        "?subject=order-1&cursor=!!!",
        "?subject=order-1&cursor=eyJzIjoxfQ",
    ],
)
def test_list_rejects_bad_queries(client: Client, query: str) -> None:
    payload = assert_error(
        client.http.get(f"/v1/events{query}", headers=JSON),
        400,
        "ValidationError" if "cursor" not in query else "BadRequest",
    )
    assert payload["error"]["request_id"]


def test_cursor_of_another_subject_is_rejected(client: Client) -> None:
    for _ in range(3):
        post(client, event_body())
    cursor = json.loads(client.http.get("/v1/events?subject=order-1&limit=1", headers=JSON).body)["next_cursor"]
    assert_error(client.http.get(f"/v1/events?subject=order-2&cursor={cursor}", headers=JSON), 400, "BadRequest")


@pytest.mark.parametrize(
    "position",
    [
        items.MAX_POSITION,  # the page would start one past the last position a subject can have
        10**13 - 2,  # its sort key would sort after the upper bound's: DynamoDB refuses the key condition
    ],
)
def test_cursor_beyond_the_key_range_is_400_before_any_query(client: Client, position: int) -> None:
    post(client, event_body())
    queries = count_queries()
    cursor = encode_cursor(components.keys().secret(CURSOR_KEY), "order-1", position)
    assert_error(client.http.get(f"/v1/events?subject=order-1&cursor={cursor}", headers=JSON), 400, "BadRequest")
    assert queries == []


def test_forged_and_altered_cursors_are_400_before_any_query(client: Client) -> None:
    for _ in range(3):
        post(client, event_body())
    issued = json.loads(client.http.get("/v1/events?subject=order-1&limit=1", headers=JSON).body)["next_cursor"]
    forged = encode_cursor(bytes(32), "order-1", 1)  # well formed, under a key the service does not hold
    altered = issued[:3] + ("A" if issued[3] != "A" else "B") + issued[4:]
    queries = count_queries()
    for cursor in (forged, altered):
        assert_error(client.http.get(f"/v1/events?subject=order-1&cursor={cursor}", headers=JSON), 400, "BadRequest")
    assert queries == []
    page = json.loads(client.http.get(f"/v1/events?subject=order-1&cursor={issued}", headers=JSON).body)
    assert [item["data"] for item in page["items"]] == [{"total": 12.5}] * 2


def test_after_the_cursor_key_rotates_an_old_cursor_is_400_and_listing_again_recovers(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        post(client, event_body())
    old = json.loads(client.http.get("/v1/events?subject=order-1&limit=1", headers=JSON).body)["next_cursor"]
    monkeypatch.setattr(service, "CURSOR_KEY", KeyId("cursor", "v2"))  # what a deploy with a new version does

    assert_error(client.http.get(f"/v1/events?subject=order-1&cursor={old}", headers=JSON), 400, "BadRequest")
    fresh = json.loads(client.http.get("/v1/events?subject=order-1&limit=1", headers=JSON).body)["next_cursor"]
    assert fresh != old
    assert client.http.get(f"/v1/events?subject=order-1&cursor={fresh}", headers=JSON).status_code == 200


def count_queries() -> list[str]:
    """The Query calls the app's DynamoDB client sends from now on."""
    queries: list[str] = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.Query", lambda **_: queries.append("Query"))
    return queries


def test_stats_unknown_subject_is_404(client: Client) -> None:
    assert_error(client.http.get("/v1/subjects/never-seen/stats", headers=JSON), 404, "NotFound")


def test_stats_before_analytics(client: Client) -> None:
    post(client, event_body())
    response = client.http.get("/v1/subjects/order-1/stats", headers=JSON)
    assert response.status_code == 200
    stats = json.loads(response.body)
    assert_matches("SubjectStats", stats)
    assert stats == {
        "subject": "order-1",
        "total": 0,
        "by_type": {},
        "first_occurred_at": None,
        "last_occurred_at": None,
        "last_sequence": None,
    }


BAD = "BadRequest"
BAD_BODIES: list[tuple[str, Any, dict[str, str], int, str]] = [
    ("malformed JSON", '{"type": ', JSON, 400, "BadRequest"),
    ("empty body", "", JSON, 400, "BadRequest"),
    ("not an object", "[1, 2]", JSON, 400, "ValidationError"),
    ("NaN", '{"type":"a","subject":"s","source":"x","data":{"v":NaN}}', JSON, 400, "BadRequest"),
    ("overflowing number", '{"type":"a","subject":"s","source":"x","data":{"v":1e400}}', JSON, 400, "BadRequest"),
    ("invalid UTF-8", b'{"type":"a","subject":"\xff","source":"x","data":{}}', JSON, 400, "BadRequest"),
    # Valid JSON text that no UTF-8 store or log can hold: a lone surrogate, where a key or a value.
    ("lone surrogate in subject", '{"type":"a","subject":"\\ud800","source":"x","data":{}}', JSON, 400, "BadRequest"),
    ("lone low surrogate", '{"type":"a","subject":"s","source":"x\\udfff","data":{}}', JSON, 400, "BadRequest"),
    ("lone surrogate in data", '{"type":"a","subject":"s","source":"x","data":{"v":["\\ud83d"]}}', JSON, 400, BAD),
    ("lone surrogate in a key", '{"type":"a","subject":"s","source":"x","data":{"\\udc00":1}}', JSON, 400, BAD),
    ("missing field", {"type": "a", "subject": "s", "source": "x"}, JSON, 400, "ValidationError"),
    ("extra field", event_body(colour="red"), JSON, 400, "ValidationError"),
    ("data not an object", event_body(data=[1]), JSON, 400, "ValidationError"),
    ("subject wrong type", event_body(subject=5), JSON, 400, "ValidationError"),
    ("subject empty", event_body(subject=""), JSON, 400, "ValidationError"),
    ("subject too long", event_body(subject="s" * 129), JSON, 400, "ValidationError"),
    ("type pattern", event_body(type="Order Created"), JSON, 400, "ValidationError"),
    ("occurred_at not a date", event_body(occurred_at="yesterday"), JSON, 400, "ValidationError"),
    ("occurred_at impossible date", event_body(occurred_at="2026-02-30T00:00:00Z"), JSON, 400, "ValidationError"),
    ("data over 64 KiB", event_body(data={"blob": "x" * 65_536}), JSON, 413, "PayloadTooLarge"),
    ("body over the limit", event_body(data={"blob": "x" * 300_000}), JSON, 413, "PayloadTooLarge"),
    ("text content type", event_body(), {"Content-Type": "text/plain", "x-api-key": "k"}, 415, "UnsupportedMediaType"),
    ("no content type", event_body(), {"x-api-key": "k"}, 415, "UnsupportedMediaType"),
]


@pytest.mark.parametrize(
    ("case", "body", "headers", "status", "code"), BAD_BODIES, ids=[case[0] for case in BAD_BODIES]
)
def test_bad_input_is_a_documented_4xx_and_writes_nothing(
    client: Client, moto_stack: MotoStack, case: str, body: Any, headers: dict[str, str], status: int, code: str
) -> None:
    assert_error(post(client, body, headers), status, code)
    assert item_count(moto_stack) == 0


def test_a_surrogate_pair_is_one_character_and_accepted(client: Client) -> None:
    body = '{"type":"a","subject":"s\\ud83d\\ude00","source":"x","data":{"\\\\ud800":"\\ud83d\\ude00"}}'
    created = post(client, body)
    assert created.status_code == 201, created.body
    event = json.loads(created.body)
    # An escaped backslash before "ud800" is six plain characters, not a surrogate.
    assert (event["subject"], event["data"]) == ("s\U0001f600", {"\\ud800": "\U0001f600"})


def test_data_of_exactly_64_kib_is_accepted(client: Client) -> None:
    overhead = len(json.dumps({"blob": ""}, separators=(",", ":")))
    assert post(client, event_body(data={"blob": "x" * (65_536 - overhead)})).status_code == 201


def test_idempotent_retry_returns_the_first_event(client: Client, moto_stack: MotoStack) -> None:
    headers = {**JSON, "Idempotency-Key": "retry-1"}
    first = post(client, event_body(), headers)
    items_after_first = item_count(moto_stack)
    again = post(client, event_body(), headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert json.loads(again.body)["id"] == json.loads(first.body)["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert item_count(moto_stack) == items_after_first
    listed = json.loads(client.http.get("/v1/events?subject=order-1", headers=JSON).body)["items"]
    assert len(listed) == 1


def test_idempotency_key_reused_with_another_body_is_409(client: Client, moto_stack: MotoStack) -> None:
    headers = {**JSON, "Idempotency-Key": "retry-2"}
    assert post(client, event_body(), headers).status_code == 201
    items = item_count(moto_stack)
    assert_error(post(client, event_body(source="elsewhere"), headers), 409, "Conflict")
    assert item_count(moto_stack) == items


def test_idempotency_key_too_long_is_400(client: Client, moto_stack: MotoStack) -> None:
    assert_error(post(client, event_body(), {**JSON, "Idempotency-Key": "k" * 129}), 400, "ValidationError")
    assert item_count(moto_stack) == 0


def test_undeclared_method_is_405_in_the_error_schema(client: Client) -> None:
    assert_error(client.http.delete("/v1/events", headers=JSON), 405, "MethodNotAllowed")


def test_storage_failure_is_a_500_without_a_stack_trace(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_TABLE_NAME", "no-such-table")
    from chalicelib import components

    components.reset()
    response = post(client, event_body())
    payload = assert_error(response, 500, "InternalError")
    assert (
        "Traceback" not in response.body.decode()
        if isinstance(response.body, bytes)
        else "Traceback" not in response.body
    )
    assert "no-such-table" not in json.dumps(payload)
