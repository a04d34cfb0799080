"""API Gateway (REST, v1) data plane for the local cloud, on moto's own state.

`wrap_wsgi_app` puts it in front of moto's WSGI app: requests to LocalStack's
path form `/restapis/<api-id>/<stage>/_user_request_/<path>` are served here
(route, user pool authorizer, API key, request validation, Lambda proxy
integration, gateway responses); every other request goes to moto untouched. Of
a method's authorization only COGNITO_USER_POOLS is enforced (``authorizers``);
AWS_IAM is not (IAM is not enforced locally). `install_import_fidelity` makes moto's OpenAPI
import keep what this data plane needs (see ``import_fidelity``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import http
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from localcloud.apigateway.authorizers import Unauthorized, authorize
from localcloud.apigateway.gateway_responses import (
    API_CONFIGURATION_ERROR,
    INTEGRATION_FAILURE,
    INTERNAL_ERROR,
    INVALID_API_KEY,
    LAMBDA_FAILURE,
    MISSING_AUTHENTICATION_TOKEN,
    REQUEST_TOO_LARGE,
    UNAUTHORIZED,
    GatewayError,
    HttpResponse,
    ProxyResponse,
    RenderContext,
    parse_proxy_response,
    render_gateway_response,
)
from localcloud.apigateway.generation import install_change_tracking
from localcloud.apigateway.import_fidelity import install_import_fidelity
from localcloud.apigateway.proxy_event import (
    EventInputs,
    IncomingRequest,
    RequestIds,
    build_proxy_event,
    encode_body,
    media_type_matches,
    parse_request,
    split_gateway_path,
)
from localcloud.apigateway.request_validation import check_request
from localcloud.apigateway.routes import (
    MethodTarget,
    RouteMatch,
    deployed_stage,
    find_rest_api,
    route_table,
    valid_api_key_id,
)
from localcloud.moto_patches.internals import RestAPI, Stage

__all__ = ["Invoke", "install_import_fidelity", "wrap_wsgi_app"]

LOG = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], tuple[str, bool]]

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's REST payload limit
# Beyond this a too-large body is not drained: the connection is closed instead.
_MAX_DRAIN_BYTES = 64 * 1024 * 1024
_DRAIN_CHUNK = 1024 * 1024
_CLOSE_CONNECTION = "localcloud.apigateway.data_plane.close_connection"
_DEFAULT_REGION = "us-east-1"
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_LAMBDA_URI = re.compile(r":lambda:path/[^/]+/functions/(?P<arn>.+?)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
# Response headers API Gateway does not pass through but renames (they describe its own hop).
_REMAPPED_HEADERS = frozenset({"authorization", "connection", "content-length", "date", "server", "www-authenticate"})
_DROPPED_HEADERS = frozenset({"transfer-encoding"})


class _GatewayAnswer(Exception):
    """Raised inside the pipeline when API Gateway answers the request itself."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(error.response_type)
        self.error = error


@dataclass
class _Exchange:
    """One request's state as the pipeline fills it in."""

    request: IncomingRequest
    ids: RequestIds
    api: RestAPI
    stage: Stage | None = None
    match: RouteMatch | None = None
    api_key_id: str | None = None
    claims: dict[str, str] | None = None  # of the token a user pool authorizer accepted


# --------------------------------------------------------------------------- WSGI entry


def wrap_wsgi_app(app: WSGIApplication, invoke: Invoke) -> WSGIApplication:
    """Serve LocalStack-form API Gateway URLs with `invoke`, pass everything else to `app`."""
    install_change_tracking()

    def gateway_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/restapis/") or "/_user_request_" not in path:
            return app(environ, start_response)
        parts = split_gateway_path(path)
        if parts is None:
            return app(environ, start_response)
        response = _serve(environ, parts[0], parts[1], invoke)
        headers = response.headers
        if environ.get(_CLOSE_CONNECTION):
            # http.server's send_header turns this into closing the connection after the reply.
            headers = [*headers, ("Connection", "close")]
        start_response(_status_line(response.status), headers)
        return [response.body]

    return gateway_app


@functools.lru_cache(maxsize=128)
def _status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _region_hint(environ: WSGIEnvironment) -> str:
    found = _CREDENTIAL_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else _DEFAULT_REGION


def _serve(environ: WSGIEnvironment, api_id: str, stage_name: str, invoke: Invoke) -> HttpResponse:
    ids = RequestIds.new()
    api = find_rest_api(api_id, _region_hint(environ))
    if api is None:
        _drain_request(environ)
        return _with_ids(_unknown_api(api_id), ids)
    exchange = _Exchange(parse_request(environ, api_id, stage_name), ids, api)
    try:
        response = _handle(exchange, environ, invoke)
    except _GatewayAnswer as answer:
        LOG.info("API Gateway answered %s itself: %s", exchange.request.raw_path, answer.error.response_type)
        response = _gateway_response(answer.error, exchange)
    except Exception:
        # A fault of the local cloud itself: answer like API Gateway's own 500 and log it loudly.
        LOG.exception("Local API Gateway failed on %s %s", exchange.request.method, exchange.request.raw_path)
        response = _gateway_response(INTERNAL_ERROR, exchange)
    return _with_ids(response, ids)


