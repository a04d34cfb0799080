"""Tests of the chaos run's pure parts (tooling.chaos): schedule, plan, client retries, invariants, report.

Nothing here deploys or injects anything: the invariant checker is given crafted snapshots, the
load client talks to a stub HTTP server on the loopback interface.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# (method, path, headers, body) -> (status, headers, JSON body)
Reply = tuple[int, dict[str, str], Any]
Responder = Callable[[str, str, dict[str, str], Any], Reply]


@dataclass
class StubServer:
    """An HTTP server on 127.0.0.1 answering with ``respond``; it records every request."""

    url: str
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    respond: Responder = lambda method, path, headers, body: (200, {}, {})


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    stub = StubServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            stub.requests.append((self.command, self.path, headers, body))
            status, extra, answer = stub.respond(self.command, self.path, headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            # A client that gave up on its answer (the lost-reply test) is expected, not an error.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
