"""User pools for the tests of the token endpoint and the API Gateway user pool authorizer.

``machine_client`` makes what the auth module makes with Terraform: a pool, a resource server
with two scopes, and a client with a secret allowed the client-credentials grant. ``signed``
signs any claims with moto's pool key (what the pools' published JWKS verifies) or another key,
for the tokens no endpoint would issue: expired ones, foreign ones, ID tokens.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud.cognitoidp.token_endpoint import PATH as TOKEN_PATH
from localcloud.moto_patches.internals import find_user_pool

REGION = "us-east-1"
SCOPES = ["things/read", "things/write"]


@dataclass(frozen=True)
class MachineClient:
    base: str
    pool_id: str
    pool_arn: str
    client_id: str
    secret: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"

    def token_response(self, scope: str | None = None, **request: Any) -> requests.Response:
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
        auth = (self.client_id, self.secret)
        return requests.post(f"{self.base}{TOKEN_PATH}", data=form, auth=auth, timeout=5, **request)

    def token(self, scope: str | None = None) -> str:
        response = self.token_response(scope)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """The claims of an access token this client could get, with overrides."""
        now = int(time.time())
        return {
            "sub": self.client_id,
            "token_use": "access",
            "scope": " ".join(SCOPES),
            "auth_time": now,
            "iss": self.issuer,
            "exp": now + 3600,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": self.client_id,
            **overrides,
        }


def idp_client(base: str) -> Any:
    return boto3.client(
        "cognito-idp", endpoint_url=base, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def machine_client(base: str, name: str = "things", flows: tuple[str, ...] = ("client_credentials",)) -> MachineClient:
    idp = idp_client(base)
    pool = idp.create_user_pool(PoolName=name)["UserPool"]
    idp.create_resource_server(
        UserPoolId=pool["Id"],
        Identifier="things",
        Name="things",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}, {"ScopeName": "write", "ScopeDescription": "write"}],
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{name}-machine",
        GenerateSecret=True,
        AllowedOAuthFlows=list(flows),
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=SCOPES,
        SupportedIdentityProviders=["COGNITO"],
        AccessTokenValidity=30,
        TokenValidityUnits={"AccessToken": "minutes"},
    )["UserPoolClient"]
    return MachineClient(base, pool["Id"], pool["Arn"], client["ClientId"], client["ClientSecret"])


def signed(claims: dict[str, Any], key: RSAKey, kid: str | None = "dummy") -> str:
    """``claims`` signed RS256 by ``key`` (a pool's, or a foreign one), naming ``kid``."""
    header = {"alg": "RS256", **({"kid": kid} if kid else {})}
    return jwt.encode(header, claims, key, algorithms=["RS256"])


def pool_key(client: MachineClient) -> RSAKey:
    """The key moto signs the client's pool's tokens with (in this process: the server is too)."""
    pool = find_user_pool(client.pool_arn)
    assert pool is not None
    key: RSAKey = pool.json_web_key
    return key


def foreign_key() -> RSAKey:
    """A key no pool publishes, under the kid moto's pools use."""
    return RSAKey.generate_key(2048, parameters={"kid": "dummy"})
