"""The deploy stress run: its report, its verdict, the busy processes and what a failure keeps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localcloud.testing import wait_for
from tooling.stress import __main__ as stress


def test_every_cycle_is_reported_and_one_failure_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = iter([True, False, True])

    def fake_cycle(number: int, work_dir: Path, timeout: float) -> stress.Cycle:
        passed = next(outcomes)
        return stress.Cycle(number, passed, None if passed else "deploy", None if passed else "Error: boom")

    monkeypatch.setattr(stress, "run_cycle", fake_cycle)
    report = tmp_path / "report.json"
    code = stress.main(["--runs", "3", "--busy", "1", "--work-dir", str(tmp_path), "--report", str(report)])

    assert code == 1
    written = json.loads(report.read_text())
    assert (written["runs"], written["passed"], written["failed"]) == (3, 2, 1)
    assert written["cycles"][1]["failed_step"] == "deploy"


def test_all_passed_is_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stress, "run_cycle", lambda number, work_dir, timeout: stress.Cycle(number, True))
    assert (
        stress.main(["--runs", "2", "--busy", "0", "--work-dir", str(tmp_path), "--report", str(tmp_path / "r")]) == 0
    )


def test_the_busy_processes_spin_while_the_block_runs_and_are_gone_after() -> None:
    with stress.busy_cpu(2) as burners:
        assert len(burners) == 2
        first = [cpu_seconds(burner.pid) for burner in burners]
        # Each keeps taking CPU (however busy the machine is, it gets some): a second of it, in time.
        wait_for(
            lambda: all(cpu_seconds(b.pid) - before >= 1.0 for b, before in zip(burners, first, strict=True)),
            "both busy processes to use a second of CPU",
            timeout=60,
        )
        assert all(burner.poll() is None for burner in burners)
    assert all(burner.poll() is not None for burner in burners)  # killed and reaped


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_a_failure_is_told_by_its_terraform_error() -> None:
    output = "Plan: 3 to add\nsome progress\nError: creating Lambda Function (x): ResourceConflictException\n  detail\n"
    assert stress._error_lines(output).startswith("Error: creating Lambda Function")
    assert stress._error_lines("no error here\nlast line") == "no error here\nlast line"