def _unknown_api(api_id: str) -> HttpResponse:
    # No API means no configured gateway responses; real API Gateway would not even resolve the host.
    body = f'{{"message":"The API id \'{api_id}\' does not correspond to a deployed API Gateway API"}}'
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "NotFoundException")]
    return HttpResponse(404, headers, body.encode("utf-8"))


def _with_ids(response: HttpResponse, ids: RequestIds) -> HttpResponse:
    headers = [
        *response.headers,
        ("x-amzn-RequestId", ids.request_id),
        ("x-amz-apigw-id", ids.extended_request_id),
        ("X-Amzn-Trace-Id", ids.trace_id),
    ]
    return HttpResponse(response.status, headers, response.body)


# --------------------------------------------------------------------------- pipeline


def _handle(exchange: _Exchange, environ: WSGIEnvironment, invoke: Invoke) -> HttpResponse:
    body = _read_body(environ)  # the size limit applies before routing, as at API Gateway's edge
    stage = exchange.stage = deployed_stage(exchange.api, exchange.request.stage_name)
    if stage is None:
        raise _GatewayAnswer(MISSING_AUTHENTICATION_TOKEN)
    match = exchange.match = route_table(exchange.api, stage).match(exchange.request.segments)
    method = match.route.method_for(exchange.request.method) if match else None
    if match is None or method is None:
        raise _GatewayAnswer(MISSING_AUTHENTICATION_TOKEN)
    _authorize(exchange, method)  # API Gateway authorizes before it checks the API key
    _check_api_key(exchange, method)
    # After the key, as on AWS: a caller without one learns nothing about what the method expects.
    failure = check_request(exchange.api, method.checks, exchange.request, match.path_parameters, body)
    if failure is not None:
        raise _GatewayAnswer(failure)
    function_arn = _function_arn(method, stage)
    event = _proxy_event(exchange, stage, match, body)
    return _proxy_response(_invoke(invoke, function_arn, event), exchange)


