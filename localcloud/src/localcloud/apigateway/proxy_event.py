"""Parse a WSGI request into what API Gateway sees, and build the REST (v1) Lambda proxy event."""

from __future__ import annotations

import base64
import functools
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from wsgiref.types import WSGIEnvironment

from localcloud.apigateway.routes import RouteMatch
from localcloud.moto_patches.internals import PRESERVED_HEADER_NAMES_ENVIRON_KEY

USER_REQUEST_MARKER = "/_user_request_"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Types whose bodies API Gateway can hand over as text; anything else is binary.
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/javascript",
    "application/yaml",
    "application/x-yaml",
    "application/graphql",
    "multipart/form-data",
)
_CONTENT_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
# Headers of the client's hop that API Gateway does not pass on to the function.
_HOP_HEADERS = frozenset({"content-length", "connection", "keep-alive", "transfer-encoding"})


@dataclass(frozen=True)
class RequestIds:
    """The per-request identifiers API Gateway generates."""

    request_id: str
    extended_request_id: str
    trace_id: str
    epoch_ms: int

    @staticmethod
    def new() -> RequestIds:
        now = time.time()
        return RequestIds(
            request_id=str(uuid.uuid4()),
            # Same shape as x-amz-apigw-id: 16 base64 characters.
            extended_request_id=base64.b64encode(os.urandom(11)).decode("ascii"),
            trace_id=f"Root=1-{int(now):08x}-{os.urandom(12).hex()}",
            epoch_ms=int(now * 1000),
        )


@dataclass(frozen=True)
class IncomingRequest:
    """The parts of one data-plane request that routing and the event need."""

    api_id: str
    stage_name: str
    method: str
    raw_path: str  # after the stage, still percent-encoded, always starting with "/"
    segments: list[str]  # decoded path segments
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    source_ip: str
    protocol: str
    host: str

    def header(self, lower_name: str) -> str | None:
        for name, value in self.headers:
            if name.lower() == lower_name:
                return value
        return None


def split_gateway_path(path: str) -> tuple[str, str, str] | None:
    """Split `/restapis/<id>/<stage>/_user_request_/<rest>` into (id, stage, rest), else None."""
    parts = path.split("/", 5)
    if len(parts) < 5 or parts[1] != "restapis" or parts[4] != USER_REQUEST_MARKER[1:]:
        return None
    if not parts[2] or not parts[3]:
        return None
    return parts[2], parts[3], "/" + (parts[5] if len(parts) > 5 else "")


def _raw_user_path(environ: WSGIEnvironment) -> str:
    # RAW_URI keeps percent-encoding, which API Gateway keeps in `path`; PATH_INFO is decoded.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    raw_path = urlsplit(raw).path if raw.startswith(("http://", "https://")) else raw.split("?", 1)[0]
    if USER_REQUEST_MARKER not in raw_path:
        raw_path = environ.get("PATH_INFO", "")
    rest = raw_path.partition(USER_REQUEST_MARKER)[2]
    # WSGI strings carry the request line's bytes as latin-1; clients may send raw UTF-8.
    rest = rest.encode("latin-1", "replace").decode("utf-8", "replace")
    return "/" + rest.lstrip("/")


@functools.lru_cache(maxsize=1024)
def _header_name(environ_key: str) -> str:
    if environ_key in _CONTENT_HEADERS:
        return _CONTENT_HEADERS[environ_key]
    # WSGI loses the client's spelling; title case is what most clients send.
    return "-".join(part.capitalize() for part in environ_key[5:].split("_"))


