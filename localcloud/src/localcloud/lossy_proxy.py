"""A proxy that loses answers on demand: the transport failure the SDKs' retries exist for.

Between a client (boto3, Terraform) and an AWS endpoint (the local cloud, a moto server), it
forwards every request and, for the ones ``lose`` picks, lets the endpoint do the work and then
resets the client's connection instead of answering: the client sees ``connection reset by
peer`` after the effect happened, exactly what a reply lost in transport looks like. The SDK
retries it with the same ``amz-sdk-invocation-id``. Tests use it to prove that such a retry
succeeds (``retried_calls``); without it, the retry of a create fails on the first attempt's
result.

Only one attempt of a call is ever lost (by its ``amz-sdk-invocation-id``; a request without one
is never lost), so every call completes. Each request is forwarded on a connection of its own; the ``Host`` header is
rewritten to the endpoint's, which checks it. Standard library only: a test tool for localhost.
"""

from __future__ import annotations

import http.client
import io
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from localcloud.chaos.wire import AwsRequest
from localcloud.settings import HOST

# The operations whose first answer ``losing_creates`` loses: each call that makes or adds something.
CREATING = ("Create", "Put", "Add", "Attach", "Authorize", "Associate", "Subscribe", "Tag", "Register", "Import")


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
    """The AWS operation a request calls, as the local cloud's fault rules name it."""
    path_info, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return AwsRequest(environ).operation


def losing_creates(operation: str | None) -> bool:
    """Lose the first answer of every call that creates or adds something."""
    return bool(operation) and str(operation).startswith(CREATING)


class LossyProxy:
    """``http://127.0.0.1:<port>`` in front of ``upstream``; started and stopped as a context manager."""

    def __init__(self, upstream: str, lose: Callable[[str | None], bool] = losing_creates) -> None:
        parsed = urlsplit(upstream)
        self._upstream = (parsed.hostname or HOST, parsed.port or 80)
        self._lose = lose
        self.lost: list[str] = []  # the operations whose answer was lost, in order
        self._lost_ids: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="lossy-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        original = dict(handler.headers.items())
        headers = {**original, "Host": f"{self._upstream[0]}:{self._upstream[1]}"}
        # As long as Terraform's own step timeout: a create behind the proxy may take minutes under load.
        upstream = http.client.HTTPConnection(*self._upstream, timeout=600)
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            answer = response.read()
        finally:
            upstream.close()
        invocation_id = handler.headers.get("amz-sdk-invocation-id")
        with self._lock:
            first = bool(invocation_id) and invocation_id not in self._lost_ids
        operation = operation_of(handler.command, handler.path, original, body) if first else None
        if first and self._lose(operation):
            with self._lock:
                self._lost_ids.add(str(invocation_id))
                self.lost.append(str(operation))
            # A reset, not a clean close: the client cannot take it for a finished answer.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.close_connection = True
            return
        handler.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a test tool: one line per request would drown the test's output

            def do_any(self) -> None:
                proxy._forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_any

        return Handler
