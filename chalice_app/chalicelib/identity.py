"""Who called: the caller API Gateway authenticated, read from the request context in this one place.

API Gateway authenticates a request before the function runs and writes what it established into
the proxy event's ``requestContext``, which no client can set. What it holds depends on the
deployment's ``auth_mode`` (Terraform, the api module):

- ``cognito``: the claims of the verified token in ``authorizer.claims``. ``sub`` names the caller:
  the app client itself for a client-credentials token (where ``sub`` is the client id), the user
  for a user's token; ``client_id`` stands in if a token has no ``sub``.
- ``iam``: the SigV4 signer in ``identity.userArn`` (for an assumed role, the role session), else
  ``identity.caller``.
- ``api_key`` (and every mode, since the key is always required): the key's id in
  ``identity.apiKeyId``, never its value.

The strongest identity present wins, so the app needs no setting to know the mode: with cognito the
claims are always there, with iam the signer, and the key id in every mode. A request with none (a
Chalice run without a gateway) is the anonymous caller.

Callers are told apart by ``Caller.scope``, a hash of the kind and id: idempotency keys are stored
under it (``service.EventService.create``), so one caller can neither take nor probe another's
keys, and the table never holds an identity in clear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COGNITO = "cognito"
IAM = "iam"
API_KEY = "api_key"
ANONYMOUS = "anonymous"
SCOPE_HEX_DIGITS = 32  # 128 bits of SHA-256: no two callers share a scope


@dataclass(frozen=True)
class Caller:
    kind: str  # cognito, iam, api_key or anonymous
    id: str

    @property
    def scope(self) -> str:
        """A fixed-length, opaque name of this caller for storage keys."""
        return hashlib.sha256(f"{self.kind}:{self.id}".encode()).hexdigest()[:SCOPE_HEX_DIGITS]


ANONYMOUS_CALLER = Caller(ANONYMOUS, "")


def _text(mapping: Mapping[str, Any], name: str) -> str | None:
    value = mapping.get(name)
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def caller_of(request_context: Mapping[str, Any] | None) -> Caller:
    """The caller of a request, from its ``requestContext`` (Chalice's ``Request.context``)."""
    context = _mapping(request_context)
    claims = _mapping(_mapping(context.get("authorizer")).get("claims"))
    subject = _text(claims, "sub") or _text(claims, "client_id")
    if subject is not None:
        return Caller(COGNITO, subject)
    identity = _mapping(context.get("identity"))
    signer = _text(identity, "userArn") or _text(identity, "caller")
    if signer is not None:
        return Caller(IAM, signer)
    key_id = _text(identity, "apiKeyId")
    if key_id is not None:
        return Caller(API_KEY, key_id)
    return ANONYMOUS_CALLER
