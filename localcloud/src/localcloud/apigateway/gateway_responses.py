"""Responses the local API Gateway sends itself: gateway responses and Lambda proxy output.

Gateway responses follow API Gateway's lookup: the API's configured response
for the type, else its configured DEFAULT_4XX / DEFAULT_5XX, else the built-in
`{"message": ...}`. Templates are rendered with the `$context` variables that
gateway-response templates commonly use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.moto_patches.internals import GatewayResponse

DEFAULT_TEMPLATES = {"application/json": '{"message":$context.error.messageString}'}


@dataclass(frozen=True)
class GatewayError:
    """A response API Gateway answers itself, with its default status and message."""

    response_type: str
    status: int
    message: str
    error_type: str  # the x-amzn-ErrorType header value
    validation_error: str = ""  # $context.error.validationErrorString: what a request validator found


MISSING_AUTHENTICATION_TOKEN = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"
)
# API Gateway answers a missing key and an unknown, disabled or unplanned key alike.
INVALID_API_KEY = GatewayError("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException")
# A user pool authorizer refusing the request: no token, a bad or expired one, or none of the scopes.
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")
REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException")
# A function error or malformed proxy output is a 502 with no specific response type:
# INTEGRATION_FAILURE's default status is 504, so it is DEFAULT_5XX that AWS applies.
LAMBDA_FAILURE = GatewayError("DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException")
# The Lambda service could not run the function at all (AWS answers 500 for that).
INTEGRATION_FAILURE = GatewayError("INTEGRATION_FAILURE", 500, "Internal server error", "InternalServerErrorException")
# An unexpected fault inside the gateway itself.
INTERNAL_ERROR = GatewayError("DEFAULT_5XX", 500, "Internal server error", "InternalServerErrorException")
API_CONFIGURATION_ERROR = GatewayError(
    "API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException"
)


def bad_request_parameters(missing: list[str]) -> GatewayError:
    """A request validator found required parameters missing or blank (names as the method declares them)."""
    message = f"Missing required request parameters: [{', '.join(missing)}]"
    return GatewayError("BAD_REQUEST_PARAMETERS", 400, message, "BadRequestException")


def bad_request_body(findings: list[str]) -> GatewayError:
    """A request validator found the body is not JSON or does not match the method's model."""
    return GatewayError(
        "BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException", f"[{', '.join(findings)}]"
    )


@dataclass(frozen=True)
class RenderContext:
    """Values a gateway response may refer to: `$context.*`, stage variables, request parts."""

    context: dict[str, Any]
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    query: Mapping[str, str] = field(default_factory=dict)
    path_parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class _Shape:
    status: int
    parameters: Mapping[str, str]
    templates: Mapping[str, str]


def _as_status(value: Any, fallback: int) -> int:
    try:
        return int(value) if value not in (None, "") else fallback
    except (TypeError, ValueError):
        return fallback


def _shape(error: GatewayError, configured: Mapping[str, GatewayResponse]) -> _Shape:
    chosen = configured.get(error.response_type)
    if chosen is None:
        chosen = configured.get("DEFAULT_5XX" if error.status >= 500 else "DEFAULT_4XX")
    if chosen is None:
        return _Shape(error.status, {}, DEFAULT_TEMPLATES)
    return _Shape(
        _as_status(chosen.status_code, error.status),
        chosen.response_parameters or {},
        chosen.response_templates or DEFAULT_TEMPLATES,
    )


# $context.a.b, ${context.a.b}, $!context.a.b, $!{context.a.b}, and the same for stageVariables.
_VARIABLE = re.compile(r"\$(!?)(\{)?(context|stageVariables)((?:\.[A-Za-z0-9_]+)+)(?(2)\})")


