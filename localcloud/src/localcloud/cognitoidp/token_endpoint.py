"""A user pool domain's OAuth2 token endpoint, for the client-credentials grant (moto serves none).

On AWS a machine client POSTs to ``https://<domain>.auth.<region>.amazoncognito.com/oauth2/token``;
here it POSTs to ``/_aws/cognito-idp/oauth2/token`` on the local cloud's port, LocalStack's path
for the same endpoint, so one client works against either. The client is found by its id in any
pool, as LocalStack does.

    POST /_aws/cognito-idp/oauth2/token
    Content-Type: application/x-www-form-urlencoded
    Authorization: Basic base64(<client id>:<client secret>)   (or client_id and client_secret in the form)

    grant_type=client_credentials[&scope=events/read events/write]

answers ``{"access_token", "expires_in", "token_type": "Bearer"}``, the token signed by the pool's
key (``tokens``). As Cognito's endpoint does, it requires a client with a secret, the
client-credentials flow allowed, and scopes among the client's allowed OAuth scopes (all of them
when ``scope`` is left out); a refusal is a 400 with ``{"error": <OAuth2 error code>}``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from localcloud.cognitoidp.tokens import issue_access_token
from localcloud.moto_patches.internals import find_user_pool_client

PATH = "/_aws/cognito-idp/oauth2/token"
_MAX_BODY_BYTES = 64 * 1024
# Seconds per unit of an app client's TokenValidityUnits; Cognito's default unit is hours.
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_DEFAULT_LIFETIME_SECONDS = 3600


class _Refused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def wrap_wsgi_app(app: WSGIApplication) -> WSGIApplication:
    """Serve the token endpoint at ``PATH``; pass everything else to ``app``."""

    def token_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "invalid_request"}, [("Allow", "POST")])
        try:
            return _json(start_response, "200 OK", _grant(environ))
        except _Refused as refused:
            return _json(start_response, "400 Bad Request", {"error": refused.error})

    return token_app


def _grant(environ: WSGIEnvironment) -> dict[str, Any]:
    form = _form(environ)
    if form.get("grant_type") != "client_credentials":
        raise _Refused("unsupported_grant_type")
    client_id, secret = _credentials(environ, form)
    found = find_user_pool_client(client_id)
    if found is None:
        raise _Refused("invalid_client")
    pool, client = found
    if not client.generate_secret or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        raise _Refused("invalid_client")
    config = client.extended_config
    if not config.get("AllowedOAuthFlowsUserPoolClient") or "client_credentials" not in config.get(
        "AllowedOAuthFlows", []
    ):
        raise _Refused("unauthorized_client")
    allowed = list(config.get("AllowedOAuthScopes") or [])
    requested = form.get("scope", "").split()
    if any(scope not in allowed for scope in requested) or not (requested or allowed):
        raise _Refused("invalid_scope")
    lifetime = _lifetime_seconds(config)
    token = issue_access_token(pool, client.id, requested or allowed, lifetime)
    return {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}


def _form(environ: WSGIEnvironment) -> dict[str, str]:
    media_type = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise _Refused("invalid_request")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _Refused("invalid_request") from None
    if not 0 < length <= _MAX_BODY_BYTES:
        raise _Refused("invalid_request")
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _credentials(environ: WSGIEnvironment, form: dict[str, str]) -> tuple[str, str]:
    """(client id, secret) from HTTP Basic authentication, else from the form."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Refused("invalid_client") from None
        client_id, separator, secret = decoded.partition(":")
        if not separator:
            raise _Refused("invalid_client")
        # OAuth2 form-encodes both before joining them (RFC 6749, 2.3.1).
        return unquote_plus(client_id), unquote_plus(secret)
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    raise _Refused("invalid_client")


def _lifetime_seconds(config: dict[str, Any]) -> int:
    validity = config.get("AccessTokenValidity")
    if not validity:
        return _DEFAULT_LIFETIME_SECONDS
    unit = str((config.get("TokenValidityUnits") or {}).get("AccessToken", "hours"))
    return int(validity) * _UNIT_SECONDS.get(unit, 3600)


def _json(
    start_response: StartResponse, status: str, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),  # RFC 6749 5.1: tokens are never cached
            *(headers or []),
        ],
    )
    return [data]
