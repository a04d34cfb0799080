"""A user pool's access tokens: issuing one for the client-credentials grant, and verifying one.

moto signs every pool's tokens with one RSA key bundled with it (kid ``dummy``, RS256) and
publishes the public half at each pool's ``/.well-known/jwks.json``; tokens here are signed and
checked with those same keys, so they verify like moto's own. The bundled private key is public
too: locally anyone can sign a token a pool would accept (see the README's differences from AWS).

A client-credentials access token carries what Cognito puts in one: ``sub`` and ``client_id``
(both the app client's id), ``token_use`` ``access``, the granted ``scope`` (space-separated),
``iss`` (the pool's issuer URL), ``iat``, ``auth_time``, ``exp``, ``jti`` and ``version`` 2.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterable
from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from localcloud.moto_patches.internals import CognitoIdpUserPool, user_pool_public_keys

ALGORITHM = "RS256"


class InvalidTokenError(Exception):
    """The token is not a JWT signed by a user pool's key."""


def issuer(pool: CognitoIdpUserPool) -> str:
    """The ``iss`` of a pool's tokens: https://cognito-idp.<region>.amazonaws.com/<pool id>."""
    return f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}"


def issue_access_token(
    pool: CognitoIdpUserPool,
    client_id: str,
    scopes: Iterable[str],
    lifetime_seconds: int,
    now: float | None = None,
) -> str:
    """An access token of ``pool`` for a client-credentials grant to ``client_id``."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": issued,
        "iss": issuer(pool),
        "exp": issued + lifetime_seconds,
        "iat": issued,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client_id,
    }
    key = pool.json_web_key
    return jwt.encode({"kid": key.kid, "alg": ALGORITHM}, claims, key, algorithms=[ALGORITHM])


@functools.cache
def _signing_keys() -> KeySet:
    return KeySet.import_key_set(cast(KeySetSerialization, user_pool_public_keys()))


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of a token whose RS256 signature one of the pools' published keys verifies.

    Only the signature is checked here; issuer, expiry and use are the reader's to judge.
    """
    try:
        decoded = jwt.decode(token, _signing_keys(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidTokenError(str(error) or type(error).__name__) from None
    if not decoded.header.get("kid"):
        # Cognito names the signing key of every token; a reader picks the key by it.
        raise InvalidTokenError("the token names no signing key (kid)")
    return dict(decoded.claims)
