"""The CPU meter reads a real process tree: the root, its named workers, the children it reaped;
what it reports is the CPU of the run's window, not of the time around it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tooling.chaos import cpu
from tooling.chaos.cpu import CLIENT, EXITED, SERVER, CpuMeter, Reading, cpu_report, render_cpu

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n{then}"

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="the meter reads /proc (Linux)")


def burner(seconds: float, function: str, then: str = "") -> subprocess.Popen[bytes]:
    """A child of this process, named as a Lambda worker is, that spends ``seconds`` of CPU."""
    env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": function}
    return subprocess.Popen(
        [sys.executable, "-c", BURN.format(seconds=seconds, then=then)], env=env, stdin=subprocess.PIPE
    )


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_live_workers_by_function_and_exited_children_are_counted(tmp_path: Path) -> None:
    pid_file = tmp_path / "localcloud.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test process plays the server
    meter = CpuMeter(pid_file, period=0.05)
    meter.start()
    began = time.time()

    staying = burner(0.4, "events-api", then="import sys\nsys.stdin.read()")  # busy, then alive until told
    leaving = burner(0.3, "events-processor")
    leaving.wait(30)  # reaped: its time moves to this process's count of reaped children
    deadline = time.monotonic() + 30
    while cpu_of(staying.pid) < 0.35 and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = time.time()
    time.sleep(0.2)  # a sample after the window's end
    meter.stop()
    assert staying.stdin is not None
    staying.stdin.close()
    staying.wait(30)

    spent = meter.spent(began, ended)
    assert meter.problem is None
    assert spent["function events-api"] >= 0.3
    assert spent[EXITED] >= 0.25
    assert "function events-processor" not in spent  # it ended before the second reading
    assert spent[SERVER] >= 0.0
    assert spent[CLIENT] >= 0.0


def test_a_missing_local_cloud_is_said_not_measured(tmp_path: Path) -> None:
    meter = CpuMeter(tmp_path / "none.pid")
    meter.start()
    meter.stop()

    section = cpu_report(meter.spent(0.0, time.time()), settled=100, problem=meter.problem)

    assert section == {"measured": False, "why": f"no local cloud pid in {tmp_path / 'none.pid'}"}
    assert render_cpu(section).startswith("not measured (no local cloud pid")


def test_the_report_gives_milliseconds_per_settled_event_and_the_cores_ceiling() -> None:
    spent = {SERVER: 50.0, "function events-api": 12.0, "function events-analytics": 8.0, CLIENT: 10.0}

    section = cpu_report(spent, settled=1000)

    assert section["ms_per_settled_event"] == {
        SERVER: 50.0,
        "function events-api": 12.0,
        CLIENT: 10.0,
        "function events-analytics": 8.0,
    }
    assert section["total_ms_per_settled_event"] == 80.0
    cores = os.cpu_count() or 1
    assert section["ceiling_settled_per_second"] == round(cores * 1000 / 80.0, 1)
    assert render_cpu(section) == (
        f"80.0 ms per settled event: server 50.0, functions 20.0, other children 0.0, client 10.0; "
        f"{cores} cores carry at most {section['ceiling_settled_per_second']}/s"
    )


def test_only_the_window_is_counted(tmp_path: Path) -> None:
    pid_file = tmp_path / "localcloud.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    meter = CpuMeter(pid_file, period=0.05)
    meter.start()
    time.sleep(0.2)
    quiet_end = time.time()
    time.sleep(0.1)
    busy = burner(0.4, "events-api", then="import sys\nsys.stdin.read()")
    deadline = time.monotonic() + 30
    while cpu_of(busy.pid) < 0.35 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    meter.stop()
    assert busy.stdin is not None
    busy.stdin.close()
    busy.wait(30)

    # The worker burned after the quiet window ended: none of it is in the window.
    assert meter.spent(0.0, quiet_end).get("function events-api", 0.0) == 0.0
    assert meter.spent(0.0, time.time())["function events-api"] >= 0.3


def test_a_reading_that_began_before_the_window_ended_does_not_close_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading /proc takes time on a busy machine: a reading that began before the window's end
    holds the state of then, however late it finishes, so the window closes on a later one."""
    now = [0.0]
    readings = iter(
        [
            (0.1, Reading(seconds={SERVER: 1.0, EXITED: 0.0})),  # at start()
            (0.3, Reading(seconds={SERVER: 1.0, EXITED: 0.0})),  # began at 0.9, before the child was reaped
            (0.1, Reading(seconds={SERVER: 1.2, EXITED: 0.3})),  # began at 1.3, after
            (0.1, Reading(seconds={SERVER: 1.5, EXITED: 0.3})),  # at stop()
        ]
    )

    def slow_read(root: int) -> Reading:
        took, reading = next(readings)
        now[0] += took
        return reading

    monkeypatch.setattr(cpu, "read_tree", slow_read)
    (tmp_path / "localcloud.pid").write_text("1\n")
    meter = CpuMeter(tmp_path / "localcloud.pid", period=3600, clock=lambda: now[0])
    meter.start()
    now[0] = 0.9
    meter.sample()
    now[0] = 1.3
    meter.sample()
    meter.stop()

    spent = meter.spent(0.5, 1.0)

    assert spent[EXITED] == pytest.approx(0.3)
    assert spent[SERVER] == pytest.approx(0.2)
