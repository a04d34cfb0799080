"""Starting, finding and stopping the background local cloud (up/down/status/tick).

``up`` starts ``python -m localcloud run`` in its own session with its output
in ``<state-dir>/localcloud.log`` and its pid in ``<state-dir>/localcloud.pid``,
then waits until GET /_localcloud/health answers. A healthy local cloud
already on the port is reused. Nothing here imports moto: these commands
stay fast.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from localcloud.settings import HOST

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 60.0  # it saves its state before it exits (snapshots)
NOT_RUNNING = 3  # `status`: no local cloud answers on the port
# `status`: it runs but its state's saves fail (a restart would bring back an older state);
# `down`: it stopped but its save on stop failed.
STATE_NOT_SAVED = 4


def pid_file(state_dir: Path) -> Path:
    return state_dir / "localcloud.pid"


def log_file(state_dir: Path) -> Path:
    return state_dir / "localcloud.log"


def save_failed_file(state_dir: Path) -> Path:
    """Written by the server when a save of its state fails (the time and the error), removed by
    the next that succeeds: what ``down`` reads once the server has exited."""
    return state_dir / "state.save-failed"


def health(port: int, timeout: float = 5.0) -> dict[str, Any] | None:
    """The health document of a local cloud on ``port``, None if there is none."""
    url = f"http://{HOST}:{port}/_localcloud/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("service") == "localcloud" else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now: for a local cloud (or any test
    server) of its own, never 4566 where a developer's may run. The one helper of the repository
    for this (``localcloud free-port`` prints one; ``localcloud.testing`` exports it for tests)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def write_pid(state_dir: Path, pid: int) -> None:
    # Written whole or not at all: `up` and the server both write it, and a
    # reader must never see it half-written.
    staging = pid_file(state_dir).with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(f"{pid}\n")
    os.replace(staging, pid_file(state_dir))


def read_pid(state_dir: Path) -> int | None:
    try:
        return int(pid_file(state_dir).read_text().strip())
    except (OSError, ValueError):
        return None


def _command_line(pid: int) -> list[str] | None:
    """A process's arguments where /proc tells them, else None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")


