"""Local-cloud figures for `make bench`: executor overhead, deploy times, gateway throughput.

The deploy section stands up its own local cloud on a free port with its own
state directory (never a developer's `make deploy` on 4566), times a fresh
`make deploy` and an unchanged one, loads `POST /v1/events` through the
regional gateway at concurrency 1 and 8, and stops that local cloud again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from localcloud.daemon import free_port
from tooling.bench.stats import summarize
from tooling.repository import BUILD_DIR, ROOT

EXECUTOR_BUDGET_MS = 5.0
FRESH_DEPLOY_BUDGET_S = 180.0
UNCHANGED_DEPLOY_BUDGET_S = 30.0
# Each load run stops at whichever comes first.
LOAD_REQUESTS = {1: 300, 8: 800}
LOAD_SECONDS = 60.0

Row = tuple[str, str, str, "bool | None"]


def executor_rows() -> tuple[dict[str, Any], list[Row]]:
    from localcloud.bench import executor_overhead  # noqa: PLC0415 (pulls in moto; only this section needs it)

    figures = executor_overhead(200)
    rows: list[Row] = [
        (
            "executor warm overhead, median",
            f"{figures['overhead_median_ms']:.3f} ms",
            f"<= {EXECUTOR_BUDGET_MS:g} ms",
            figures["overhead_median_ms"] <= EXECUTOR_BUDGET_MS,
        ),
        ("executor warm overhead, p99", f"{figures['overhead_p99_ms']:.3f} ms", "-", None),
        ("in-process call, median", f"{figures['in_process_median_ms']:.3f} ms", "-", None),
    ]
    return figures, rows


@dataclass(frozen=True)
class ThrowawayStack:
    """A local cloud of the bench's own: a free port, a state directory under build/bench."""

    port: int
    state_dir: Path

    def make(self, target: str) -> float:
        """``make <target>`` against this local cloud; its wall seconds, or an error with its output."""
        variables = ("ENV=local", f"STATE_DIR={self.state_dir}", f"LOCALCLOUD_PORT={self.port}", "LOCAL_CLOUD=builtin")
        started = time.perf_counter()
        result = subprocess.run(["make", target, *variables], cwd=ROOT, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"make {target} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return time.perf_counter() - started

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((self.state_dir / "outputs.json").read_text(encoding="utf-8"))
        return found


@contextmanager
def throwaway_stack(name: str) -> Iterator[ThrowawayStack]:
    """A fresh state directory build/bench/<name> on a free port (never a developer's `make deploy`
    on 4566); its local cloud is stopped on the way out, whatever happened."""
    stack = ThrowawayStack(free_port(), BUILD_DIR / "bench" / name)
    shutil.rmtree(stack.state_dir, ignore_errors=True)
    try:
        yield stack
    finally:
        # Nothing left to stop, or already stopped: the figures (or the first error) stand.
        with suppress(RuntimeError):
            stack.make("local-down")


def _load(url: str, api_key: str, concurrency: int) -> dict[str, Any]:
    total = LOAD_REQUESTS[concurrency]
    deadline = time.monotonic() + LOAD_SECONDS
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        nonlocal errors
        with requests.Session() as session:
            while time.monotonic() < deadline:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                body = {"type": "bench.load", "subject": f"bench-{n % 16}", "source": "bench", "data": {"n": n}}
                started = time.perf_counter()
                response = session.post(
                    f"{url}/v1/events",
                    data=json.dumps(body),
                    headers={"content-type": "application/json", "x-api-key": api_key},
                    timeout=30,
                )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code != 201

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    wall = time.perf_counter() - started
    stats = summarize(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(stats["median"], 2),
        "p99_ms": round(stats["p99"], 2),
    }


def deploy_and_load_rows() -> tuple[dict[str, Any], list[Row]]:
    with throwaway_stack("localcloud") as stack:
        fresh = stack.make("deploy")
        unchanged = stack.make("deploy")
        outputs = stack.outputs()
        loads = [_load(outputs["regional_api_url"], outputs["api_key"], c) for c in (1, 8)]
    data = {"fresh_deploy_s": round(fresh, 1), "unchanged_deploy_s": round(unchanged, 1), "load": loads}
    rows: list[Row] = [
        (
            "make deploy, fresh (venv exists)",
            f"{fresh:.1f} s",
            f"<= {FRESH_DEPLOY_BUDGET_S:g} s",
            fresh <= FRESH_DEPLOY_BUDGET_S,
        ),
        (
            "make deploy, unchanged",
            f"{unchanged:.1f} s",
            f"<= {UNCHANGED_DEPLOY_BUDGET_S:g} s",
            unchanged <= UNCHANGED_DEPLOY_BUDGET_S,
        ),
    ]
    for load in loads:
        label = f"POST /v1/events regional, c={load['concurrency']}"
        rows.append((f"{label}: req/s", f"{load['requests_per_second']} ({load['requests']} req)", "-", None))
        rows.append((f"{label}: p50 / p99", f"{load['p50_ms']} / {load['p99_ms']} ms", "-", None))
        rows.append((f"{label}: non-201 answers", str(load["errors"]), "0", load["errors"] == 0))
    return data, rows
