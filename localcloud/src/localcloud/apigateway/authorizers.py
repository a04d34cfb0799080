"""A method's COGNITO_USER_POOLS authorizer, run as API Gateway runs it: before the API key and the
integration.

The token comes from the authorizer's identity source header (``Authorization``: the token, or
``Bearer <token>``). The request goes on only when

- the token is a JWT whose RS256 signature a user pool key verifies (``cognitoidp.tokens``),
- its ``iss`` is the issuer of one of the authorizer's pools, and that pool exists,
- it has not expired (``exp``),
- for a method with authorization scopes it is an access token (``token_use`` ``access``) whose
  ``scope`` holds at least one of them; for a method without, an ID token (``token_use`` ``id``),
  which is what API Gateway takes then.

Otherwise API Gateway answers UNAUTHORIZED (401) itself and the function never runs. The claims
reach the function in ``requestContext.authorizer.claims``, every value a string as API Gateway
writes them (``exp`` and ``iat`` as dates, ``Mon Jan 05 10:00:00 UTC 2026``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from localcloud.apigateway.routes import UserPoolAuthorizer
from localcloud.cognitoidp.tokens import InvalidTokenError, issuer, verified_claims
from localcloud.moto_patches.internals import find_user_pool

_DATE_CLAIMS = frozenset({"exp", "iat"})
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Unauthorized(Exception):
    """The request's token does not pass the authorizer; the message says why (for the log)."""


def authorize(
    authorizer: UserPoolAuthorizer, scopes: tuple[str, ...], header: str | None, now: float | None = None
) -> dict[str, str]:
    """The claims of the request's token for the event, or Unauthorized."""
    token = _token(header)
    try:
        claims = verified_claims(token)
    except InvalidTokenError as error:
        raise Unauthorized(f"the token is not signed by a user pool: {error}") from None
    issuers = {issuer(pool) for arn in authorizer.provider_arns if (pool := find_user_pool(arn)) is not None}
    if claims.get("iss") not in issuers:
        raise Unauthorized(f"the token's issuer {claims.get('iss')!r} is not one of the authorizer's user pools")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        raise Unauthorized("the token has no expiry")
    if expires <= (time.time() if now is None else now):
        raise Unauthorized("the token has expired")
    if scopes:
        if claims.get("token_use") != "access":
            raise Unauthorized("the method has authorization scopes: it takes access tokens only")
        granted = str(claims.get("scope", "")).split()
        if not set(granted) & set(scopes):
            raise Unauthorized(f"the token has none of the method's scopes {list(scopes)}")
    elif claims.get("token_use") != "id":
        raise Unauthorized("the method has no authorization scopes: it takes ID tokens only")
    return {name: _claim_text(name, value) for name, value in claims.items()}


def _token(header: str | None) -> str:
    value = (header or "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value:
        raise Unauthorized("no token in the authorizer's header")
    return value


def _claim_text(name: str, value: Any) -> str:
    if name in _DATE_CLAIMS and isinstance(value, (int, float)) and not isinstance(value, bool):
        t = time.gmtime(value)  # locale-independent, unlike strftime's %a and %b
        clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        return f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {clock} UTC {t.tm_year}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))
