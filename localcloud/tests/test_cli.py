"""The command line: up (daemonised, pid file, reuse), status, tick, down; a state that cannot be saved.

It runs as the installed ``localcloud`` command, with none of the caller's Python settings
(no search path from the environment): the package needs none, and neither do the server it
starts nor that server's Lambda workers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localcloud.daemon import health
from localcloud.testing import ROLE_POLICY, aws_client, free_port, function_zip, wait_for, wait_until_active

FUNCTIONS = Path(__file__).with_name("functions")
# The console script pip installs beside the interpreter.
COMMAND = Path(sys.executable).with_name("localcloud")


def _cli(*args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    command = [sys.executable, "-m", "localcloud"] if module else [str(COMMAND)]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=90, check=False)


@pytest.mark.parametrize("module", [False, True], ids=["localcloud", "python -m localcloud"])
def test_help_lists_every_command(module: bool) -> None:
    result = _cli("--help", module=module)
    assert result.returncode == 0, result.stderr
    for command in ("up", "down", "status", "tick", "chaos", "run", "free-port"):
        assert command in result.stdout


def test_free_port_prints_a_port_nothing_listens_on() -> None:
    result = _cli("free-port")
    assert result.returncode == 0, result.stderr
    port = int(result.stdout)
    assert 1024 <= port <= 65535
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free: it binds


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _start_a_worker(port: int) -> int:
    """Deploy and invoke the echo function; the pid of its worker process."""
    endpoint = f"http://127.0.0.1:{port}"
    lambda_ = aws_client("lambda", endpoint)
    role = aws_client("iam", endpoint).create_role(RoleName="cli-test", AssumeRolePolicyDocument=ROLE_POLICY)
    lambda_.create_function(
        FunctionName="cli-echo",
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="echo.handler",
        Code={"ZipFile": function_zip(FUNCTIONS, "echo")},
    )
    wait_until_active(lambda_, "cli-echo")
    payload = lambda_.invoke(FunctionName="cli-echo", Payload=b"{}")["Payload"].read()
    return int(json.loads(payload)["pid"])


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, state = free_port(), tmp_path / "state"
    try:
        yield port, state
    finally:
        _cli("down", "--port", str(port), "--state-dir", str(state))


def test_up_status_tick_down(daemon: tuple[int, Path]) -> None:
    port, state = daemon
    flags = ("--port", str(port), "--state-dir", str(state))

    started = _cli("up", *flags)
    assert started.returncode == 0, started.stderr
    pid = int((state / "localcloud.pid").read_text())
    assert _alive(pid)
    assert (state / "localcloud.log").exists()
    health = requests.get(f"http://127.0.0.1:{port}/_localcloud/health", timeout=5).json()
    assert health["pid"] == pid
    assert health["port"] == port

    again = _cli("up", *flags)
    assert again.returncode == 0
    assert "reusing" in again.stdout
    assert int((state / "localcloud.pid").read_text()) == pid

    worker = _start_a_worker(port)
    assert _alive(worker)

    status = _cli("status", *flags)
    assert status.returncode == 0
    assert f'"pid": {pid}' in status.stdout
    assert status.stderr == ""
    tick = _cli("tick", *flags)
    assert tick.returncode == 0
    assert "no enabled schedule" in tick.stdout

    stopped = _cli("down", *flags)
    assert stopped.returncode == 0
    assert f"pid {pid}" in stopped.stdout
    assert stopped.stderr == ""
    assert (state / "state.pickle").is_file()
    assert not (state / "state.save-failed").exists()
    assert not (state / "localcloud.pid").exists()
    assert not _alive(pid)
    assert not _alive(worker)
    assert _cli("status", *flags).returncode == 3


def test_status_and_down_fail_loudly_while_the_state_cannot_be_saved(
    daemon: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, state = daemon
    flags = ("--port", str(port), "--state-dir", str(state))
    (state / "state.pickle").mkdir(parents=True)  # a save cannot rename its file over a folder
    monkeypatch.setenv("LOCALCLOUD_SNAPSHOT_INTERVAL", "0.3")
    assert _cli("up", *flags).returncode == 0
    aws_client("sqs", f"http://127.0.0.1:{port}").create_queue(QueueName="unsaved")

    wait_for(lambda: (health(port) or {}).get("snapshot", {}).get("consecutive_failures"), "a failed save", timeout=20)
    status = _cli("status", *flags)
    stopped = _cli("down", *flags)

    assert status.returncode == 4
    assert '"consecutive_failures": ' in status.stdout
    assert "localcloud CANNOT SAVE ITS STATE" in status.stderr
    assert "IsADirectoryError" in status.stderr
    assert stopped.returncode == 4
    assert "localcloud stopped" in stopped.stdout
    assert "could NOT save its state as it stopped" in stopped.stderr
    assert "IsADirectoryError" in stopped.stderr


def test_up_refuses_a_port_held_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = _cli("up", "--port", str(port), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 1
    assert "not a local cloud" in result.stderr
