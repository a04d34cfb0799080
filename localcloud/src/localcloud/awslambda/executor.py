"""The Lambda executor: runs a function's real handler in a warm worker process.

Given a function (moto's LambdaFunction or anything with the same attributes)
and an event payload, it finds the pool of warm workers for that exact code and
configuration, runs one invocation with the function's timeout, and returns
what Lambda returns: the handler's JSON result or a Lambda-shaped error. Logs
go to the function's log group through the LogShipper.

Every invocation, whatever triggered it (the Invoke API, API Gateway, a
mapping's poller, an SNS push, a schedule, an asynchronous retry), comes
through ``invoke``; that is why Lambda faults (``localcloud.chaos``) are decided here: the
fault source is asked once per invocation, just before the handler runs, and
the worker carries the fault out (it crashes, overruns its timeout or raises),
so the failure is reported exactly as a real one is.

The executor knows nothing about moto's services; the server plugs it into the
patched moto (``localcloud.moto_patches.install``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from localcloud.awslambda.code_cache import CodeCache
from localcloud.awslambda.logs import LogBatch, LogShipper
from localcloud.awslambda.worker import LAYER_PATHS_VARIABLE
from localcloud.awslambda.worker_pool import (
    INIT_TIMEOUT_SECONDS,
    WorkerDied,
    WorkerPool,
    WorkerProcess,
    WorkerSpec,
    WorkerTimeout,
)
from localcloud.chaos.faults import LambdaFault

log = logging.getLogger(__name__)

# How long an invocation waits for a free worker when the pool is full.
ACQUIRE_WAIT_SECONDS = 60.0


class FunctionLike(Protocol):
    """The attributes of moto's LambdaFunction the executor reads."""

    account_id: str
    region: str
    function_name: str
    function_arn: str
    version: Any
    handler: str | None
    run_time: str | None
    timeout: int
    memory_size: int
    environment_vars: dict[str, str]
    code_bytes: bytes
    code_digest: str
    layers: list[Any]


@dataclass(frozen=True)
class Invocation:
    payload: str
    is_error: bool
    logs: str
    request_id: str


# Returns (digest, zip bytes) of a layer version ARN, or None if unknown.
LayerResolver = Callable[[str], "tuple[str, bytes] | None"]
# Given the function and the invoked ARN: the fault to inject into this invocation, or None.
FaultSource = Callable[[FunctionLike, str], LambdaFault | None]
# How long a crashed worker gets to be reaped, so the error can name its exit status.
EXIT_STATUS_WAIT_SECONDS = 1.0


def _error(error_type: str, message: str, request_id: str) -> str:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": [],
        }
    )


