"""The HTTP servers the local cloud can run on (``settings.HTTP_SERVERS``), behind one surface.

``make_server(kind, host, port, app)`` binds at once (the port is known before the application is
built, then assigned to ``.app``). ``werkzeug`` is the home-made ``PersistentConnectionServer``;
``waitress`` and ``cheroot`` are maintained servers, adapted so the application sees what moto
sees behind werkzeug:

- Request headers by moto's rule (``MotoRequestHandler.make_environ``): a name with an underscore
  is dropped (WSGI cannot tell ``X_Foo`` from ``X-Foo``), except S3 metadata's, whose spelling moto
  reads from ``PRESERVED_HEADER_NAMES_ENVIRON_KEY``; a dashed header wins. Response header names go
  out as spelled (botocore takes an S3 metadata key's case from the name after ``x-amz-meta-``).
- ``RAW_URI`` (moto's ``raw_path``), and ``%2F`` decoded in ``PATH_INFO`` as werkzeug does.
- The application's ``Connection: close`` (the data plane's, for a body too large to drain) closes.

Threads: a request waiting on a Lambda handler (a synchronous Invoke, an API Gateway proxy call,
``/_localcloud/tick``) holds its thread while the handler calls back into this server, so a fixed
pool deadlocks once every thread waits (until the functions time out). The pools start at
``MIN_THREADS`` (idle threads cost no CPU) and grow by a thread whenever a request finds none idle:
never short, like werkzeug's thread per connection, but only as many as were ever busy at once.
Bodies: no limit below AWS's largest request (S3 PutObject, 5 GiB; Lambda CreateFunction, ~70 MB).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_to_bytes

from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from cheroot.makefile import MakeFile
from cheroot.workers.threadpool import ThreadPool, WorkerThread
from moto.moto_server.werkzeug_app import (  # type: ignore[attr-defined]  # moto's, imported there
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from waitress import adjustments, channel, parser, task, wasyncore  # type: ignore[import-untyped]  # waitress ships no type hints
from waitress import server as waitress_server

from localcloud.http_server import IDLE_SECONDS, PersistentConnectionServer
from localcloud.settings import HTTP_SERVERS

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

MIN_THREADS = 64
# S3's largest single PUT; anything an AWS API accepts in one request fits.
MAX_BODY_BYTES = 5 * 1024**3
# Bodies and answers up to this stay in memory; waitress's defaults (0.5 and 1 MiB) spool a
# Lambda zip or a large S3 object through a temporary file.
_IN_MEMORY_BYTES = 64 * 1024 * 1024
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding"}
)
_CLOSE_REQUESTED = "localcloud.http_servers.close"


class HttpServer(Protocol):
    """What ``server.py`` and the tests use of a server. ``close_connections``: every open connection
    ends; a request in progress still gets its answer, no further one is read."""

    app: WSGIApplication

    @property
    def server_port(self) -> int: ...
    @property
    def open_connections(self) -> int: ...
    def serve_forever(self, poll_interval: float = 0.5) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...
    def close_connections(self) -> None: ...


def make_server(
    kind: str, host: str, port: int, app: WSGIApplication, idle_seconds: float = IDLE_SECONDS
) -> HttpServer:
    """A bound server of ``kind`` (one of ``settings.HTTP_SERVERS``); ``serve_forever`` starts it."""
    if kind == "werkzeug":
        return PersistentConnectionServer(host, port, app, idle_seconds)
    if kind == "waitress":
        return WaitressServer(host, port, app, idle_seconds)
    if kind == "cheroot":
        return CherootServer(host, port, app, idle_seconds)
    raise ValueError(f"unknown HTTP server {kind!r}: one of {', '.join(HTTP_SERVERS)}")


def preserve_header_names(environ: dict[str, Any], underscored: Iterable[tuple[str, str]], dashed: set[str]) -> None:
    """moto's rule for the request's underscored headers (``dashed``: the environ keys of the others)."""
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in underscored:
        key = environ_key_for_header(name)
        if should_preserve_original_header_name(name) and key not in dashed:
            names.setdefault(key, name)
            values.setdefault(key, []).append(value)
    for key, joined in values.items():
        environ[key] = ",".join(joined)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


def _closing_app(server_app: Callable[[], WSGIApplication]) -> WSGIApplication:
    """The current application, its hop-by-hop headers taken out (waitress refuses them, cheroot
    would frame by them) and ``Connection: close`` noted in the environ for the server."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def checked(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(name.lower() in _HOP_BY_HOP for name, _ in headers):
                if any(n.lower() == "connection" and v.strip().lower() == "close" for n, v in headers):
                    environ[_CLOSE_REQUESTED] = True
                headers = [(name, value) for name, value in headers if name.lower() not in _HOP_BY_HOP]
            return start_response(status, headers, exc_info)

        return server_app()(environ, checked)

    return app


