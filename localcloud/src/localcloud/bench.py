"""Warm invocation overhead of the executor, against calling the handler in-process; and the
CPU each HTTP server spends per request.

    python -m localcloud.bench [--n 200]     prints the executor figures as JSON
    python -m localcloud.bench --http [--requests 5000] [--threads 8] [--rounds 3] [--servers ...]

Executor: both sides run the same empty handler with the same small event; the overhead
is what the executor adds per warm invocation (pipe round trip, JSON framing,
the worker's capture and context, log shipping hand-off). Budget: 5 ms median.

HTTP: each server (``http_servers.make_server``) runs alone in a subprocess; client threads send
small POSTs as the SDKs do, each thread on its own keep-alive connection (``fresh``: a new one per
request, as the Go SDK gets from werkzeug's), to a trivial application and to moto's dispatcher
doing SQS SendMessage. The server reports its own CPU (all threads), so a busy machine changes
latency more than it changes CPU per request; rounds alternate the servers.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import importlib.util
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.awslambda.code_cache import CodeCache
from localcloud.awslambda.executor import LambdaExecutor
from localcloud.awslambda.logs import LogShipper
from localcloud.settings import HOST, HTTP_SERVERS

EMPTY_HANDLER = "def handler(event, context):\n    return None\n"
EVENT = {"Records": [{"body": "benchmark", "messageId": "0"}]}
WARMUP = 20


@dataclass
class _BenchFunction:
    code_bytes: bytes
    code_digest: str
    account_id: str = "123456789012"
    region: str = "us-east-1"
    function_name: str = "localcloud-bench"
    function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:localcloud-bench"
    version: str = "$LATEST"
    handler: str | None = "bench_handler.handler"
    run_time: str | None = "python3.13"
    timeout: int = 30
    memory_size: int = 128
    environment_vars: dict[str, str] = field(default_factory=dict)
    layers: list[Any] = field(default_factory=list)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bench_handler.py", source)
    return buffer.getvalue()


def _timed(call: Any, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return round(statistics.median(ordered), 3), round(p99, 3)


def executor_overhead(n: int = 200) -> dict[str, Any]:
    """Median and p99 milliseconds of a warm executor invocation and of an
    in-process call of the same empty handler, and their difference."""
    code = _zip(EMPTY_HANDLER)
    fn = _BenchFunction(code, hashlib.sha256(code).hexdigest())
    payload = json.dumps(EVENT).encode()
    with tempfile.TemporaryDirectory(prefix="localcloud-bench-") as tmp:
        logs = LogShipper()
        # Nothing in the handler calls AWS, so the endpoint is never contacted.
        executor = LambdaExecutor(CodeCache(Path(tmp)), logs, "http://127.0.0.1:9")
        try:
            for _ in range(WARMUP):
                executor.invoke(fn, payload)
            through_executor = _timed(lambda: executor.invoke(fn, payload), n)
            task_root = CodeCache(Path(tmp)).unpack(fn.code_digest, code)
            handler = _load(task_root / "bench_handler.py")
            in_process = _timed(lambda: handler(json.loads(payload), None), n)
        finally:
            executor.close()
            logs.close()
    executor_median, executor_p99 = _summary(through_executor)
    direct_median, direct_p99 = _summary(in_process)
    return {
        "invocations": n,
        "executor_median_ms": executor_median,
        "executor_p99_ms": executor_p99,
        "in_process_median_ms": direct_median,
        "in_process_p99_ms": direct_p99,
        "overhead_median_ms": round(executor_median - direct_median, 3),
        "overhead_p99_ms": round(executor_p99 - direct_p99, 3),
    }


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_handler_in_process", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


# --- HTTP servers ---

HTTP_APPS = ("trivial", "sqs", "trivial-fresh")
_CPU_PATH = "/_bench/cpu"
_SQS_AUTH = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
# An SQS SendMessage as botocore sends it (JSON protocol), and an answer of the size moto gives.
_MESSAGE = "x" * 200
_TRIVIAL_ANSWER = json.dumps({"MD5OfMessageBody": "0" * 32, "MessageId": "0" * 36}).encode()
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _trivial_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", "109")])
    return [_TRIVIAL_ANSWER]


def _with_cpu(app: WSGIApp) -> WSGIApp:
    def measured(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] != _CPU_PATH:
            return app(environ, start_response)
        body = repr(time.process_time()).encode()  # every thread of this process
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return measured


def serve_http(kind: str, app_name: str) -> None:
    """The server process: prints its port, serves until its stdin closes."""
    # Only the server process imports the servers and moto; the executor bench needs neither.
    from localcloud.http_servers import make_server  # noqa: PLC0415  # the servers load only for --http

    app: WSGIApp = _trivial_app
    if app_name == "sqs":
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: PLC0415  # moto loads only for the moto scenario

        from localcloud.moto_patches import queue_speed, speed  # noqa: PLC0415  # the same: moto on demand

        # moto's hot paths as the local cloud patches them: plain moto scans the whole queue on every
        # SendMessage (9 ms a request at a few thousand messages), which would hide the servers.
        speed.apply()
        queue_speed.apply()
        app = DomainDispatcherApplication(create_backend_app)
    server = make_server(kind, HOST, 0, _with_cpu(app))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    print(server.server_port, flush=True)
    sys.stdin.read()
    server.shutdown()
    server.server_close()
    server.close_connections()


def _sqs_call(conn: http.client.HTTPConnection, target: str, body: dict[str, str]) -> tuple[int, bytes]:
    headers = {"X-Amz-Target": f"AmazonSQS.{target}", "Content-Type": "application/x-amz-json-1.0"}
    conn.request("POST", "/", json.dumps(body).encode(), {**headers, "Authorization": _SQS_AUTH})
    answer = conn.getresponse()
    return answer.status, answer.read()


def _one_run(kind: str, app_name: str, requests: int, threads: int) -> dict[str, Any]:
    app = "sqs" if app_name == "sqs" else "trivial"
    command = [sys.executable, "-m", "localcloud.bench", "--serve-http", kind, app]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        assert process.stdin is not None
        port = int(process.stdout.readline())
        control = http.client.HTTPConnection(HOST, port, timeout=60)
        # A queue per client thread: a SendMessage still costs a little more as its queue grows.
        queues = [""] * threads
        for index in range(threads if app == "sqs" else 0):
            created = _sqs_call(control, "CreateQueue", {"QueueName": f"bench-{index}"})[1]
            queues[index] = json.loads(created)["QueueUrl"]
        fresh = app_name.endswith("-fresh")

        def client(index: int, count: int) -> tuple[list[float], int]:
            body = {"MessageBody": _MESSAGE, "QueueUrl": queues[index]}
            samples, errors = [], 0
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            for _ in range(count):
                started = time.perf_counter()
                if fresh:
                    conn.close()
                status = _sqs_call(conn, "SendMessage", body)[0]
                samples.append((time.perf_counter() - started) * 1000)
                errors += status != 200
            conn.close()
            return samples, errors

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(client, range(threads), [max(1, requests // 20 // threads)] * threads))  # warm-up
            control.request("GET", _CPU_PATH)
            cpu_before = float(control.getresponse().read())
            results = list(pool.map(client, range(threads), [requests // threads] * threads))
            control.request("GET", _CPU_PATH)
            cpu_after = float(control.getresponse().read())
        control.close()
        process.stdin.close()
        process.wait(30)
    samples = [sample for run, _ in results for sample in run]
    median, p99 = _summary(samples)
    return {
        "requests": len(samples),
        "errors": sum(errors for _, errors in results),
        "cpu_s_per_1000": round((cpu_after - cpu_before) / len(samples) * 1000, 4),
        "p50_ms": median,
        "p99_ms": p99,
    }


def http_cost(
    requests: int = 5000, threads: int = 8, rounds: int = 3, servers: Iterable[str] = HTTP_SERVERS
) -> dict[str, Any]:
    """Per application and server: the median over rounds of server CPU seconds per 1,000
    requests, and of p50 and p99 latency; and every round's CPU, to show the spread."""
    kinds = list(servers)
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for app_name in HTTP_APPS:
            for kind in kinds:
                runs.setdefault((app_name, kind), []).append(_one_run(kind, app_name, requests, threads))
    figures: dict[str, Any] = {"requests": requests, "client_threads": threads, "rounds": rounds}
    for (app_name, kind), done in runs.items():
        figures.setdefault(app_name, {})[kind] = {
            "cpu_s_per_1000": statistics.median(run["cpu_s_per_1000"] for run in done),
            "p50_ms": statistics.median(run["p50_ms"] for run in done),
            "p99_ms": statistics.median(run["p99_ms"] for run in done),
            "errors": sum(run["errors"] for run in done),
            "cpu_rounds": [run["cpu_s_per_1000"] for run in done],
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.bench", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="warm invocations to time (default 200)")
    parser.add_argument("--http", action="store_true", help="measure the HTTP servers instead")
    parser.add_argument("--requests", type=int, default=5000, help="HTTP requests per run (default 5000)")
    parser.add_argument("--threads", type=int, default=8, help="HTTP client threads (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds, servers alternating (default 3)")
    parser.add_argument("--servers", nargs="+", choices=HTTP_SERVERS, default=list(HTTP_SERVERS))
    parser.add_argument("--serve-http", nargs=2, metavar=("KIND", "APP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_http:
        serve_http(*args.serve_http)
    elif args.http:
        print(json.dumps(http_cost(args.requests, args.threads, args.rounds, args.servers), indent=2))
    else:
        print(json.dumps(executor_overhead(args.n), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
