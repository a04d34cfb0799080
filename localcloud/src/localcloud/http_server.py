"""The HTTP server: werkzeug's threaded WSGI server, with persistent connections.

Werkzeug's development server answers every request with ``Connection: close``: Python's
``http.server`` does not drain a request body the application left unread, so the next request
line could be read from the middle of it. For the local cloud that is the most expensive part
of a call: every SDK call from a Lambda worker, the pollers' functions and Terraform opened a
new TCP connection, and the server started a new thread for it, all under the one interpreter
lock the AWS APIs share.

``PersistentConnectionHandler`` replaces werkzeug's ``run_wsgi`` with one that keeps HTTP/1.1
connections open:

- The request body is handed to the application as a stream limited to its ``Content-Length``;
  whatever the application did not read (a refused request, an unread upload) is read and
  dropped after the response, so the next request starts where it should. A chunked request
  body closes the connection after its response (nothing here sends one).
- A response with a ``Content-Length`` is sent as it is; one without is sent chunked, except
  where HTTP says it has no body (``HEAD``, 1xx, 204, 304).
- The connection closes when the client asks (``Connection: close``, or HTTP/1.0 without
  ``keep-alive``), when the application says ``Connection: close``, after an error the
  response could not be framed through, and when it has been idle for ``idle_seconds``; and
  after every request of the AWS SDK for Go (``_GO_SDK``).

moto's own handler (``MotoRequestHandler``) still builds the WSGI environment, so header
spelling stays as moto expects. ``PersistentConnectionServer.close_connections`` ends every
open connection once the listener is shut, so a client's pooled connection cannot reach a
stopped local cloud's applications.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import IO, Any, cast

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import ClientDisconnected, InternalServerError
from werkzeug.serving import ThreadedWSGIServer
from werkzeug.wsgi import LimitedStream

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# An idle keep-alive connection (and its thread) ends after this long; clients reconnect (urllib3,
# in the Python SDKs, checks a pooled connection before reusing it).
IDLE_SECONDS = 120.0
_WERKZEUG_LOG = logging.getLogger("werkzeug")
_NO_BODY_STATUSES = frozenset({204, 304})
# The AWS SDK for Go (Terraform's provider) keeps a connection per request, as werkzeug gave every
# client. Terraform meets rare transport errors here (a request answered by nothing; its retry of
# a create the server had done then fails on its own result, e.g. a duplicate security group
# rule): seen with reused connections and, less often, with a connection per request too. Until
# that is understood, deploys keep the behaviour they had; they are not where the time goes.
_GO_SDK = "aws-sdk-go"
# The client went away mid-request: nothing to answer, the connection ends.
_DROPPED = (ConnectionError, TimeoutError)


class PersistentConnectionHandler(MotoRequestHandler):
    """One connection: requests served in turn until either side closes it (see the module)."""

    protocol_version = "HTTP/1.1"
    # The head and the body are separate writes: on an open connection, Nagle's algorithm would
    # hold the body back until the client's delayed acknowledgement (tens of milliseconds).
    disable_nagle_algorithm = True
    server: PersistentConnectionServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def run_wsgi(self) -> None:
        # No "100 Continue" here: http.server's parse_request has sent it already.
        self.environ = environ = self.make_environ()
        body: LimitedStream | None = None
        if _GO_SDK in self.headers.get("User-Agent", ""):
            self.close_connection = True  # see _GO_SDK
        if environ.get("wsgi.input_terminated"):
            # werkzeug decodes the chunked body; what follows it is not worth parsing here.
            self.close_connection = True
        else:
            body = LimitedStream(cast(IO[bytes], self.rfile), _content_length(environ))
            environ["wsgi.input"] = body
        response = _Response(self, environ)
        try:
            response.run(self.server.app)
        except _DROPPED:
            self.close_connection = True
            return
        except Exception:
            if self.server.passthrough_errors:
                raise
            self.server.log("error", f"Error on request:\n{traceback.format_exc()}")
            # Whatever the application left unread or half sent, the connection cannot go on.
            self.close_connection = True
            if not response.status_sent:
                _Response(self, environ).run(InternalServerError())
            return
        if body is not None and not self.close_connection:
            try:
                body.exhaust()
            except (ClientDisconnected, *_DROPPED):
                self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats the line (and the date) before its logger drops it.
        if _WERKZEUG_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)

    def log_error(self, format: str, *args: Any) -> None:
        if args and isinstance(args[0], TimeoutError):
            return  # an idle connection reached IDLE_SECONDS: closed as designed
        super().log_error(format, *args)


class _Response:
    """A response's status, headers and framing, sent on the first body write."""

    def __init__(self, handler: PersistentConnectionHandler, environ: dict[str, Any]) -> None:
        self._handler = handler
        self._environ = environ
        self._status: str | None = None
        self._headers: list[tuple[str, str]] = []
        self.status_sent = False
        self._chunked = False

    def run(self, app: WSGIApp) -> None:
        result = app(self._environ, self.start_response)
        try:
            for data in result:
                self.write(data)
            if not self.status_sent:
                self.write(b"")
            if self._chunked:
                self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.status_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self._status, self._headers = status, list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        if not self.status_sent:
            self._send_head()
        if not data:
            return
        out = self._handler.wfile
        if self._chunked:
            out.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        else:
            out.write(data)

    def _send_head(self) -> None:
        if self._status is None:
            raise AssertionError("write() before start_response")
        handler = self._handler
        code_text, _, reason = self._status.partition(" ")
        code = int(code_text)
        names = {name.lower() for name, _ in self._headers}
        if any(n.lower() == "connection" and v.strip().lower() == "close" for n, v in self._headers):
            handler.close_connection = True
        bodiless = self._environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in _NO_BODY_STATUSES
        if "content-length" not in names and not bodiless:
            if handler.request_version >= "HTTP/1.1":
                self._chunked = True
            else:
                handler.close_connection = True  # an HTTP/1.0 body ends where the connection does
        handler.send_response(code, reason)
        for name, value in self._headers:
            if name.lower() != "connection":
                handler.send_header(name, value)
        if self._chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        if handler.close_connection:
            handler.send_header("Connection", "close")
        elif handler.request_version < "HTTP/1.1":
            handler.send_header("Connection", "keep-alive")
        handler.end_headers()
        self.status_sent = True


class PersistentConnectionServer(ThreadedWSGIServer):
    """werkzeug's threaded server with ``PersistentConnectionHandler``; knows its open connections."""

    def __init__(self, host: str, port: int, app: WSGIApp, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(host, port, app, handler=PersistentConnectionHandler)

    def opened(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(connection)

    @property
    def open_connections(self) -> int:
        with self._open_lock:
            return len(self._open)

    def close_connections(self) -> None:
        """End every open connection: a request in progress still gets its answer, no further one is read."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RD)


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0