# --- waitress: one thread reads and writes every socket (poll), a pool runs the application ---


class _WaitressParser(parser.HTTPRequestParser):  # type: ignore[misc]  # waitress has no type hints: its classes are Any
    underscored: tuple[tuple[str, str], ...] = ()

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        head = header_plus.partition(b"\r\n")[2]
        if b"_" in head:  # waitress drops these; moto needs S3 metadata's
            lines = (line.partition(b":") for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t"))
            self.underscored = tuple(
                (name.strip().decode("latin-1"), value.strip(b" \t").decode("latin-1"))
                for name, _, value in lines
                if b"_" in name
            )


class _WaitressTask(task.WSGITask):  # type: ignore[misc]  # waitress has no type hints: its classes are Any
    def get_environment(self) -> dict[str, Any]:
        if self.environ is not None:
            return self.environ  # type: ignore[no-any-return]  # waitress's attributes are untyped
        environ: dict[str, Any] = super().get_environment()
        environ["RAW_URI"] = environ["REQUEST_URI"]
        request = self.request
        if request.underscored:
            dashed = {environ_key_for_header(name) for name in request.headers}
            preserve_header_names(environ, request.underscored, dashed)
        else:
            environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {}
        return environ

    def build_response_header(self) -> bytes:
        if self.environ.get(_CLOSE_REQUESTED):
            self.set_close_on_finish()
        spelled = {"-".join(p.capitalize() for p in name.split("-")): name for name, _ in self.response_headers}
        head: bytes = super().build_response_header()
        if all(normal == name for normal, name in spelled.items()):
            return head
        # waitress capitalises every name ("x-amz-meta-key" would reach botocore as metadata "Key").
        status, *lines = head.decode("latin-1").split("\r\n")
        for index, line in enumerate(lines):
            name, sep, value = line.partition(": ")
            lines[index] = f"{spelled.get(name, name)}{sep}{value}"
        return "\r\n".join([status, *lines]).encode("latin-1")


class _WaitressChannel(channel.HTTPChannel):  # type: ignore[misc]  # waitress has no type hints: its classes are Any
    parser_class = _WaitressParser
    task_class = _WaitressTask

    def service(self) -> None:
        super().service()
        if self.server.stopped:  # no loop closes it now: the answer is out, no other request is read
            with self.outbuf_lock:
                self._flush_exception(self._flush_some, do_close=False)
            self.handle_close()


class _WaitressListener(waitress_server.TcpWSGIServer):  # type: ignore[misc]  # waitress has no type hints: its classes are Any
    channel_class = _WaitressChannel
    stopped = False


class _GrowingDispatcher(task.ThreadedTaskDispatcher):  # type: ignore[misc]  # waitress has no type hints: its classes are Any
    def add_task(self, queued: Any) -> None:
        with self.lock:
            self.queue.append(queued)
            self.queue_cv.notify()
            running = len(self.threads) - self.stop_count
            short = len(self.queue) - (running - self.active_count)
        if short > 0:
            self.set_thread_count(running + short)


class WaitressServer:
    def __init__(self, host: str, port: int, app: WSGIApplication, idle_seconds: float = IDLE_SECONDS) -> None:
        self.app = app
        self._map: dict[int, Any] = {}
        self._dispatcher = _GrowingDispatcher()
        self._dispatcher.set_thread_count(MIN_THREADS)
        idle = max(1, round(idle_seconds))  # waitress counts whole seconds
        adj = adjustments.Adjustments(
            host=host,
            port=port,
            threads=MIN_THREADS,
            channel_timeout=idle,
            cleanup_interval=min(30, idle),
            connection_limit=1000,  # waitress's 100 would stop accepting; werkzeug has none
            asyncore_use_poll=True,  # select() fails past 1,024 descriptors
            max_request_body_size=MAX_BODY_BYTES,
            inbuf_overflow=_IN_MEMORY_BYTES,
            outbuf_overflow=_IN_MEMORY_BYTES,
            clear_untrusted_proxy_headers=False,  # no proxy in front; its middleware costs a call
            server_name=host,
        )
        self._listener = _WaitressListener(
            _closing_app(lambda: self.app), map=self._map, dispatcher=self._dispatcher, adj=adj
        )
        self._stop = False
        self._serving = threading.Event()
        self._stopped = threading.Event()

    @property
    def server_port(self) -> int:
        return int(self._listener.effective_port)

    @property
    def open_connections(self) -> int:
        return len(self._listener.active_channels)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving.set()
        try:
            while not self._stop:
                wasyncore.loop(timeout=poll_interval, map=self._map, use_poll=True, count=1)
        finally:
            self._listener.stopped = True
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop the loop (no new connection, no further read); answers in progress are written by their threads."""
        self._stop = True
        self._listener.pull_trigger()
        if self._serving.is_set():
            self._stopped.wait()
        self._listener.stopped = True

    def server_close(self) -> None:
        # Not the listener's own close(): that closes the trigger pipe, which the threads still
        # write to when they finish; a reused descriptor would receive their bytes.
        wasyncore.dispatcher.close(self._listener)

    def close_connections(self) -> None:
        for conn in list(self._listener.active_channels.values()):
            with contextlib.suppress(OSError):
                conn.socket.shutdown(socket.SHUT_RD)
            if self._listener.stopped and not conn.requests:
                conn.handle_close()  # idle, and no loop will read the end of the stream
        if self._listener.stopped:
            threading.Thread(target=self._end_threads, name="waitress-stop", daemon=True).start()

    def _end_threads(self) -> None:
        # Waits for the requests still running (a long poll, a handler) as the other servers' stop does.
        self._dispatcher.shutdown(cancel_pending=True, timeout=3600)
        if not self._dispatcher.threads:
            self._listener.trigger.close()


# --- cheroot: a selector thread watches idle connections, a pool serves each readable one ---


class _CherootHeaders(cheroot_server.HeaderReader):
    def _transform_key(self, key_name: bytes) -> bytes:
        key = key_name.strip()
        return key if b"_" in key else key.title()  # title() loses an S3 metadata key's spelling

    def __call__(self, rfile: Any, hdict: Any = None) -> Any:
        headers = super().__call__(rfile, hdict)
        # cheroot compares these values case-sensitively; HTTP's tokens are not.
        for name, spelled in ((b"Connection", (b"close", b"Keep-Alive")), (b"Expect", (b"100-continue",))):
            if name in headers:
                headers[name] = next((t for t in spelled if t.lower() == headers[name].strip().lower()), headers[name])
        return headers


class _CherootRequest(cheroot_server.HTTPRequest):
    header_reader = _CherootHeaders()
    underscored: tuple[tuple[str, str], ...] = ()

    def read_request_headers(self) -> Any:
        ok = super().read_request_headers()  # type: ignore[no-untyped-call]  # the library's method has no annotations
        names = [name for name in self.inheaders if b"_" in name]
        if names:
            self.underscored = tuple((n.decode("latin-1"), self.inheaders.pop(n).decode("latin-1")) for n in names)
        return ok


class _CherootConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _CherootRequest

    def __init__(self, server: Any, sock: Any, makefile: Any = MakeFile) -> None:
        super().__init__(server, sock, makefile)
        with server.open_lock:
            server.open.add(self.socket)

    def close(self) -> None:
        with self.server.open_lock:
            self.server.open.discard(self.socket)
        # After a client left mid-answer the writer still holds bytes; collected after the socket
        # closes, it would print an ignored EBADF. Closed now, it is done with either way.
        with contextlib.suppress(OSError):
            self.wfile.close()
        super().close()


class _CherootGateway(cheroot_wsgi.Gateway_10):
    def get_environ(self) -> dict[str, Any]:  # type: ignore[override]  # the stub says None
        environ: dict[str, Any] = super().get_environ()  # type: ignore[no-untyped-call]  # the library's method has no annotations
        raw_uri = environ["RAW_URI"] = environ["REQUEST_URI"]
        if "%2F" in environ["PATH_INFO"]:  # cheroot keeps an encoded slash encoded; werkzeug does not
            environ["PATH_INFO"] = unquote_to_bytes(raw_uri.partition("?")[0]).decode("latin-1")
        underscored = self.req.underscored
        if underscored:
            dashed = {environ_key_for_header(name.decode("latin-1")) for name in self.req.inheaders}
            preserve_header_names(environ, underscored, dashed)
        else:
            environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {}
        return environ

    def respond(self) -> None:
        try:
            super().respond()
        except Exception:
            if self.req.sent_headers:
                raise  # cheroot closes the connection
            # cheroot answers 500 and closes without saying so: a client may reuse the connection.
            self.req.server.error_log("Error on request", level=logging.ERROR, traceback=True)
            self.req.close_connection = True
            self.req.status = b"500 Internal Server Error"
            self.req.outheaders = [(b"Content-Length", b"0"), (b"Connection", b"close")]
            self.req.ensure_headers_sent()

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if self.env.get(_CLOSE_REQUESTED):
            self.req.close_connection = True  # cheroot would pass the header on and keep the connection
        return super().start_response(status, headers, exc_info)


class _GrowingPool(ThreadPool):
    def _spawn_worker(self) -> WorkerThread:
        # Daemon threads, as werkzeug's: a request still waiting at exit does not hold the process.
        worker = WorkerThread(self.server)  # type: ignore[no-untyped-call]  # the library's method has no annotations
        worker.name = f"cheroot-{worker.name}"
        worker.daemon = True
        worker.start()
        return worker

    def put(self, obj: Any) -> None:
        super().put(obj)
        if self.qsize > self.idle:
            # grow() waits for the new thread in steps of 0.1 s: not on the selector's thread.
            threading.Thread(target=self.grow, args=(1,), daemon=True).start()


class _CherootListener(cheroot_wsgi.Server):
    ConnectionClass = _CherootConnection

    def __init__(self, host: str, port: int, app: WSGIApplication, idle_seconds: float) -> None:
        idle = max(1, round(idle_seconds))  # cheroot counts whole seconds
        # cheroot's listen backlog of 5 drops the SYNs of a burst of new connections (resent after 1 s).
        super().__init__((host, port), app, MIN_THREADS, timeout=idle, shutdown_timeout=5, request_queue_size=1024)
        self.gateway = _CherootGateway
        self.requests = _GrowingPool(self, min=MIN_THREADS, max=-1)
        self.keep_alive_conn_limit = None  # type: ignore[assignment]  # cheroot's 10 closes the eleventh
        self.max_request_body_size = 0  # no limit
        self.max_request_header_size = 0
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()


class CherootServer:
    def __init__(self, host: str, port: int, app: WSGIApplication, idle_seconds: float = IDLE_SECONDS) -> None:
        self.app = app
        self._listener = _CherootListener(host, port, _closing_app(lambda: self.app), idle_seconds)
        self._listener.prepare()  # binds and starts the pool
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._stopping: threading.Thread | None = None

    @property
    def server_port(self) -> int:
        return int(self._listener.bind_addr[1])

    @property
    def open_connections(self) -> int:
        return len(self._listener.open)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._listener.expiration_interval = poll_interval
        self._serving.set()
        try:
            self._listener.serve()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop accepting and reading; cheroot's stop waits for requests in progress, so in a thread."""
        if self._stopping is None:
            self._stopping = threading.Thread(target=self._listener.stop, name="cheroot-stop", daemon=True)
            self._stopping.start()
            if self._serving.is_set():
                self._stopped.wait()

    def server_close(self) -> None:
        self.shutdown()  # the listener closes in stop()

    def close_connections(self) -> None:
        with self._listener.open_lock:
            sockets = list(self._listener.open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RD)
