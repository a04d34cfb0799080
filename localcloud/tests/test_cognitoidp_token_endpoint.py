"""The user pool token endpoint: the client-credentials grant as Cognito's /oauth2/token answers it,
at LocalStack's path, with tokens the pools' published keys verify."""

from __future__ import annotations

import base64
import time

import pytest
import requests
from joserfc import jws

from apigateway_support import Gateway
from cognitoidp_support import SCOPES, MachineClient, machine_client
from localcloud.cognitoidp.token_endpoint import PATH
from localcloud.cognitoidp.tokens import verified_claims


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> MachineClient:
    return machine_client(gateway.base, "token-endpoint")


def test_a_client_credentials_grant_returns_a_signed_access_token(client: MachineClient) -> None:
    response = client.token_response()
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 30 * 60  # the client's AccessTokenValidity in its unit (minutes)
    assert jws.extract_compact(body["access_token"].encode()).protected == {
        "kid": "dummy",
        "alg": "RS256",
        "typ": "JWT",
    }
    claims = verified_claims(body["access_token"])  # the pools' published keys verify it
    assert claims["iss"] == client.issuer
    assert claims["sub"] == claims["client_id"] == client.client_id
    assert claims["token_use"] == "access"
    assert claims["scope"].split() == SCOPES  # every allowed scope when none is asked for
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert abs(claims["iat"] - time.time()) < 60


def test_asking_for_one_scope_grants_that_one(client: MachineClient) -> None:
    token = client.token("things/read")
    assert verified_claims(token)["scope"] == "things/read"


def test_credentials_in_the_form_work_too(client: MachineClient) -> None:
    form = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.secret}
    assert requests.post(f"{client.base}{PATH}", data=form, timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"scope": "things/admin"}, "invalid_scope"),
        ({"scope": "things/read other/read"}, "invalid_scope"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"secret": "not-the-secret"}, "invalid_client"),
        ({"client_id": "no-such-client"}, "invalid_client"),
        ({"client_id": None}, "invalid_client"),
    ],
    ids=["unknown_scope", "a_scope_of_another_server", "another_grant", "wrong_secret", "unknown_client", "no_client"],
)
def test_refusals_are_oauth2_errors(client: MachineClient, change: dict[str, str | None], error: str) -> None:
    form = {"grant_type": change.get("grant_type", "client_credentials")}
    if "scope" in change:
        form["scope"] = str(change["scope"])
    client_id = change.get("client_id", client.client_id)
    auth = None if client_id is None else (client_id, change.get("secret") or client.secret)
    response = requests.post(f"{client.base}{PATH}", data=form, auth=auth, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_a_client_without_the_grant_is_unauthorized(gateway: Gateway) -> None:
    other = machine_client(gateway.base, "no-grant", flows=("code",))
    response = other.token_response()
    assert response.status_code == 400
    assert response.json() == {"error": "unauthorized_client"}


def test_a_malformed_basic_header_is_an_invalid_client(client: MachineClient) -> None:
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = requests.post(
            f"{client.base}{PATH}",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": header},
            timeout=5,
        )
        assert response.json() == {"error": "invalid_client"}, header


def test_only_a_form_post_is_served(client: MachineClient) -> None:
    assert requests.get(f"{client.base}{PATH}", timeout=5).status_code == 405
    auth = (client.client_id, client.secret)
    as_json = requests.post(f"{client.base}{PATH}", json={"grant_type": "client_credentials"}, auth=auth, timeout=5)
    assert as_json.status_code == 400
    assert as_json.json() == {"error": "invalid_request"}


def test_other_paths_reach_moto(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.base}/_aws/cognito-idp/oauth2/other", timeout=5)
    assert "access_token" not in response.text
