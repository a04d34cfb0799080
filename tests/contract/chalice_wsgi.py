"""A WSGI face for the Chalice app, so Schemathesis can drive it in-process.

Requests become the API Gateway proxy events our REST APIs send the `api` Lambda:
chalice.test.Client's local gateway builds the event (route matching, headers,
query string, base64 body) and the app object handles it, exactly as in Lambda.
Two things Chalice's local gateway does differently from our deployed gateways
are corrected here:

- path parameters arrive URL-decoded, as API Gateway delivers them (Chalice
  passes them still encoded);
- every method of a contract path reaches the app (Terraform adds an ANY method
  per path, so the app answers 405), where Chalice answers OPTIONS itself.

A path the contract does not have never reaches the Lambda: the deployed gateways
answer it with their MISSING_AUTHENTICATION_TOKEN response, a 404 in the Error
schema, and so does this adapter.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from chalice.test import Client

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as sent, still percent-encoded (PATH_INFO is already decoded)."""
    decoded = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    return quote(decoded, safe="/")


class ChaliceWsgi:
    def __init__(self, client: Client) -> None:
        self._gateway = client.http._local_gateway

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        path = _raw_path(environ)
        if environ.get("QUERY_STRING"):
            path = f"{path}?{environ['QUERY_STRING']}"
        status_code, headers, payload = self._invoke(environ["REQUEST_METHOD"], path, _headers(environ), body)
        status = HTTPStatus(status_code)
        start_response(f"{status.value} {status.phrase}", list(headers.items()))
        return [payload]

    def _invoke(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            event = self._gateway._generate_lambda_event(method, path, headers, body)
        except ValueError:
            error = {"code": "NotFound", "message": "no such route", "request_id": str(uuid.uuid4())}
            return 404, {"Content-Type": "application/json"}, json.dumps({"error": error}).encode()
        if event.get("pathParameters"):
            event["pathParameters"] = {name: unquote(value) for name, value in event["pathParameters"].items()}
        result = self._gateway._app_object(event, self._gateway._generate_lambda_context())
        payload = result.get("body") or ""
        content = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        headers_out = {name: str(value) for name, value in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), headers_out, content
