"""HTTP conformance of every server ``http_servers.make_server`` builds, over raw sockets.

Each test runs against werkzeug's (the home-made keep-alive server), waitress and cheroot, so what
is on the wire (one connection or several, chunks, interim answers, ``Connection`` headers, the
server closing) is seen as it is, and what the application sees is what moto sees behind werkzeug.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.core.request import EnvironHeaders

from localcloud.bench import HTTP_APPS, http_cost
from localcloud.http_servers import MIN_THREADS, HttpServer, make_server
from localcloud.settings import HTTP_SERVERS, Settings

MIB = 1024 * 1024
Headers = dict[str, str] | None


class EchoApp:
    """Answers with the client's port and what it was asked to read, echo, stream or wait for."""

    def __init__(self) -> None:
        self.port = 0  # the server's, for calls back into it
        self.barrier: threading.Barrier | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        body_in = environ["wsgi.input"]
        if path == "/fail":
            raise RuntimeError("the application failed")
        if path == "/chunked":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"port=", str(environ["REMOTE_PORT"]).encode(), b" streamed"]
        if path.startswith("/big/"):
            size = int(path.removeprefix("/big/"))
            start_response("200 OK", [("Content-Length", str(size))])
            return (b"b" * min(65536, size - sent) for sent in range(0, size, 65536))
        if path.startswith("/sleep/"):
            time.sleep(float(path.removeprefix("/sleep/")))
        headers = [("Content-Type", "text/plain")]
        if path == "/echo":
            body = body_in.read(int(environ.get("CONTENT_LENGTH") or 0))
        elif path.startswith("/headers"):
            seen = {
                "headers": list(EnvironHeaders(environ)),  # moto's view of the request
                "preserved": environ.get("moto.preserved_header_names"),
                "path_info": environ["PATH_INFO"],
                "raw_uri": environ.get("RAW_URI"),
            }
            body = json.dumps(seen).encode()
            headers += [("x-amz-meta-my_key", "1"), ("x-amzn-RequestId", "r"), ("x-amz-meta-lower", "2")]
        elif path == "/callback":
            assert self.barrier is not None
            self.barrier.wait(30)  # every request holds a thread of the server at once
            with Wire(self.port) as back:
                back.send("GET", "/")
                body = back.answer()[2]
        else:
            read = body_in.read(int(path.removeprefix("/read/"))) if path.startswith("/read/") else b""
            body = f"port={environ['REMOTE_PORT']} read={len(read)} {read.decode(errors='replace')}".encode()
        headers.append(("Content-Length", str(len(body))))
        if path == "/close":
            headers.append(("Connection", "close"))
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [body]