def _read_body(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    length = _content_length(environ)
    if length is None and not environ.get("wsgi.input_terminated"):
        return b""  # no length and not chunked: there is no body
    # Never read past Content-Length: the stream is the socket and would block.
    wanted = MAX_BODY_BYTES + 1 if length is None else min(length, MAX_BODY_BYTES + 1)
    body: bytes = stream.read(wanted) if wanted else b""
    if len(body) > MAX_BODY_BYTES:
        _drain(environ, None if length is None else length - len(body))
        raise _GatewayAnswer(REQUEST_TOO_LARGE)
    return body


def _content_length(environ: WSGIEnvironment) -> int | None:
    try:
        return max(int(environ["CONTENT_LENGTH"]), 0) if environ.get("CONTENT_LENGTH") else None
    except ValueError:
        return None


def _drain(environ: WSGIEnvironment, remaining: int | None) -> None:
    """Discard the unread body (None: until the chunked stream ends).

    On a keep-alive connection an unread body would be parsed as the next request,
    and closing while the client still sends makes it see a reset instead of our
    answer. Past a cap the connection is closed rather than read further.
    """
    stream, drained = environ["wsgi.input"], 0
    while remaining is None or drained < remaining:
        step = _DRAIN_CHUNK if remaining is None else min(_DRAIN_CHUNK, remaining - drained)
        chunk = stream.read(step)
        if not chunk:
            return
        drained += len(chunk)
        if drained > _MAX_DRAIN_BYTES:
            environ[_CLOSE_CONNECTION] = True
            return


def _drain_request(environ: WSGIEnvironment) -> None:
    length = _content_length(environ)
    if length or environ.get("wsgi.input_terminated"):
        _drain(environ, length)


def _authorize(exchange: _Exchange, method: MethodTarget) -> None:
    authorizer = method.user_pool_authorizer
    if authorizer is None:
        return
    try:
        exchange.claims = authorize(authorizer, method.authorization_scopes, exchange.request.header(authorizer.header))
    except Unauthorized as refused:
        LOG.info("The user pool authorizer refused %s: %s", exchange.request.raw_path, refused)
        raise _GatewayAnswer(UNAUTHORIZED) from None


def _check_api_key(exchange: _Exchange, method: MethodTarget) -> None:
    sent = exchange.request.header("x-api-key")
    if not method.api_key_required:
        return
    key_id = valid_api_key_id(exchange.api, exchange.request.stage_name, sent) if sent else None
    if key_id is None:
        raise _GatewayAnswer(INVALID_API_KEY)
    exchange.api_key_id = key_id


def _function_arn(method: MethodTarget, stage: Stage) -> str:
    found = _LAMBDA_URI.search(method.integration_uri or "")
    if method.integration_type != "AWS_PROXY" or found is None:
        LOG.warning(
            "Execution failed due to configuration error: %s integration %r is not a Lambda proxy",
            method.integration_type,
            method.integration_uri,
        )
        raise _GatewayAnswer(API_CONFIGURATION_ERROR)
    if (method.integration_http_method or "POST").upper() != "POST":
        # Lambda's Invoke API is a POST; API Gateway fails any other integration method.
        LOG.warning("Execution failed due to configuration error: Lambda proxy integration must use POST")
        raise _GatewayAnswer(API_CONFIGURATION_ERROR)
    variables = stage.variables or {}
    return _STAGE_VARIABLE.sub(lambda m: str(variables.get(m.group(1), "")), found.group("arn"))


def _proxy_event(exchange: _Exchange, stage: Stage, match: RouteMatch, raw_body: bytes) -> dict[str, Any]:
    content_type = exchange.request.header("content-type") or ""
    body, is_base64 = encode_body(raw_body, content_type, list(exchange.api.binaryMediaTypes or []))
    inputs = EventInputs(
        account_id=exchange.api.account_id,
        deployment_id=stage.deployment_id,
        stage_variables=dict(stage.variables or {}),
        api_key=exchange.request.header("x-api-key"),
        api_key_id=exchange.api_key_id,
        body=body,
        is_base64_encoded=is_base64,
        authorizer_claims=exchange.claims,
    )
    return build_proxy_event(exchange.request, match, exchange.ids, inputs)


def _invoke(invoke: Invoke, function_arn: str, event: dict[str, Any]) -> ProxyResponse:
    try:
        payload, is_error = invoke(function_arn, event)
    except Exception:
        LOG.exception("Execution failed: Lambda could not invoke %s", function_arn)
        raise _GatewayAnswer(INTEGRATION_FAILURE) from None
    if is_error:
        LOG.info("Lambda execution failed due to customer function error: %.500s", payload)
        raise _GatewayAnswer(LAMBDA_FAILURE)
    parsed = parse_proxy_response(payload)
    if parsed is None:
        LOG.warning("Execution failed due to configuration error: Malformed Lambda proxy response: %.500s", payload)
        raise _GatewayAnswer(LAMBDA_FAILURE)
    return parsed


# --------------------------------------------------------------------------- responses


def _header_safe(text: str) -> str:
    # WSGI header values are latin-1 strings without line breaks; keep UTF-8 bytes intact.
    cleaned = text.replace("\r", " ").replace("\n", " ")
    return cleaned.encode("utf-8").decode("latin-1")


def _response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    result = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS:
            continue
        sent_name = f"x-amzn-Remapped-{name}" if lowered in _REMAPPED_HEADERS else name
        result.append((_header_safe(sent_name), _header_safe(value)))
    if not any(name.lower() == "content-type" for name, _ in result):
        result.append(("Content-Type", "application/json"))
    return result


def _proxy_response(proxy: ProxyResponse, exchange: _Exchange) -> HttpResponse:
    body = proxy.body.encode("utf-8")
    accept = exchange.request.header("accept") or ""
    # API Gateway only turns base64 output into bytes when the client accepts a binary media type.
    if proxy.is_base64_encoded and media_type_matches(accept, list(exchange.api.binaryMediaTypes or [])):
        try:
            body = base64.b64decode(proxy.body, validate=True)
        except (binascii.Error, ValueError):
            raise _GatewayAnswer(API_CONFIGURATION_ERROR) from None
    return HttpResponse(proxy.status, _response_headers(proxy.headers), body)


def _render_context(exchange: _Exchange) -> RenderContext:
    request, stage, match = exchange.request, exchange.stage, exchange.match
    context: dict[str, Any] = {
        "requestId": exchange.ids.request_id,
        "extendedRequestId": exchange.ids.extended_request_id,
        "apiId": exchange.api.id,
        "accountId": exchange.api.account_id,
        "stage": request.stage_name,
        "httpMethod": request.method,
        "path": f"/{request.stage_name}{request.raw_path}",
        "resourcePath": match.route.path if match else None,
        "resourceId": match.route.resource_id if match else None,
        "domainName": request.host,
        "protocol": request.protocol,
        "requestTimeEpoch": exchange.ids.epoch_ms,
        "identity.sourceIp": request.source_ip,
        "identity.userAgent": request.header("user-agent"),
        "identity.apiKey": request.header("x-api-key"),
        "identity.apiKeyId": exchange.api_key_id,
    }
    return RenderContext(
        context=context,
        stage_variables=dict(stage.variables or {}) if stage else {},
        request_headers={name.lower(): value for name, value in request.headers},
        query=dict(request.query),
        path_parameters=match.path_parameters if match else {},
    )


def _gateway_response(error: GatewayError, exchange: _Exchange) -> HttpResponse:
    response = render_gateway_response(error, exchange.api.gateway_responses, _render_context(exchange))
    headers = [(_header_safe(name), _header_safe(value)) for name, value in response.headers]
    return HttpResponse(response.status, headers, response.body)
