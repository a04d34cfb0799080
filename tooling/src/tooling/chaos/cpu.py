"""Where the CPU goes during a run: the local cloud's server, each of its functions, and this client.

Throughput on one machine is bounded by CPU: the server (one interpreter: moto, the gateway, the
pollers), the Lambda workers it starts (processes of their own, one kind per function), and the
load client share its cores. ``--cpu-of <pid file>`` reads each one's user and system time from
``/proc`` every second of the run, and the report takes what was spent from the first accept to
the last settle (the window of the settled-per-second figure; the quiet wait for the reconciler
afterwards is left out), so it says how many milliseconds of CPU one settled event cost in each,
and what rate the machine's cores could carry at that cost: the figure that says whether a
throughput goal is a matter of tuning or out of reach.

A worker is found as a descendant of the server and named by its ``AWS_LAMBDA_FUNCTION_NAME``.
A child that exits during the run (a worker retired, crashed by a fault or timed out; the forked
copy that saves a snapshot) leaves its time in the server's count of reaped children, reported
on its own. Linux only: on another system, or when the pid file names no running process, the
section says why it is empty.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROC = Path("/proc")
SERVER = "local cloud server"
EXITED = "exited children (workers, snapshot saves)"
OTHER = "other children"
CLIENT = "load client (this process)"
_FUNCTION_VARIABLE = b"AWS_LAMBDA_FUNCTION_NAME="


@dataclass
class _Process:
    parent: int
    seconds: float  # user + system, this process alone
    reaped: float  # user + system of its children it has waited for


def _read(pid: int, ticks: int) -> _Process | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return _Process(parent=int(fields[1]), seconds=(utime + stime) / ticks, reaped=(cutime + cstime) / ticks)


def _function_name(pid: int) -> str | None:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    for entry in environ.split(b"\0"):
        if entry.startswith(_FUNCTION_VARIABLE):
            return entry.removeprefix(_FUNCTION_VARIABLE).decode(errors="replace")
    return None


@dataclass
class Reading:
    """CPU seconds so far by process kind; ``by_pid`` keeps each live descendant's own count."""

    seconds: dict[str, float] = field(default_factory=dict)
    by_pid: dict[int, tuple[str, float]] = field(default_factory=dict)


def read_tree(root: int) -> Reading | None:
    """The server's time, its reaped children's, and each live descendant's by function."""
    ticks = os.sysconf("SC_CLK_TCK")
    server = _read(root, ticks)
    if server is None:
        return None
    processes: dict[int, _Process] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and int(entry.name) != root:
            found = _read(int(entry.name), ticks)
            if found is not None:
                processes[int(entry.name)] = found
    reading = Reading(seconds={SERVER: server.seconds, EXITED: server.reaped})
    for pid, process in processes.items():
        if _descends_from(pid, root, processes):
            function = _function_name(pid)
            name = f"function {function}" if function else OTHER
            reading.by_pid[pid] = (name, process.seconds)
    return reading


def _descends_from(pid: int, root: int, processes: dict[int, _Process]) -> bool:
    seen: set[int] = set()
    while pid in processes and pid not in seen:
        seen.add(pid)
        pid = processes[pid].parent
        if pid == root:
            return True
    return False


def _client_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class _Sample:
    began: float  # epoch seconds: the reading holds the state of some moment between these two,
    ended: float  # and on a busy machine reading all of /proc can take a good part of a second
    tree: Reading
    client: float


class CpuMeter:
    """Samples the local cloud's process tree and this process every ``period`` seconds from
    ``start`` to ``stop``; ``spent`` is the CPU between two moments, to the nearest samples
    around them (the run's throughput window: first accept to last settle)."""

    def __init__(self, pid_file: Path, period: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.pid_file = pid_file
        self.problem: str | None = None
        self._period = period
        self._clock = clock
        self._root: int | None = None
        self._samples: list[_Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-cpu", daemon=True)

    def start(self) -> None:
        if not PROC.is_dir():
            self.problem = "no /proc on this system: CPU is read on Linux only"
            return
        try:
            self._root = int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            self.problem = f"no local cloud pid in {self.pid_file}"
            return
        if not self.sample():
            self.problem = f"no process {self._root} (from {self.pid_file})"
            return
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(10)
            self.sample()

    def sample(self) -> bool:
        if self._root is None:
            return False
        began = self._clock()
        tree = read_tree(self._root)
        if tree is None:
            return False
        self._samples.append(_Sample(began, self._clock(), tree, _client_seconds()))
        return True

    def spent(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds by process kind from the last sample read wholly before ``start`` to the first
        read wholly after ``end`` (empty if not measured)."""
        if len(self._samples) < 2:
            return {}
        before = next((s for s in reversed(self._samples) if s.ended <= start), self._samples[0])
        after = next((s for s in self._samples if s.began >= end), self._samples[-1])
        spent = {name: after.tree.seconds[name] - before.tree.seconds.get(name, 0.0) for name in after.tree.seconds}
        for pid, (name, seconds) in after.tree.by_pid.items():
            # A worker started within the window counts from zero.
            earlier = before.tree.by_pid.get(pid, (name, 0.0))[1]
            spent[name] = spent.get(name, 0.0) + seconds - earlier
        spent[CLIENT] = after.client - before.client
        return spent

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self.sample()


def cpu_report(spent: dict[str, float], settled: int, problem: str | None = None) -> dict[str, Any]:
    """The report's ``cpu`` section: seconds and milliseconds per settled event by process kind,
    and the settled rate the machine's cores could carry at that cost if every one were busy."""
    if not spent or settled <= 0:
        return {"measured": False, "why": problem or "nothing settled"}
    total = sum(spent.values())
    cores = os.cpu_count() or 1
    return {
        "measured": True,
        "seconds": {name: round(seconds, 1) for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])},
        "ms_per_settled_event": {
            name: round(1000 * seconds / settled, 1) for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
        },
        "total_ms_per_settled_event": round(1000 * total / settled, 1),
        "cores": cores,
        "ceiling_settled_per_second": round(cores * settled / total, 1) if total > 0 else None,
    }


def render_cpu(section: dict[str, Any]) -> str:
    """One line for the printed table."""
    if not section.get("measured"):
        return f"not measured ({section.get('why')})"
    per_event = section["ms_per_settled_event"]
    functions = sum((ms for name, ms in per_event.items() if name.startswith("function ")), 0.0)
    other = sum((ms for name, ms in per_event.items() if name in (EXITED, OTHER)), 0.0)
    return (
        f"{section['total_ms_per_settled_event']} ms per settled event: server {per_event.get(SERVER, 0.0)}, "
        f"functions {round(functions, 1)}, other children {round(other, 1)}, client {per_event.get(CLIENT, 0.0)}; "
        f"{section['cores']} cores carry at most {section['ceiling_settled_per_second']}/s"
    )
