"""Warm invocation overhead of the executor, against calling the handler in-process.

    python -m localcloud.bench [--n 200]     prints the figures as JSON

Both sides run the same empty handler with the same small event; the overhead
is what the executor adds per warm invocation (pipe round trip, JSON framing,
the worker's capture and context, log shipping hand-off). Budget: 5 ms median.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.awslambda.code_cache import CodeCache
from localcloud.awslambda.executor import LambdaExecutor
from localcloud.awslambda.logs import LogShipper

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.bench", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="warm invocations to time (default 200)")
    args = parser.parse_args(argv)
    print(json.dumps(executor_overhead(args.n), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
