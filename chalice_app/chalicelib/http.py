"""HTTP glue shared by the routes: JSON responses and the contract's Error body."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from chalice.app import Request, Response

from chalicelib.errors import (
    ApiError,
    BadRequestError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
)
from chalicelib.events import loads_strict
from chalicelib.retry import error_code, is_transient

MAX_BODY_BYTES = 256 * 1024
_JSON = {"Content-Type": "application/json"}
# JSON may spell a UTF-16 surrogate as a \u escape, and Python parses a lone one into a string that
# cannot be encoded to UTF-8: stored, fingerprinted or logged, it fails. Only an escape can bring one
# in (the body is decoded from UTF-8 first), so the whole body is checked only when one is present.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

# Chalice answers a few cases itself (405, a crash in a view); their bodies are
# rewritten to the contract's Error schema with these codes.
_FRAMEWORK_CODES = {405: "MethodNotAllowed", 415: "UnsupportedMediaType", 400: "BadRequest"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers={**_JSON, **(headers or {})})


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": request_id}}


def error_response(error: ApiError, request_id: str) -> Response:
    body = error_body(error.code, error.message, request_id)
    return json_response(body, status=error.status, headers=error.headers())


def dependency_error(error: Exception) -> ApiError | None:
    """A dependency's trouble as the API answers it: 503 with Retry-After, never a 500."""
    if not is_transient(error):
        return None
    what = error_code(error) or type(error).__name__
    return ServiceUnavailableError(f"a dependency is throttling or unavailable ({what}); retry after the delay given")


def request_id(request: Request | None) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


def header(request: Request, name: str) -> str | None:
    headers: Mapping[str, Any] = request.headers or {}
    value = headers.get(name)
    return None if value is None else str(value)


def conform_framework_error(response: Response, request: Request | None) -> Response:
    """Rewrite Chalice's own ``{"Code", "Message"}`` error bodies to the contract's Error schema."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    status = response.status_code
    if status >= 500:
        code, message = "InternalError", "An internal error occurred; nothing was half-written."
    else:
        code, message = _FRAMEWORK_CODES.get(status, "BadRequest"), str(body.get("Message", ""))
    headers = {name: str(value) for name, value in response.headers.items() if name.lower() != "content-type"}
    return json_response(error_body(code, message, request_id(request)), status=status, headers=headers)


def parse_json_request(raw: bytes, content_type: str | None, max_bytes: int) -> Any:
    """Turn a request body into JSON, or say exactly why not (415, 413, 400)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaTypeError(f"Content-Type must be application/json, got {content_type or 'none'}")
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"request body is {len(raw)} bytes; the limit is {max_bytes}")
    if not raw.strip():
        raise BadRequestError("request body is empty; send a JSON object")
    try:
        body = loads_strict(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequestError("request body is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise BadRequestError(f"request body is not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(raw) and not _is_unicode(body):
        raise BadRequestError(
            "request body holds a lone surrogate (a \\u escape in D800-DFFF without its pair), which is not a character"
        )
    return body


def _is_unicode(value: Any) -> bool:
    """Whether every string of a parsed body, keys included, is Unicode text that UTF-8 can encode."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
