"""Who called, from the request context API Gateway writes: each auth mode's identity, strongest first."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.identity import ANONYMOUS_CALLER, SCOPE_HEX_DIGITS, Caller, caller_of

KEY_ONLY = {"identity": {"apiKeyId": "k3y1d", "apiKey": "the-secret-value", "userArn": None, "caller": None}}
SIGNED = {
    "identity": {"apiKeyId": "k3y1d", "userArn": "arn:aws:sts::123456789012:assumed-role/ops/alice", "caller": "AROA:x"}
}
CLIENT_TOKEN = {
    "identity": {"apiKeyId": "k3y1d", "userArn": None},
    "authorizer": {"claims": {"sub": "5nq0client", "client_id": "5nq0client", "token_use": "access"}},
}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (KEY_ONLY, Caller("api_key", "k3y1d")),
        (SIGNED, Caller("iam", "arn:aws:sts::123456789012:assumed-role/ops/alice")),
        ({"identity": {"apiKeyId": "k3y1d", "userArn": None, "caller": "AIDA:bob"}}, Caller("iam", "AIDA:bob")),
        (CLIENT_TOKEN, Caller("cognito", "5nq0client")),
        ({"authorizer": {"claims": {"client_id": "5nq0client"}}}, Caller("cognito", "5nq0client")),
        ({"authorizer": {"claims": {"sub": "user-uuid", "client_id": "app"}}}, Caller("cognito", "user-uuid")),
    ],
    ids=["api_key", "iam_user_arn", "iam_caller", "cognito_sub", "cognito_client_id", "cognito_user"],
)
def test_each_mode_s_identity(context: dict[str, Any], expected: Caller) -> None:
    assert caller_of(context) == expected


def test_the_strongest_identity_wins() -> None:
    """Every mode also sends the API key's id; the token's or the signer's identity comes first."""
    both = {**SIGNED, "authorizer": CLIENT_TOKEN["authorizer"]}
    assert caller_of(both).kind == "cognito"
    assert caller_of(SIGNED).kind == "iam"


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"identity": None, "authorizer": None},
        {"identity": {"apiKeyId": "", "userArn": None}},
        {"identity": {"apiKeyId": 42}, "authorizer": {"claims": {"sub": ["x"]}}},
        {"authorizer": {"claims": "sub=x"}},
    ],
    ids=["none", "empty", "nulls", "empty_key_id", "not_strings", "claims_not_a_mapping"],
)
def test_without_an_identity_the_caller_is_anonymous(context: Any) -> None:
    assert caller_of(context) == ANONYMOUS_CALLER


def test_the_key_value_is_never_the_identity() -> None:
    assert "the-secret-value" not in repr(caller_of(KEY_ONLY))


def test_scopes_are_opaque_fixed_and_distinct() -> None:
    scopes = {
        Caller("api_key", "k3y1d").scope,
        Caller("api_key", "k3y1e").scope,
        Caller("cognito", "k3y1d").scope,  # the same id under another kind is another caller
        ANONYMOUS_CALLER.scope,
    }
    assert len(scopes) == 4
    assert all(len(s) == SCOPE_HEX_DIGITS and int(s, 16) >= 0 for s in scopes)
    assert Caller("api_key", "k3y1d").scope == Caller("api_key", "k3y1d").scope
    assert "k3y1d" not in Caller("api_key", "k3y1d").scope