@pytest.fixture(params=HTTP_SERVERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def started(kind: str, idle_seconds: float = 120.0) -> tuple[HttpServer, EchoApp, threading.Thread]:
    app = EchoApp()
    server = make_server(kind, "127.0.0.1", 0, app, idle_seconds)
    app.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, app, thread


def stop(server: HttpServer) -> None:
    server.shutdown()
    server.server_close()
    server.close_connections()


@pytest.fixture
def served(kind: str) -> Iterator[tuple[HttpServer, EchoApp]]:
    server, app, _ = started(kind)
    yield server, app
    stop(server)


@pytest.fixture
def server(served: tuple[HttpServer, EchoApp]) -> HttpServer:
    return served[0]


class Wire:
    """One client connection, read exactly as HTTP frames it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def head(method: str, path: str, body: bytes = b"", headers: Headers = None, version: str = "HTTP/1.1") -> bytes:
        lines = [f"{method} {path} {version}", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body and "Transfer-Encoding" not in (headers or {}):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def send(
        self, method: str, path: str, body: bytes = b"", headers: Headers = None, version: str = "HTTP/1.1"
    ) -> None:
        self.sock.sendall(self.head(method, path, body, headers, version) + body)

    def status_and_headers(self) -> tuple[int, dict[str, str]]:
        status = int(self.file.readline().split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def answer(self, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        status, headers = self.status_and_headers()
        while 100 <= status < 200:  # interim answers: a client reads past any number of them
            status, headers = self.status_and_headers()
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
def wire(server: HttpServer) -> Iterator[Wire]:
    with Wire(server.server_port) as opened:
        yield opened


def test_requests_share_one_connection(wire: Wire) -> None:
    ports = set()
    for _ in range(3):
        wire.send("GET", "/")
        status, headers, body = wire.answer()
        assert (status, headers.get("connection", "keep-alive")) == (200, "keep-alive")
        ports.add(body.split()[0])
    assert len(ports) == 1


def test_pipelined_requests_are_answered_in_order_with_their_bodies(wire: Wire) -> None:
    requests = [("GET", "/read/0", b""), ("POST", "/echo", b"second body"), ("POST", "/read/5", b"third")]
    wire.sock.sendall(b"".join(Wire.head(method, path, body) + body for method, path, body in requests))
    assert wire.answer()[2].endswith(b"read=0 ")
    assert wire.answer()[2] == b"second body"
    assert wire.answer()[2].endswith(b"read=5 third")


@pytest.mark.parametrize("path", ["/", "/read/10"], ids=["body unread", "body partly read"])
def test_a_body_the_application_left_unread_is_drained_before_the_next_request(wire: Wire, path: str) -> None:
    # The body looks like a request line: read as one, it would be answered.
    wire.send("POST", path, body=b"GET /read/1 HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 70_000)
    assert wire.answer()[2].split()[1] == (b"read=10" if path != "/" else b"read=0")
    wire.send("GET", "/read/0")
    status, _, body = wire.answer()
    assert (status, body.split()[1]) == (200, b"read=0")


def test_an_answer_without_a_length_is_chunked_and_the_next_request_is_served(server: HttpServer, wire: Wire) -> None:
    wire.send("GET", "/chunked")
    _, headers, body = wire.answer()
    assert headers["transfer-encoding"] == "chunked"
    assert body.endswith(b" streamed")
    if headers.get("connection") == "close":  # waitress ends the connection after a chunked answer
        assert wire.closed_by_server()
        wire = Wire(server.server_port)
    wire.send("GET", "/")
    assert wire.answer()[0] == 200


def test_a_head_answer_has_no_body_and_the_connection_stays(wire: Wire) -> None:
    wire.send("HEAD", "/")
    status, headers, _ = wire.answer("HEAD")
    assert status == 200
    assert int(headers["content-length"]) > 0
    wire.send("GET", "/")
    assert wire.answer()[2].startswith(b"port=")


def test_an_http_1_0_client_gets_a_body_ended_by_the_close(wire: Wire) -> None:
    wire.send("GET", "/chunked", version="HTTP/1.0")
    _, headers, body = wire.answer()
    assert "transfer-encoding" not in headers
    assert body.endswith(b" streamed")
    assert wire.closed_by_server()


def test_an_http_1_0_client_asking_to_keep_alive_keeps_its_connection(wire: Wire) -> None:
    wire.send("GET", "/", headers={"Connection": "keep-alive"}, version="HTTP/1.0")
    assert wire.answer()[1]["connection"].lower() == "keep-alive"
    wire.send("GET", "/", version="HTTP/1.0")
    assert wire.answer()[0] == 200
    assert wire.closed_by_server()


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [("/", {"Connection": "close"}, 200), ("/close", {}, 200), ("/fail", {}, 500)],
    ids=["the client asks", "the application asks", "the application fails"],
)
def test_a_connection_to_close_says_so_in_its_answer_and_closes(
    wire: Wire, path: str, headers: dict[str, str], status: int
) -> None:
    wire.send("POST", path, body=b"unread", headers=headers)
    answered, answer_headers, _ = wire.answer()
    assert (answered, answer_headers["connection"]) == (status, "close")
    assert wire.closed_by_server()


def test_a_chunked_request_body_reaches_the_application(server: HttpServer, wire: Wire) -> None:
    wire.send("POST", "/read/100", body=b"5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"})
    status, headers, body = wire.answer()
    assert (status, body.split()[1:]) == (200, [b"read=5", b"hello"])
    if headers.get("connection") == "close":  # werkzeug's: what follows a chunked body is not parsed
        assert wire.closed_by_server()
        wire = Wire(server.server_port)
    wire.send("GET", "/read/0")
    assert wire.answer()[0] == 200


def test_expect_100_continue_gets_the_interim_answer_before_the_body_is_sent(wire: Wire) -> None:
    body = b"sent after 100"
    wire.sock.sendall(Wire.head("POST", "/echo", body, {"Expect": "100-continue"}))
    assert wire.status_and_headers()[0] == 100  # with no body sent yet
    wire.sock.sendall(body)
    assert wire.status_and_headers()[0] == 200  # one interim answer, not two
    assert wire.file.read(len(body)) == body


def test_a_mebibyte_goes_both_ways_intact(wire: Wire) -> None:
    upload = bytes(range(256)) * (4 * 1024)
    wire.send("POST", "/echo", body=upload)
    assert wire.answer()[2] == upload
    wire.send("GET", f"/big/{MIB}")
    assert wire.answer()[2] == b"b" * MIB


def test_headers_reach_moto_and_the_client_spelled_as_sent(wire: Wire) -> None:
    sent = {
        "x-amz-meta-my_key": "underscored",  # S3 metadata: moto needs the original spelling
        "X_Custom": "spoof",  # any other underscored name is dropped, as werkzeug drops it
        "x-amz-meta-a-b": "dashed",
        "x-amz-meta-a_b": "underscored",  # cannot stand in for the dashed one
    }
    wire.send("GET", "/headers/a%2Fb%20c?q=1", headers=sent)
    assert wire.file.readline().startswith(b"HTTP/1.1 200")
    # botocore reads an S3 metadata key from the answer's header name as spelled: the raw head.
    head = b"".join(iter(wire.file.readline, b"\r\n"))
    assert b"x-amz-meta-my_key: 1\r\n" in head
    assert b"x-amz-meta-lower: 2\r\n" in head
    assert b"x-amzn-RequestId: r\r\n" in head
    length = next(
        int(line.partition(b":")[2]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    seen = json.loads(wire.file.read(length))
    names = dict(seen["headers"])
    assert names["x-amz-meta-my_key"] == "underscored"
    assert names["X-Amz-Meta-A-B"] == "dashed"
    assert not {"X-Custom", "X_Custom", "x-amz-meta-a_b"} & names.keys()
    assert seen["preserved"] == {"HTTP_X_AMZ_META_MY_KEY": "x-amz-meta-my_key"}
    assert (seen["path_info"], seen["raw_uri"]) == ("/headers/a/b c", "/headers/a%2Fb%20c?q=1")


def test_fifty_connections_of_twenty_requests_each_get_their_own_answers(server: HttpServer) -> None:
    def client(number: int) -> int:
        with Wire(server.server_port) as conn:
            for index in range(20):
                token = f"{number}-{index}".encode()
                conn.send("POST", "/echo", body=token)
                assert conn.answer()[0::2] == (200, token)
        return number

    with ThreadPoolExecutor(50) as pool:
        assert sorted(pool.map(client, range(50))) == list(range(50))


def test_requests_that_wait_on_calls_back_into_the_server_do_not_run_out_of_threads(
    served: tuple[HttpServer, EchoApp],
) -> None:
    server, app = served
    waiting = MIN_THREADS + 8  # a fixed pool of MIN_THREADS would hold them all and answer none
    app.barrier = threading.Barrier(waiting)

    def client(_: int) -> bytes:
        with Wire(server.server_port) as conn:
            conn.send("GET", "/callback")
            return conn.answer()[2]

    with ThreadPoolExecutor(waiting) as pool:
        answers = list(pool.map(client, range(waiting)))
    assert all(answer.startswith(b"port=") for answer in answers)


def test_a_client_leaving_mid_answer_does_not_hurt_the_server(server: HttpServer) -> None:
    for _ in range(5):
        with Wire(server.server_port) as leaving:
            leaving.send("GET", f"/big/{8 * MIB}")
            leaving.status_and_headers()
            leaving.file.read(1000)
            leaving.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with Wire(server.server_port) as after:
        after.send("POST", "/echo", body=b"still here")
        assert after.answer()[0::2] == (200, b"still here")


def test_an_answer_to_an_unread_upload_with_connection_close_arrives_whole(wire: Wire) -> None:
    # Closing with unread bytes received resets the connection, which can discard the answer.
    upload = b"u" * (4 * MIB)
    sender = threading.Thread(target=lambda: _send_quietly(wire, "POST", "/", upload))
    sender.start()
    status, headers, body = wire.answer()
    sender.join()
    assert (status, headers["connection"], body.split()[1]) == (200, "close", b"read=0")


def _send_quietly(wire: Wire, method: str, path: str, body: bytes) -> None:
    # The server may close before reading it all; what counts is the answer.
    with contextlib.suppress(OSError):
        wire.send(method, path, body, {"Connection": "close"})


def test_close_connections_ends_idle_connections(server: HttpServer, wire: Wire) -> None:
    wire.send("GET", "/")
    wire.answer()
    assert server.open_connections == 1
    server.close_connections()
    assert wire.closed_by_server()


def test_stopping_answers_the_request_in_progress_and_takes_no_new_one(kind: str) -> None:
    server, _, thread = started(kind)
    with Wire(server.server_port) as busy:
        busy.send("GET", "/sleep/0.5")
        time.sleep(0.2)
        stop(server)
        assert busy.answer()[0] == 200
        with pytest.raises(ConnectionRefusedError):
            Wire(server.server_port)
    thread.join(5)
    assert not thread.is_alive()


def test_an_idle_connection_ends_quietly_after_the_idle_time(kind: str, capfd: pytest.CaptureFixture[str]) -> None:
    server, _, _ = started(kind, idle_seconds=1)
    try:
        with Wire(server.server_port) as idle:
            idle.send("GET", "/")
            idle.answer()
            began = time.monotonic()
            assert idle.closed_by_server()
            assert time.monotonic() - began < 5
    finally:
        stop(server)
    assert "timed out" not in capfd.readouterr().err


@pytest.mark.parametrize("kind", ["werkzeug"])  # a workaround of the home-made server only (http_server._GO_SDK)
def test_the_go_sdk_gets_a_connection_per_request_from_the_home_made_server(kind: str, wire: Wire) -> None:
    wire.send("GET", "/", headers={"User-Agent": "APN/1.0 HashiCorp/1.0 Terraform/1.11.4 aws-sdk-go-v2/1.36.3"})
    status, headers, _ = wire.answer()
    assert (status, headers["connection"]) == (200, "close")
    assert wire.closed_by_server()


def test_the_setting_chooses_the_server_and_refuses_an_unknown_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCLOUD_HTTP_SERVER", "Waitress")
    assert Settings.from_env().http_server == "waitress"
    monkeypatch.setenv("LOCALCLOUD_HTTP_SERVER", "nginx")
    with pytest.raises(ValueError, match="LOCALCLOUD_HTTP_SERVER must be one of werkzeug, waitress, cheroot"):
        Settings.from_env()
    monkeypatch.delenv("LOCALCLOUD_HTTP_SERVER")
    assert Settings.from_env().http_server == "werkzeug"
    with pytest.raises(ValueError, match="unknown HTTP server 'nginx'"):
        make_server("nginx", "127.0.0.1", 0, EchoApp())


def test_the_http_bench_measures_each_application() -> None:
    figures = http_cost(requests=40, threads=2, rounds=1, servers=["waitress"])  # each server: a subprocess
    for app in HTTP_APPS:
        measured = figures[app]["waitress"]
        assert measured["errors"] == 0
        assert measured["cpu_s_per_1000"] > 0
        assert 0 < measured["p50_ms"] <= measured["p99_ms"]