def _headers(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    # moto's request handler records the real spelling of headers with underscores.
    preserved: Mapping[str, str] = environ.get(PRESERVED_HEADER_NAMES_ENVIRON_KEY) or {}
    return [
        (preserved.get(key) or _header_name(key), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_") or (key in _CONTENT_HEADERS and value)
    ]


def parse_request(environ: WSGIEnvironment, api_id: str, stage_name: str) -> IncomingRequest:
    raw_path = _raw_user_path(environ)
    return IncomingRequest(
        api_id=api_id,
        stage_name=stage_name,
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        raw_path=raw_path,
        segments=[unquote(s) for s in raw_path.split("/") if s],
        headers=_headers(environ),
        query=parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        source_ip=str(environ.get("REMOTE_ADDR", "")),
        protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        host=str(environ.get("HTTP_HOST", "")),
    )


# --------------------------------------------------------------------------- body


def media_type_matches(content_type: str, patterns: list[str]) -> bool:
    """Match a media type against binaryMediaTypes entries such as `image/png`, `image/*`, `*/*`.

    For an Accept header only its first media range counts, as in API Gateway.
    """
    media = content_type.split(",", 1)[0].split(";", 1)[0].strip().lower()
    if not media:
        return False
    kind = media.split("/", 1)[0]
    for pattern in patterns:
        wanted = pattern.strip().lower()
        if wanted in (media, "*/*") or (wanted.endswith("/*") and wanted[:-2] == kind):
            return True
    return False


def _is_text_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def encode_body(raw: bytes, content_type: str, binary_media_types: list[str]) -> tuple[str | None, bool]:
    """Return (body, isBase64Encoded) for the event."""
    if not raw:
        return None, False
    if media_type_matches(content_type, binary_media_types) or not _is_text_type(content_type):
        return base64.b64encode(raw).decode("ascii"), True
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


# --------------------------------------------------------------------------- event


def request_time(epoch_ms: int) -> str:
    """API Gateway's requestTime, e.g. `09/Apr/2015:12:34:56 +0000` (locale-independent)."""
    t = time.gmtime(epoch_ms / 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # the last value wins, as in API Gateway
        multi.setdefault(name, []).append(value)
    return single, multi


def _identity(request: IncomingRequest, api_key: str | None, api_key_id: str | None) -> dict[str, Any]:
    identity: dict[str, Any] = dict.fromkeys(
        (
            "cognitoIdentityPoolId",
            "accountId",
            "cognitoIdentityId",
            "caller",
            "principalOrgId",
            "accessKey",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "userArn",
            "user",
        )
    )
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = request.header("user-agent")
    if api_key is not None:
        identity["apiKey"] = api_key
    if api_key_id is not None:
        identity["apiKeyId"] = api_key_id
    return identity


@dataclass(frozen=True)
class EventInputs:
    """Everything besides the request itself that goes into the proxy event."""

    account_id: str
    deployment_id: str | None
    stage_variables: dict[str, str]
    api_key: str | None
    api_key_id: str | None
    body: str | None
    is_base64_encoded: bool
    authorizer_claims: dict[str, str] | None = None  # a user pool authorizer's verified token


def request_context(
    request: IncomingRequest, match: RouteMatch, ids: RequestIds, inputs: EventInputs
) -> dict[str, Any]:
    context = {
        "resourceId": match.route.resource_id,
        "resourcePath": match.route.path,
        "httpMethod": request.method,
        "extendedRequestId": ids.extended_request_id,
        "requestTime": request_time(ids.epoch_ms),
        "path": f"/{request.stage_name}{request.raw_path}",
        "accountId": inputs.account_id,
        "protocol": request.protocol,
        "stage": request.stage_name,
        "domainPrefix": request.host.split(".", 1)[0].split(":", 1)[0],
        "requestTimeEpoch": ids.epoch_ms,
        "requestId": ids.request_id,
        "identity": _identity(request, inputs.api_key, inputs.api_key_id),
        "domainName": request.host,
        "deploymentId": inputs.deployment_id,
        "apiId": request.api_id,
    }
    if inputs.authorizer_claims is not None:
        context["authorizer"] = {"claims": inputs.authorizer_claims}
    return context


def _forwarding_headers(request: IncomingRequest, ids: RequestIds) -> list[tuple[str, str]]:
    # API Gateway adds these before invoking; only when the client did not send them.
    port = request.host.rpartition(":")[2] if ":" in request.host else "80"
    added = [
        ("X-Amzn-Trace-Id", ids.trace_id),
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", port),
        ("X-Forwarded-Proto", "http"),
    ]
    present = {name.lower() for name, _ in request.headers}
    kept = [(name, value) for name, value in request.headers if name.lower() not in _HOP_HEADERS]
    return kept + [(name, value) for name, value in added if name.lower() not in present]


def build_proxy_event(
    request: IncomingRequest, match: RouteMatch, ids: RequestIds, inputs: EventInputs
) -> dict[str, Any]:
    """The REST API (payload format 1.0) Lambda proxy integration event."""
    headers, multi_headers = _multi(_forwarding_headers(request, ids))
    query, multi_query = _multi(request.query)
    return {
        "resource": match.route.path,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": inputs.stage_variables or None,
        "requestContext": request_context(request, match, ids, inputs),
        "body": inputs.body,
        "isBase64Encoded": inputs.is_base64_encoded,
    }
