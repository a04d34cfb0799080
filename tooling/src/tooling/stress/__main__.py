"""``python -m tooling.stress``: n fresh local deploy-and-destroy cycles under a saturated CPU.

Exit status: 0 when every cycle passed, 1 when one failed, 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from localcloud.daemon import free_port
from tooling.repository import ROOT

# What a failed step's last Terraform lines look like ("Error: ..." and the API error under it).
_ERROR_MARK = "Error:"


@dataclass
class Cycle:
    """One deploy and destroy on a fresh local cloud."""

    number: int
    passed: bool = False
    failed_step: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def busy_cpu(processes: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``processes`` interpreters spinning at 100% until the block ends."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdout=subprocess.DEVNULL)
        for _ in range(processes)
    ]
    try:
        yield burners
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _error_lines(output: str) -> str:
    lines = output.splitlines()
    marks = [i for i, line in enumerate(lines) if _ERROR_MARK in line]
    picked = lines[marks[0] : marks[0] + 12] if marks else lines[-12:]
    return "\n".join(line.rstrip() for line in picked if line.strip())


def run_cycle(number: int, work_dir: Path, timeout: float) -> Cycle:
    """Deploy, destroy and stop one throwaway local stack; what happened, timed."""
    cycle = Cycle(number)
    state_dir = work_dir / f"cycle-{number}"
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.mkdir(parents=True)
    port = free_port()
    variables = ["ENV=local", f"STATE_DIR={state_dir}", f"LOCALCLOUD_PORT={port}", "LOCAL_CLOUD=builtin"]
    env = {**os.environ, "TF_LOG": "DEBUG", "TF_LOG_PATH": str(state_dir / "terraform-debug.log")}
    try:
        for step in ("deploy", "destroy"):
            started = time.monotonic()
            result = subprocess.run(
                ["make", "-C", str(ROOT), step, *variables],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            cycle.seconds[step] = round(time.monotonic() - started, 1)
            (state_dir / f"{step}.out").write_text(result.stdout + result.stderr)
            if result.returncode != 0:
                cycle.failed_step, cycle.error = step, _error_lines(result.stdout + result.stderr)
                return cycle
        cycle.passed = True
        return cycle
    except subprocess.TimeoutExpired:
        cycle.failed_step, cycle.error = "timeout", f"a step ran over {timeout:.0f} s"
        return cycle
    finally:
        subprocess.run(["make", "-C", str(ROOT), "local-down", *variables], capture_output=True, check=False)
        if cycle.passed:
            shutil.rmtree(state_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.stress", description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="deploy-and-destroy cycles (default 20)")
    parser.add_argument(
        "--busy", type=int, default=os.cpu_count() or 2, help="spinning processes (default: one per core)"
    )
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "stress")
    parser.add_argument("--report", type=Path, default=ROOT / "build" / "reports" / "deploy-stress.json")
    parser.add_argument("--step-timeout", type=float, default=1200.0, help="seconds a deploy or destroy may take")
    parser.add_argument("--stop-on-failure", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    cycles: list[Cycle] = []
    started = time.monotonic()
    with busy_cpu(args.busy):
        for number in range(1, args.runs + 1):
            cycle = run_cycle(number, args.work_dir, args.step_timeout)
            cycles.append(cycle)
            verdict = "passed" if cycle.passed else f"FAILED at {cycle.failed_step}"
            times = ", ".join(f"{step} {seconds} s" for step, seconds in cycle.seconds.items())
            print(f"cycle {number}/{args.runs}: {verdict} ({times})", flush=True)
            if not cycle.passed:
                print(f"  {cycle.error}\n  logs kept in {args.work_dir / f'cycle-{number}'}", flush=True)
                if args.stop_on_failure:
                    break
    passed = sum(cycle.passed for cycle in cycles)
    report = {
        "runs": len(cycles),
        "passed": passed,
        "failed": len(cycles) - passed,
        "busy_processes": args.busy,
        "seconds": round(time.monotonic() - started, 1),
        "cycles": [asdict(cycle) for cycle in cycles],
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(f"deploy-stress: {passed} passed, {len(cycles) - passed} failed ({args.report})")
    return 0 if passed == len(cycles) else 1


if __name__ == "__main__":
    sys.exit(main())
