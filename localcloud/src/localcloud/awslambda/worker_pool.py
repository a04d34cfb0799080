"""Warm worker processes for one function configuration.

A pool holds up to ``max_workers`` processes of one (function, code, config)
combination. Invocations take an idle worker (the most recently used, so a
steady caller keeps hitting the same warm process), spawn one if the pool is
below its limit, or wait. No lock is held while a worker runs: the handler calls
back into the server, and the server threads must never wait on the executor.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.awslambda.worker import FRAME, encode_message

# Isolated mode (-I): the caller's PYTHON* variables, the user's site-packages and the
# working directory stay out of the worker's sys.path; the worker finds itself in the
# installed package, and puts the function's code first.
WORKER_COMMAND = (sys.executable, "-I", "-m", "localcloud.awslambda.worker")

# AWS gives a function's init phase 10 seconds of its own.
INIT_TIMEOUT_SECONDS = 10.0


class WorkerTimeout(Exception):
    """The worker did not answer before the deadline."""


class WorkerDied(Exception):
    """The worker's pipe closed: it exited or was killed."""


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker of one pool is started with."""

    task_root: Path
    handler: str
    # Builds the environment for one worker, given its log stream name.
    environment: Callable[[str], dict[str, str]]
    # Builds a new log stream name for one worker.
    log_stream_name: Callable[[], str]


@dataclass
class Reply:
    meta: dict[str, Any]
    payload: bytes


class _MessageReader:
    """Reads framed replies from a pipe, giving up at a deadline."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        # poll, not select: select cannot watch descriptors above 1023.
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def _fill(self, size: int, deadline: float | None) -> None:
        while len(self._buffer) < size:
            timeout_ms = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerTimeout()
                timeout_ms = max(int(remaining * 1000), 1)
            if not self._poll.poll(timeout_ms):
                raise WorkerTimeout()
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError as exc:  # the pipe was closed under us (shutdown)
                raise WorkerDied() from exc
            if not chunk:
                raise WorkerDied()
            self._buffer += chunk

    def _take(self, size: int, deadline: float | None) -> bytes:
        self._fill(size, deadline)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, deadline: float | None) -> Reply:
        (head_len,) = FRAME.unpack(self._take(FRAME.size, deadline))
        meta = json.loads(self._take(head_len, deadline))
        (body_len,) = FRAME.unpack(self._take(FRAME.size, deadline))
        return Reply(meta, self._take(body_len, deadline) if body_len else b"")


class WorkerProcess:
    """One execution environment: a child Python running ``localcloud.awslambda.worker``."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.log_stream = spec.log_stream_name()
        self.last_used = time.monotonic()
        self.process = subprocess.Popen(
            WORKER_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=spec.task_root,
            env=spec.environment(self.log_stream),
            close_fds=True,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self._stdin_fd = self.process.stdin.fileno()
        self._reader = _MessageReader(self.process.stdout.fileno())

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float) -> Reply:
        """The init reply: ``meta["ok"]`` false means the handler failed to load."""
        return self._reader.read(time.monotonic() + timeout)

    def call(self, meta: dict[str, Any], payload: bytes, timeout: float) -> Reply:
        deadline = time.monotonic() + timeout
        data = memoryview(encode_message(meta, payload))
        try:
            while data:
                written = os.write(self._stdin_fd, data)
                data = data[written:]
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied() from exc
        reply = self._reader.read(deadline)
        self.last_used = time.monotonic()
        return reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.process.wait()


class WorkerPool:
    def __init__(self, spec: WorkerSpec, max_workers: int) -> None:
        self.spec = spec
        self.max_workers = max_workers
        self._idle: list[WorkerProcess] = []
        self._busy: set[WorkerProcess] = set()
        self._reserved = 0  # workers being spawned right now
        self._retired = False
        self._cond = threading.Condition()

    def acquire(self, wait: float) -> tuple[WorkerProcess, bool]:
        """A worker for one invocation and whether it was just started (cold).

        A cold worker has not been initialised yet: call ``wait_ready`` on it.
        """
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                if self._retired:
                    raise RuntimeError("worker pool retired")
                if self._idle:
                    worker = self._idle.pop()
                    self._busy.add(worker)
                    return worker, False
                if len(self._busy) + self._reserved < self.max_workers:
                    self._reserved += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerTimeout()
                self._cond.wait(remaining)
        # Spawning takes milliseconds; do it outside the lock.
        try:
            worker = WorkerProcess(self.spec)
        except BaseException:
            with self._cond:
                self._reserved -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._reserved -= 1
            self._busy.add(worker)
        return worker, True

    def release(self, worker: WorkerProcess, healthy: bool) -> None:
        """Give a worker back; an unhealthy one (timed out, died) is killed."""
        with self._cond:
            self._busy.discard(worker)
            keep = healthy and not self._retired
            if keep:
                self._idle.append(worker)
            self._cond.notify()
        if not keep:
            worker.kill()

    def reap_idle(self, max_idle_seconds: float) -> None:
        cutoff = time.monotonic() - max_idle_seconds
        with self._cond:
            stale = [w for w in self._idle if w.last_used < cutoff]
            self._idle = [w for w in self._idle if w.last_used >= cutoff]
        for worker in stale:
            worker.kill()

    def retire(self) -> None:
        """Stop idle workers now and busy ones when they are released."""
        with self._cond:
            self._retired = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.kill()

    def kill_all(self) -> None:
        self.retire()
        with self._cond:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()

    def pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in (*self._idle, *self._busy)]
