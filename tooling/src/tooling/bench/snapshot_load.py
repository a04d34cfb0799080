"""The snapshot-load figure for `make bench`: how fast a test suite starts from a named state.

A suite that starts from a named state runs ``localcloud snapshot load NAME`` before its tests,
so that command is what is timed here: its wall time, from the start of the command to its exit
(the CLI's start-up, the request, the server replacing every backend and restarting the
mappings' pollers), and beside it the server's own time for the load, which the command prints.

The state is a real one: the stack deployed by ``make deploy`` into a local cloud of its own (a
free port and its own state directory under build/bench, never a developer's stack), with
``EVENTS`` events accepted through the regional gateway and left to flow through the lanes for a
few seconds, then saved once as ``NAME``. The figure is the median of ``ROUNDS`` loads; the
budget is the one the local cloud promises: well under a second.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tooling.bench.local_cloud import throwaway_stack
from tooling.bench.stats import summarize
from tooling.repository import ROOT

BUDGET_SECONDS = 1.0
ROUNDS = 5
EVENTS = 200
SETTLE_SECONDS = 5.0  # the lanes work on the events for a while: queues and streams hold some
NAME = "bench-start"
# What `localcloud snapshot` prints: "loaded NAME: 3.2 MB in 140 ms".
PRINTED = re.compile(r"^loaded \S+: (?P<mb>[0-9.]+) MB in (?P<ms>[0-9]+) ms$")

Row = tuple[str, str, str, "bool | None"]


def _localcloud(port: int, state_dir: Path, *args: str) -> tuple[float, str]:
    """(wall seconds, stdout) of one ``localcloud`` command, as a suite's set-up would run it."""
    command = [sys.executable, "-m", "localcloud", *args, "--port", str(port), "--state-dir", str(state_dir)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"localcloud {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return seconds, done.stdout.strip()


def _post_events(url: str, api_key: str, count: int) -> int:
    """Accept ``count`` events through the gateway; how many were not accepted."""
    refused = 0
    with requests.Session() as session:
        for n in range(count):
            body = {"type": "bench.snapshot", "subject": f"bench-{n % 8}", "source": "bench", "data": {"n": n}}
            response = session.post(
                f"{url}/v1/events",
                data=json.dumps(body),
                headers={"content-type": "application/json", "x-api-key": api_key},
                timeout=30,
            )
            refused += response.status_code != 201
    return refused


def load_rows() -> tuple[dict[str, Any], list[Row]]:
    walls: list[float] = []
    server_ms: list[float] = []
    with throwaway_stack("snapshot") as stack:
        stack.make("deploy")
        outputs = stack.outputs()
        refused = _post_events(outputs["regional_api_url"], outputs["api_key"], EVENTS)
        if refused:
            raise RuntimeError(f"{refused} of {EVENTS} events were not accepted: the stack is not healthy")
        time.sleep(SETTLE_SECONDS)
        _, saved = _localcloud(stack.port, stack.state_dir, "snapshot", "save", NAME)
        size_mb = 0.0
        for _ in range(ROUNDS):
            wall, printed = _localcloud(stack.port, stack.state_dir, "snapshot", "load", NAME)
            match = PRINTED.match(printed)
            if match is None:
                raise RuntimeError(f"unexpected output of localcloud snapshot load: {printed!r}")
            walls.append(wall * 1000)
            server_ms.append(float(match["ms"]))
            size_mb = float(match["mb"])
    command = summarize(walls)
    server = summarize(server_ms)
    data = {
        "events": EVENTS,
        "rounds": ROUNDS,
        "snapshot_mb": size_mb,
        "saved": saved,
        "command_ms": command,
        "server_load_ms": server,
        "budget_seconds": BUDGET_SECONDS,
    }
    rows: list[Row] = [
        (
            f"snapshot load, deployed stack + {EVENTS} events (command, median)",
            f"{command['median']:.0f} ms",
            f"< {BUDGET_SECONDS:g} s",
            command["median"] < BUDGET_SECONDS * 1000,
        ),
        (
            f"snapshot load, in the server (median of {ROUNDS}, {size_mb:.1f} MB)",
            f"{server['median']:.0f} ms",
            "-",
            None,
        ),
    ]
    return data, rows
