"""Where the local cloud's time goes during a run: py-spy on its process tree, summarised.

``--profile <pid file>`` starts ``py-spy record`` on the local cloud's process
(``<state-dir>/localcloud.pid``) for the load and the settling, in py-spy's raw "folded" format
(one line per distinct stack: ``frame;frame;...;frame count``), then stops it with SIGINT (py-spy
writes its file then). ``summarise`` turns the samples into the top functions by own time (the
frame on top of the stack) and by inclusive time (anywhere in the stack). The folded file is
kept beside the report; any flame-graph renderer reads it.

The local cloud is one Python process: moto, the API Gateway data plane, the pollers and the
executor's bookkeeping share one interpreter lock, while the handlers run in worker processes.
So the samples are taken with ``--gil`` (only the thread holding the lock: where the server's
Python time goes, not who is waiting for it) and ``--nonblocking`` (the process is never paused,
so profiling barely slows the run it measures). The workers are not sampled.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RATE = 100  # samples per second (py-spy's default)
_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """The py-spy next to the running Python (the venv), else one on PATH."""
    import sys  # noqa: PLC0415

    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, pid: int, out: Path) -> None:
        self.pid = pid
        self.out = out
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy into the venv)")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(self.pid),
                "--gil",
                "--nonblocking",
                "--rate",
                str(RATE),
                "--format",
                "raw",
                "--output",
                str(self.out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)


def _function(frame: str) -> str:
    """``name (path/to/file.py:12)`` -> ``name (file.py)``: lines of one function counted together."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    # The package directory and the file: enough to tell moto's table.py from the app's.
    short = "/".join(match.group("file").split("/")[-2:])
    return f"{match.group('function')} ({short})"


def summarise(lines: Iterable[str], top: int = 15) -> dict[str, Any]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    total = 0
    for line in lines:
        match = _LINE.match(line.strip())
        if match is None:
            continue
        count = int(match.group("count"))
        frames = match.group("stack").split(";")
        process = frames[0] if frames[0].startswith("process ") else "process ?"
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        processes[_process_name(process)] += count
        own[_function(frames[-1])] += count
        for name in {_function(f) for f in frames}:
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "samples": n, "share": round(n / total, 3) if total else 0.0}
            for name, n in counter.most_common(top)
        ]

    return {
        "samples": total,
        "rate_hz": RATE,
        "by_process": share(processes),
        "top_own": share(own),
        "top_inclusive": share(inclusive),
    }


def _process_name(frame: str) -> str:
    """``process 123:"python -I -m localcloud.awslambda.worker"`` -> the command line without the pid
    (workers add up)."""
    _, _, command = frame.partition(":")
    command = command.strip().strip('"')
    if "localcloud.awslambda.worker" in command:
        return "lambda worker"
    if "localcloud" in command:
        return "local cloud server"
    return command[:60] or frame
