"""The key items: written once by whichever environment needs a key first, then read once per environment."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from typing import Any

import boto3
import pytest

from chalicelib.keys import CURSOR_KEY, HASH_UNAVAILABLE, LOG_KEY, KeyId, KeyItemError, KeyStore
from tests.unit.faults import Fault, Faults
from tooling.moto_stack import MotoStack


def _dynamodb() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


def _calls(dynamodb: Any) -> Counter[str]:
    calls: Counter[str] = Counter()
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
    return calls


def _stored(moto_stack: MotoStack, key_id: KeyId) -> dict[str, Any] | None:
    item: dict[str, Any] | None = _dynamodb().get_item(TableName=moto_stack.table, Key=key_id.item_key()).get("Item")
    return item


def test_the_first_use_writes_the_key_and_every_use_after_is_cached(moto_stack: MotoStack) -> None:
    dynamodb = _dynamodb()
    calls = _calls(dynamodb)
    store = KeyStore(dynamodb, moto_stack.table)

    secret = store.secret(CURSOR_KEY)

    assert len(secret) == 32
    assert calls == Counter({"GetItem": 1, "PutItem": 1})
    assert _stored(moto_stack, CURSOR_KEY) == {
        "pk": {"S": "KEY#cursor"},
        "sk": {"S": "v1"},
        "entity": {"S": "key"},
        "secret": {"B": secret},
    }
    assert [store.secret(CURSOR_KEY) for _ in range(3)] == [secret] * 3
    assert calls == Counter({"GetItem": 1, "PutItem": 1})


def test_another_environment_reads_the_stored_key_with_one_consistent_get(moto_stack: MotoStack) -> None:
    secret = KeyStore(_dynamodb(), moto_stack.table).secret(LOG_KEY)
    dynamodb = _dynamodb()
    reads: list[dict[str, Any]] = []
    dynamodb.meta.events.register("provide-client-params.dynamodb.*", lambda params, **_: reads.append(params))

    assert KeyStore(dynamodb, moto_stack.table).secret(LOG_KEY) == secret
    assert len(reads) == 1
    assert reads[0]["ConsistentRead"] is True


class _ReadsBeforeTheOtherWrote:
    """A table client whose first GetItem answers as it would have just before another environment's put."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb
        self._missed = False

    def get_item(self, **request: Any) -> dict[str, Any]:
        if not self._missed:
            self._missed = True
            return {}
        found: dict[str, Any] = self._dynamodb.get_item(**request)
        return found

    def put_item(self, **request: Any) -> dict[str, Any]:
        done: dict[str, Any] = self._dynamodb.put_item(**request)
        return done


def test_of_two_environments_racing_to_create_a_key_both_end_with_the_winners(moto_stack: MotoStack) -> None:
    late = KeyStore(_ReadsBeforeTheOtherWrote(_dynamodb()), moto_stack.table, random_bytes=lambda n: b"\x01" * n)
    winner = KeyStore(_dynamodb(), moto_stack.table).secret(CURSOR_KEY)

    assert late.secret(CURSOR_KEY) == winner
    assert winner != b"\x01" * 32
    stored = _stored(moto_stack, CURSOR_KEY)
    assert stored is not None
    assert stored["secret"]["B"] == winner


def test_each_purpose_and_version_has_its_own_key(moto_stack: MotoStack) -> None:
    store = KeyStore(_dynamodb(), moto_stack.table)
    secrets = {store.secret(key_id) for key_id in (CURSOR_KEY, LOG_KEY, KeyId("cursor", "v2"))}
    assert len(secrets) == 3


def test_a_key_item_without_a_usable_secret_is_an_error_not_a_new_key(moto_stack: MotoStack) -> None:
    _dynamodb().put_item(
        TableName=moto_stack.table, Item={**CURSOR_KEY.item_key(), "entity": {"S": "key"}, "secret": {"B": b"short"}}
    )
    with pytest.raises(KeyItemError):
        KeyStore(_dynamodb(), moto_stack.table).secret(CURSOR_KEY)


def test_the_subject_hash_is_a_truncated_hmac_under_the_log_key(moto_stack: MotoStack) -> None:
    store = KeyStore(_dynamodb(), moto_stack.table)
    digest = store.subject_hash("order-1")
    expected = hmac.new(store.secret(LOG_KEY), b"order-1", hashlib.sha256).hexdigest()[:16]
    assert digest == expected
    assert store.subject_hash("order-1") == digest
    assert store.subject_hash("order-2") != digest


def test_the_subject_hash_never_fails_the_line_that_logs_it(moto_stack: MotoStack) -> None:
    dynamodb = _dynamodb()
    faults = Faults()
    faults.attach(dynamodb)
    faults.add(Fault("dynamodb", "GetItem", code="ProvisionedThroughputExceededException"))
    store = KeyStore(dynamodb, moto_stack.table)
    assert store.subject_hash("order-1") == HASH_UNAVAILABLE
    # Nothing was cached: once the table answers, lines carry the hash again.
    faults.clear()
    assert store.subject_hash("order-1") == KeyStore(_dynamodb(), moto_stack.table).subject_hash("order-1")