class _ConfigError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class LambdaExecutor:
    def __init__(
        self,
        code_cache: CodeCache,
        logs: LogShipper,
        endpoint_url: str,
        max_workers: int = 4,
        resolve_layer: LayerResolver | None = None,
        faults: FaultSource | None = None,
    ) -> None:
        self._code = code_cache
        self._logs = logs
        self._endpoint_url = endpoint_url
        self._max_workers = max_workers
        self._resolve_layer = resolve_layer
        self._faults = faults
        self._lock = threading.Lock()
        # function ARN (qualified for versions) -> (configuration fingerprint, pool)
        self._pools: dict[str, tuple[tuple[Any, ...], WorkerPool]] = {}

    # -- public -----------------------------------------------------------

    def invoke(self, fn: FunctionLike, payload: bytes, invoked_arn: str | None = None) -> Invocation:
        request_id = str(uuid.uuid4())
        try:
            pool = self._pool_for(fn)
        except _ConfigError as exc:
            return Invocation(_error(exc.error_type, str(exc), request_id), True, "", request_id)
        try:
            worker, cold = pool.acquire(ACQUIRE_WAIT_SECONDS)
        except WorkerTimeout:
            message = "Rate Exceeded."
            return Invocation(_error("TooManyRequestsException", message, request_id), True, "", request_id)
        except RuntimeError:  # the pool was retired by a redeploy meanwhile: retry once
            return self.invoke(fn, payload, invoked_arn)
        init_ms = 0.0
        if cold:
            started = time.monotonic()
            failure = self._initialise(fn, pool, worker, request_id)
            if failure is not None:
                return failure
            init_ms = (time.monotonic() - started) * 1000
        invoked_arn = invoked_arn or fn.function_arn
        # Decided after a successful init: a fault's count is spent on an invocation, never on an init.
        fault = self._faults(fn, invoked_arn) if self._faults is not None else None
        return self._run(fn, pool, worker, payload, invoked_arn, request_id, init_ms, fault)

    def prepare(self, fn: FunctionLike) -> None:
        """Unpack the function's code and layers now, so its first invocation need not."""
        if fn.code_bytes:  # a container image has none: it fails at invocation, as it would anyway
            self._code.unpack(fn.code_digest, fn.code_bytes)
        self._layer_paths(fn)

    def worker_count(self) -> int:
        with self._lock:
            pools = [pool for _, pool in self._pools.values()]
        return sum(len(pool.pids()) for pool in pools)

    def retire_function(self, function_arn: str) -> None:
        """Stop the workers of a deleted function (and of all its versions)."""
        with self._lock:
            keys = [k for k in self._pools if k == function_arn or k.startswith(function_arn + ":")]
            pools = [self._pools.pop(k)[1] for k in keys]
        for pool in pools:
            pool.retire()

    def reap_idle(self, max_idle_seconds: float) -> None:
        with self._lock:
            pools = [pool for _, pool in self._pools.values()]
        for pool in pools:
            pool.reap_idle(max_idle_seconds)

    def close(self) -> None:
        with self._lock:
            pools = [pool for _, pool in self._pools.values()]
            self._pools.clear()
        for pool in pools:
            pool.kill_all()

    # -- pools ----------------------------------------------------------------

    def _pool_for(self, fn: FunctionLike) -> WorkerPool:
        fingerprint = (
            fn.code_digest,
            fn.handler,
            fn.run_time,
            fn.timeout,
            fn.memory_size,
            str(fn.version),
            tuple(sorted(fn.environment_vars.items())),
            tuple(layer["Arn"] for layer in fn.layers),
        )
        key = fn.function_arn
        with self._lock:
            entry = self._pools.get(key)
            if entry is not None and entry[0] == fingerprint:
                return entry[1]
        # New function or new code/configuration: a new pool, as a redeploy
        # gets new execution environments on AWS. Unpacking happens unlocked.
        pool = WorkerPool(self._worker_spec(fn), self._max_workers_for(fn))
        with self._lock:
            entry = self._pools.get(key)
            if entry is not None and entry[0] == fingerprint:
                return entry[1]
            self._pools[key] = (fingerprint, pool)
        if entry is not None:
            entry[1].retire()
        return pool

    def _max_workers_for(self, fn: FunctionLike) -> int:
        reserved = getattr(fn, "reserved_concurrency", None)
        if reserved is not None and int(reserved) > 0:
            return min(self._max_workers, int(reserved))
        return self._max_workers

    def _worker_spec(self, fn: FunctionLike) -> WorkerSpec:
        runtime = fn.run_time or ""
        if not runtime.startswith("python"):
            raise _ConfigError(
                "Runtime.InvalidRuntime",
                f"The local cloud runs Python functions only; {fn.function_name} uses {runtime or 'a container image'}",
            )
        if not fn.handler:
            raise _ConfigError("Runtime.MalformedHandlerName", "The function has no handler")
        if not fn.code_bytes:
            raise _ConfigError("Runtime.InvalidEntrypoint", "The function has no code package")
        try:
            task_root = self._code.unpack(fn.code_digest, fn.code_bytes)
            layer_paths = self._layer_paths(fn)
        except Exception as exc:  # a corrupt zip must not take down the server
            raise _ConfigError("Runtime.InvalidEntrypoint", f"Could not unpack the code: {exc}") from exc
        environment = _environment_builder(fn, task_root, layer_paths, self._endpoint_url)
        version = str(fn.version)

        def log_stream_name() -> str:
            return f"{datetime.now(UTC):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"

        return WorkerSpec(task_root, fn.handler, environment, log_stream_name)

    def _layer_paths(self, fn: FunctionLike) -> list[Path]:
        paths: list[Path] = []
        for layer in fn.layers:
            found = self._resolve_layer(layer["Arn"]) if self._resolve_layer else None
            if found is None:
                log.warning("layer %s of %s not found; skipped", layer["Arn"], fn.function_name)
                continue
            root = self._code.unpack(*found)
            # AWS puts a layer at /opt; Python packages live in /opt/python.
            paths += [root / "python", root]
        return paths

    # -- one invocation -------------------------------------------------------

    def _initialise(
        self, fn: FunctionLike, pool: WorkerPool, worker: WorkerProcess, request_id: str
    ) -> Invocation | None:
        try:
            ready = worker.wait_ready(INIT_TIMEOUT_SECONDS)
        except (WorkerTimeout, WorkerDied):
            pool.release(worker, healthy=False)
            message = f"RequestId: {request_id} Error: Runtime exited during init"
            return Invocation(_error("Runtime.ExitError", message, request_id), True, "", request_id)
        if ready.meta.get("ok"):
            self._ship(fn, worker, [(_now_ms(), ready.meta.get("logs", ""))])
            return None
        # AWS resets the environment after a failed init and retries it on the
        # next invocation: kill this worker, report the error.
        pool.release(worker, healthy=False)
        logs = ready.meta.get("logs", "")
        self._ship(fn, worker, [(_now_ms(), logs)])
        return Invocation(ready.payload.decode(), True, logs, request_id)

    def _run(
        self,
        fn: FunctionLike,
        pool: WorkerPool,
        worker: WorkerProcess,
        payload: bytes,
        invoked_arn: str,
        request_id: str,
        init_ms: float,
        fault: LambdaFault | None = None,
    ) -> Invocation:
        started_ms = _now_ms()
        started = time.monotonic()
        meta: dict[str, Any] = {
            "request_id": request_id,
            "trace_id": _trace_id(),
            "invoked_function_arn": invoked_arn,
            "deadline_ms": started_ms + int(fn.timeout * 1000),
        }
        if fault is not None:
            meta["fault"] = fault.wire()
        healthy = True
        try:
            reply = worker.call(meta, payload or b"{}", float(fn.timeout))
            body, is_error, captured = reply.payload.decode(), not reply.meta["ok"], reply.meta.get("logs", "")
        except WorkerTimeout:
            healthy = False
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {float(fn.timeout):.2f} seconds"
            body, is_error, captured = _error("Sandbox.Timedout", message, request_id), True, message + "\n"
        except WorkerDied:
            healthy = False
            code = _exit_status(worker)
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            body, is_error, captured = _error("Runtime.ExitError", message, request_id), True, message + "\n"
        finally:
            # Released before logging so a waiting invocation can start.
            elapsed_ms = (time.monotonic() - started) * 1000
            pool.release(worker, healthy)
        version = str(fn.version)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(elapsed_ms)} ms\tMemory Size: {fn.memory_size} MB"
        )
        if init_ms:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        lines = [
            (started_ms, f"START RequestId: {request_id} Version: {version}\n"),
            (_now_ms(), captured),
            (_now_ms(), f"END RequestId: {request_id}\n{report}\n"),
        ]
        self._ship(fn, worker, lines)
        return Invocation(body, is_error, "".join(text for _, text in lines), request_id)

    def _ship(self, fn: FunctionLike, worker: WorkerProcess, chunks: list[tuple[int, str]]) -> None:
        events = [(ts, line) for ts, text in chunks for line in text.splitlines() if line]
        self._logs.submit(
            LogBatch(fn.account_id, fn.region, f"/aws/lambda/{fn.function_name}", worker.log_stream, events)
        )


def _environment_builder(
    fn: FunctionLike, task_root: Path, layer_paths: list[Path], endpoint_url: str
) -> Callable[[str], dict[str, str]]:
    """The process environment of a worker, as the Lambda service builds it."""
    base: dict[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
    }
    user: Mapping[str, Any] = fn.environment_vars
    reserved = {
        "_HANDLER": str(fn.handler),
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(Path(__file__).parent),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        # The emulator accepts any key; fixed dummies keep the host's own
        # credentials and config files out of the function.
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        LAYER_PATHS_VARIABLE: os.pathsep.join(str(p) for p in layer_paths),
    }

    def environment(log_stream: str) -> dict[str, str]:
        env = {**base, **{k: str(v) for k, v in user.items()}, **reserved}
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = log_stream
        # Every SDK call of the handler goes to the local cloud, unless the
        # function's own configuration points elsewhere.
        env.setdefault("AWS_ENDPOINT_URL", endpoint_url)
        return env

    return environment


def _exit_status(worker: WorkerProcess) -> int | None:
    # The pipe closes a moment before the process can be reaped.
    try:
        return worker.process.wait(EXIT_STATUS_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        return None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _trace_id() -> str:
    # Sampled=0: the X-Ray SDK sees a trace context and sends nothing.
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
