"""The HTTP server keeps connections open, and frames and drains every request so the next one parses.

Each test talks to a ``PersistentConnectionServer`` over a raw socket, so what is on the wire
(one connection or several, chunks, ``Connection`` headers, the server closing) is seen as it is.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from localcloud.http_server import PersistentConnectionHandler, PersistentConnectionServer


def echo_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Answers with the client's port and how much of the body it was told to read."""
    path = environ["PATH_INFO"]
    read = b""
    if path.startswith("/read/"):
        read = environ["wsgi.input"].read(int(path.removeprefix("/read/")))
    if path == "/fail":
        raise RuntimeError("the application failed")
    body = f"port={environ['REMOTE_PORT']} read={len(read)}".encode()
    if path == "/chunked":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"port=", str(environ["REMOTE_PORT"]).encode(), b" streamed"]
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    if path == "/close":
        headers.append(("Connection", "close"))
    start_response("200 OK", headers)
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


@pytest.fixture
def server() -> Iterator[PersistentConnectionServer]:
    started = PersistentConnectionServer("127.0.0.1", 0, echo_app)
    thread = threading.Thread(target=started.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield started
    started.shutdown()
    started.server_close()
    started.close_connections()


class Wire:
    """One client connection, read exactly as HTTP frames it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.file = self.sock.makefile("rb")

    def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        version: str = "HTTP/1.1",
    ) -> None:
        lines = [f"{method} {path} {version}", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body and "Transfer-Encoding" not in (headers or {}):
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def answer(self, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        status = int(self.file.readline().split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "HEAD":
            return status, headers, b""
        if "content-length" in headers:
            return status, headers, self.file.read(int(headers["content-length"]))
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while (size := int(self.file.readline().strip(), 16)) != 0:
                body += self.file.read(size)
                self.file.readline()
            self.file.readline()
            return status, headers, body
        return status, headers, self.file.read()

    def closed_by_server(self) -> bool:
        return self.file.read(1) == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def wire(server: PersistentConnectionServer) -> Iterator[Wire]:
    opened = Wire(server.server_port)
    yield opened
    opened.close()


def test_requests_share_one_connection(wire: Wire) -> None:
    ports = set()
    for _ in range(3):
        wire.send("GET", "/")
        status, headers, body = wire.answer()
        assert status == 200
        assert "connection" not in headers
        ports.add(body.split()[0])
    assert len(ports) == 1


@pytest.mark.parametrize("path", ["/", "/read/10"], ids=["body unread", "body partly read"])
def test_a_body_the_application_left_unread_is_drained_before_the_next_request(wire: Wire, path: str) -> None:
    # The body looks like a request line: read as one, it would be answered.
    wire.send("POST", path, body=b"GET /read/1 HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 70_000)
    assert wire.answer()[2].endswith(b"read=10" if path != "/" else b"read=0")
    wire.send("GET", "/read/0")
    status, _, body = wire.answer()
    assert (status, body.split()[1]) == (200, b"read=0")


def test_an_answer_without_a_length_is_chunked_and_the_connection_stays(wire: Wire) -> None:
    wire.send("GET", "/chunked")
    _, headers, body = wire.answer()
    assert headers["transfer-encoding"] == "chunked"
    assert body.endswith(b" streamed")
    wire.send("GET", "/")
    assert wire.answer()[0] == 200


def test_a_head_answer_has_no_body_and_the_connection_stays(wire: Wire) -> None:
    wire.send("HEAD", "/")
    status, headers, _ = wire.answer("HEAD")
    assert status == 200
    assert int(headers["content-length"]) > 0
    wire.send("GET", "/")
    assert wire.answer()[2].startswith(b"port=")


def test_the_client_asking_to_close_is_answered_and_closed(wire: Wire) -> None:
    wire.send("GET", "/", headers={"Connection": "close"})
    status, headers, _ = wire.answer()
    assert (status, headers["connection"]) == (200, "close")
    assert wire.closed_by_server()


def test_an_http_1_0_client_gets_a_body_ended_by_the_close(wire: Wire) -> None:
    wire.send("GET", "/chunked", version="HTTP/1.0")
    _, headers, body = wire.answer()
    assert "transfer-encoding" not in headers
    assert body.endswith(b" streamed")
    assert wire.closed_by_server()


def test_an_http_1_0_client_asking_to_keep_alive_keeps_its_connection(wire: Wire) -> None:
    wire.send("GET", "/", headers={"Connection": "keep-alive"}, version="HTTP/1.0")
    assert wire.answer()[1]["connection"] == "keep-alive"
    wire.send("GET", "/", version="HTTP/1.0")
    assert wire.answer()[0] == 200
    assert wire.closed_by_server()


def test_the_application_asking_to_close_closes(wire: Wire) -> None:
    wire.send("GET", "/close")
    assert wire.answer()[1]["connection"] == "close"
    assert wire.closed_by_server()


def test_a_failing_application_answers_500_and_closes(wire: Wire) -> None:
    wire.send("POST", "/fail", body=b"unread")
    status, headers, _ = wire.answer()
    assert (status, headers["connection"]) == (500, "close")
    assert wire.closed_by_server()


def test_a_chunked_request_is_answered_then_closed(wire: Wire) -> None:
    wire.send("POST", "/read/100", body=b"5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"})
    status, headers, body = wire.answer()
    assert (status, body.split()[1], headers["connection"]) == (200, b"read=5", "close")
    assert wire.closed_by_server()


def test_close_connections_ends_idle_connections(server: PersistentConnectionServer, wire: Wire) -> None:
    wire.send("GET", "/")
    wire.answer()
    assert server.open_connections == 1
    server.close_connections()
    assert wire.closed_by_server()


def test_an_idle_connection_ends_quietly_after_the_idle_time(
    monkeypatch: pytest.MonkeyPatch, server: PersistentConnectionServer, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(PersistentConnectionHandler, "timeout", 0.2)
    idle = Wire(server.server_port)
    try:
        idle.send("GET", "/")
        idle.answer()
        assert idle.closed_by_server()
    finally:
        idle.close()
    assert "timed out" not in capfd.readouterr().err


def test_the_go_sdk_gets_a_connection_per_request(wire: Wire) -> None:
    wire.send("GET", "/", headers={"User-Agent": "APN/1.0 HashiCorp/1.0 Terraform/1.11.4 aws-sdk-go-v2/1.36.3"})
    status, headers, _ = wire.answer()
    assert (status, headers["connection"]) == (200, "close")
    assert wire.closed_by_server()