def render_template(template: str, ctx: RenderContext) -> str:
    """Substitute VTL references; unknown ones stay literal unless quiet (`$!`), as VTL does."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(4)[1:]
        source: Mapping[str, Any] = ctx.context if match.group(3) == "context" else ctx.stage_variables
        value = source.get(name)
        if value is None:
            return "" if match.group(1) else match.group(0)
        return str(value)

    return _VARIABLE.sub(substitute, template)


def _parameter_value(expression: str, ctx: RenderContext) -> str | None:
    """Evaluate a responseParameters value: `'literal'`, `method.request.*.name`, `stageVariables.name`, `context.x`."""
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    if expression.startswith("context."):
        value = ctx.context.get(expression.removeprefix("context."))
    else:
        prefix, _, name = expression.rpartition(".")
        sources: dict[str, Mapping[str, Any]] = {
            "method.request.header": ctx.request_headers,
            "method.request.querystring": ctx.query,
            "method.request.path": ctx.path_parameters,
            "stageVariables": ctx.stage_variables,
        }
        source = sources.get(prefix)
        key = name.lower() if prefix == "method.request.header" else name
        value = source.get(key) if source is not None else None
    return None if value is None else str(value)


def _parameter_headers(parameters: Mapping[str, str], ctx: RenderContext) -> list[tuple[str, str]]:
    headers = []
    for target, expression in parameters.items():
        if not target.startswith("gatewayresponse.header."):
            continue
        value = _parameter_value(str(expression), ctx)
        if value is not None:
            headers.append((target.removeprefix("gatewayresponse.header."), value))
    return headers


def render_gateway_response(
    error: GatewayError, configured: Mapping[str, GatewayResponse], ctx: RenderContext
) -> HttpResponse:
    """Build the response API Gateway would send for `error` on an API with `configured` responses."""
    shape = _shape(error, configured)
    full_ctx = RenderContext(
        context={
            **ctx.context,
            "error.message": error.message,
            "error.messageString": json.dumps(error.message),
            "error.responseType": error.response_type,
            "error.validationErrorString": error.validation_error,
        },
        stage_variables=ctx.stage_variables,
        request_headers=ctx.request_headers,
        query=ctx.query,
        path_parameters=ctx.path_parameters,
    )
    content_type = "application/json" if "application/json" in shape.templates else next(iter(shape.templates))
    body = render_template(shape.templates[content_type], full_ctx).encode("utf-8")
    headers = [("Content-Type", content_type), ("x-amzn-ErrorType", error.error_type)]
    headers.extend(_parameter_headers(shape.parameters, full_ctx))
    return HttpResponse(shape.status, headers, body)


# --------------------------------------------------------------------------- Lambda proxy output

_PROXY_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: str
    is_base64_encoded: bool


def _header_text(value: Any) -> str | None:
    # API Gateway accepts strings and booleans as header values, nothing else.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else None


def _single_headers(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        return None
    values = {str(k): _header_text(v) for k, v in raw.items()}
    return None if None in values.values() else values  # type: ignore[return-value]


def _multi_headers(raw: Any) -> dict[str, list[str]] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        return None
    values = {str(k): [_header_text(item) for item in v] for k, v in raw.items()}
    if any(None in items for items in values.values()):
        return None
    return values  # type: ignore[return-value]


def _merge_headers(single: dict[str, str], multi: dict[str, list[str]]) -> list[tuple[str, str]]:
    # When a name is in both, API Gateway keeps only the multiValueHeaders values.
    multi_names = {name.lower() for name in multi}
    merged = [(name, value) for name, value in single.items() if name.lower() not in multi_names]
    merged.extend((name, value) for name, values in multi.items() for value in values)
    return merged


def _proxy_status(raw: Any) -> int | None:
    if raw is None:
        return 200
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    try:
        status = int(raw)
    except ValueError:
        return None
    return status if 100 <= status <= 599 else None


def parse_proxy_response(payload: str) -> ProxyResponse | None:
    """Validate a Lambda proxy result; None means API Gateway would call it malformed (502)."""
    try:
        data = json.loads(payload) if payload else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.keys() <= _PROXY_KEYS:
        return None
    status = _proxy_status(data.get("statusCode"))
    single = _single_headers(data.get("headers"))
    multi = _multi_headers(data.get("multiValueHeaders"))
    body = data.get("body")
    is_base64 = data.get("isBase64Encoded")
    if status is None or single is None or multi is None:
        return None
    if (body is not None and not isinstance(body, str)) or not isinstance(is_base64, (bool, type(None))):
        return None
    return ProxyResponse(status, _merge_headers(single, multi), body or "", bool(is_base64))