def is_localcloud_process(pid: int, port: int | None = None) -> bool:
    """Alive, and (where /proc tells) really a local cloud, on ``port`` if given,
    not a reused pid or a local cloud on another port."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    args = _command_line(pid)
    if args is None:
        return not Path("/proc").is_dir()  # no /proc (macOS): trust the pid file
    if not any("localcloud" in arg for arg in args):
        return False
    return (
        port is None
        or f"--port={port}" in args
        or any(a == "--port" and b == str(port) for a, b in itertools.pairwise(args))
    )


def up(port: int, state_dir: Path) -> int:
    running = health(port)
    if running:
        print(f"localcloud already running on http://{HOST}:{port} (pid {running['pid']}); reusing it")
        return 0
    pid = read_pid(state_dir)
    if pid is not None and is_localcloud_process(pid, port):
        # Another `up` started it a moment ago: wait for that one.
        return _wait_healthy(port, state_dir, pid, None)
    if _port_taken(port):
        print(f"port {port} is in use by something that is not a local cloud", file=sys.stderr)
        return 1
    state_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "localcloud", "run", "--port", str(port), "--state-dir", str(state_dir.resolve())]
    with log_file(state_dir).open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    write_pid(state_dir, process.pid)
    return _wait_healthy(port, state_dir, process.pid, process)


def _wait_healthy(port: int, state_dir: Path, pid: int, process: subprocess.Popen[bytes] | None) -> int:
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT_SECONDS:
        answer = health(port, timeout=2.0)
        if answer:
            elapsed = time.monotonic() - started
            restored = answer.get("restored_from")
            state = f"state restored from {restored}" if restored else "started empty"
            where = f"http://{HOST}:{port}"
            print(f"localcloud up on {where} (pid {pid}, {elapsed:.1f}s, {state}, log {log_file(state_dir)})")
            return 0
        exited = process.poll() is not None if process is not None else not is_localcloud_process(pid, port)
        if exited:
            print(f"localcloud exited during start; last lines of {log_file(state_dir)}:", file=sys.stderr)
            print(_tail(log_file(state_dir)), file=sys.stderr)
            pid_file(state_dir).unlink(missing_ok=True)
            return 1
        time.sleep(0.1)
    print(
        f"localcloud did not become healthy within {START_TIMEOUT_SECONDS:.0f}s; see {log_file(state_dir)}",
        file=sys.stderr,
    )
    return 1


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def down(port: int, state_dir: Path) -> int:
    running = health(port)
    pid = int(running["pid"]) if running else read_pid(state_dir)
    if pid is None or not is_localcloud_process(pid, port):
        if read_pid(state_dir) == pid:
            pid_file(state_dir).unlink(missing_ok=True)
        print(f"localcloud is not running on port {port}")
        return 0
    save_failed_file(state_dir).unlink(missing_ok=True)  # a failure of this stop's save writes it again
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and is_localcloud_process(pid):
        time.sleep(0.05)
    if is_localcloud_process(pid):
        # Its session holds its workers too (started with start_new_session).
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    pid_file(state_dir).unlink(missing_ok=True)
    print(f"localcloud stopped (pid {pid})")
    try:
        failure = save_failed_file(state_dir).read_text().strip()
    except OSError:  # none: the state was saved, or is not kept (LOCALCLOUD_PERSIST=0)
        return 0
    print(
        f"localcloud could NOT save its state as it stopped ({failure}): the next `up` brings back "
        f"an older state, the last one saved. See {log_file(state_dir)}",
        file=sys.stderr,
    )
    return STATE_NOT_SAVED


def status(port: int, state_dir: Path) -> int:
    running = health(port)
    if running is None:
        print(f"localcloud is not running on port {port}")
        return NOT_RUNNING
    print(json.dumps(running, indent=2))
    saves = running.get("snapshot") or {}
    if saves.get("consecutive_failures"):
        print(
            f"localcloud CANNOT SAVE ITS STATE: {saves['consecutive_failures']} save(s) in a row failed since "
            f"{saves.get('failing_since')}, the last with {saves.get('last_error')}; a restart would bring back "
            f"the state last saved ({saves.get('last_saved_at') or 'before this start'}). See {log_file(state_dir)}",
            file=sys.stderr,
        )
        return STATE_NOT_SAVED
    return 0


def tick(port: int) -> int:
    request = urllib.request.Request(f"http://{HOST}:{port}/_localcloud/tick", method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (fixed http URL)
            fired = json.loads(response.read())["fired"]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"localcloud is not running on port {port}: {exc}", file=sys.stderr)
        return 2
    for entry in fired:
        outcome = "ok" if entry["ok"] else f"FAILED {entry.get('error', '')}".rstrip()
        print(f"{entry['schedule']} -> {entry['target']}: {outcome}")
    if not fired:
        print("no enabled schedule has a Lambda target")
    return 0 if all(entry["ok"] for entry in fired) else 1


def snapshot(port: int, action: str, name: str) -> int:
    """``localcloud snapshot save|load NAME``: ask the running local cloud, print what it did."""
    query = urllib.parse.urlencode({"name": name})
    url = f"http://{HOST}:{port}/_localcloud/snapshot/{action}?{query}"
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (fixed http URL)
            done = json.loads(response.read())
    except urllib.error.HTTPError as error:
        print(f"snapshot {action} {name}: {json.loads(error.read()).get('message', error)}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"localcloud is not running on port {port}: {exc}", file=sys.stderr)
        return 2
    verb = "saved" if action == "save" else "loaded"
    print(f"{verb} {name}: {done['bytes'] / 1e6:.1f} MB in {done['seconds'] * 1000:.0f} ms")
    return 0
