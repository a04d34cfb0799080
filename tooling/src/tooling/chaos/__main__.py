"""``python -m tooling.chaos``: one seeded load-and-fault run against a deployed stack (what ``make chaos`` runs).

The phases and what each module does are in the package docstring. Exit status: 0 when every
invariant held, 1 on any violation (transport errors and unexpected statuses included) or a
fault window that could not be opened, 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from tooling.chaos.cpu import CpuMeter, cpu_report
from tooling.chaos.faults import (
    DEFAULT_WINDOW_SECONDS,
    AppliedWindow,
    FaultApi,
    FaultDriver,
    FaultTargets,
    HttpFaultApi,
    NoFaultApi,
    build_schedule,
)
from tooling.chaos.invariants import Answer, Violation, check, left_to_reconciler
from tooling.chaos.load import SUBJECTS, LoadRunner, build_plan
from tooling.chaos.monitor import LaneMonitor
from tooling.chaos.profile import Profiler, summarise
from tooling.chaos.queues import dead_letter_contents, put_poison, queue_depth
from tooling.chaos.readback import collect
from tooling.chaos.report import (
    SettlePoint,
    build_report,
    render,
    settle_points,
    throughput,
    throughput_window,
    write_answers,
    write_json,
)
from tooling.chaos.settle import SettleResult, wait_until_settled
from tooling.ops.target import Target, TargetError
from tooling.repository import BUILD_DIR, CONTRACT

OPERATIONS = ("createEvent", "getSubjectStats", "listEvents")


def documented_statuses(contract: Path) -> dict[str, set[int]]:
    """The statuses the contract documents for each operation the run calls."""
    document = yaml.safe_load(contract.read_text(encoding="utf-8"))
    found: dict[str, set[int]] = {}
    for methods in document["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and operation.get("operationId") in OPERATIONS:
                found[operation["operationId"]] = {int(code) for code in operation["responses"]}
    return found


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.chaos", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--outputs", type=Path, required=True, help="build/<env>/outputs.json of the target")
    parser.add_argument("--seed", type=int, default=1, help="seeds the plan and the fault schedule (default 1)")
    parser.add_argument("--events", type=int, default=2000, help="distinct events to post (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--no-faults", dest="faults", action="store_false", help="load only: no fault, no poison")
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=DEFAULT_WINDOW_SECONDS,
        help=f"typical length of a fault window (default {DEFAULT_WINDOW_SECONDS:g})",
    )
    parser.add_argument(
        "--settle-seconds", type=float, default=600, help="give up waiting for the pipeline after this long"
    )
    parser.add_argument(
        "--max-load-seconds",
        type=float,
        default=1200,
        help="start no event of the main load after this long (a closing round is always sent)",
    )
    parser.add_argument(
        "--closing-round",
        action="store_true",
        help="send each subject's last event after the faults are cleared, so the lanes repair a gap on arrival "
        "rather than the reconciler after its cut-off (default: every event during the faults)",
    )
    parser.add_argument("--report-dir", type=Path, default=BUILD_DIR / "reports")
    parser.add_argument("--name", default="chaos", help="file names of the report: <name>.json, <name>.png")
    parser.add_argument("--profile", type=Path, help="a local cloud's pid file: profile it with py-spy during the run")
    parser.add_argument(
        "--cpu-of",
        type=Path,
        help="a local cloud's pid file: report the CPU its server, its functions and this client use per settled event",
    )
    return parser.parse_args(argv)


class ChaosRun:
    """One run: built from the arguments, then ``execute`` (load, faults, settle) and ``check_and_report``."""

    def __init__(self, args: argparse.Namespace, target: Target) -> None:
        self.args = args
        self.target = target
        self.outputs = target.outputs
        self.run_id = uuid.uuid4().hex[:8]
        self.plan = build_plan(args.seed, self.run_id, args.events)
        self.posted = {event.n: event.posted() for event in self.plan}
        self.documented = documented_statuses(CONTRACT)
        self.sqs = target.client("sqs")
        self.api: FaultApi = NoFaultApi()
        self.fault_api_url: str | None = None
        if args.faults:
            http_api = HttpFaultApi(self.outputs.get("aws_endpoint_url") or "")
            if http_api.probe():
                self.api, self.fault_api_url = http_api, http_api.url
                http_api.clear()  # a previous run that died may have left rules behind
            else:
                print(
                    "chaos: WARNING: the target has no fault API; windows are timed, nothing is injected",
                    file=sys.stderr,
                )
        targets = FaultTargets.from_outputs(self.outputs)
        self.schedule = build_schedule(args.seed, targets, args.window_seconds) if args.faults else []
        self.profiler = _profiler(args.profile, args.report_dir / f"{args.name}-profile.folded")
        self.cpu = CpuMeter(args.cpu_of) if args.cpu_of else None
        self.monitor = LaneMonitor(
            target.client("dynamodb"), self.outputs["events_table_name"], sorted({e.subject for e in self.plan})
        )
        self.runner = LoadRunner(
            {"edge": self.outputs["edge_api_url"], "regional": self.outputs["regional_api_url"]},
            self.outputs["api_key"],
            self.run_id,
            args.concurrency,
        )
        self.baseline: dict[str, dict[str, str]] = {}
        self.started = 0.0
        self.load_seconds = 0.0

    @property
    def faults(self) -> str:
        if not self.args.faults:
            return "off"
        return "on" if self.fault_api_url else "requested, but the target has no fault API"

    def execute(self) -> tuple[list[AppliedWindow], SettleResult]:
        outputs, args = self.outputs, self.args
        self.baseline = dead_letter_contents(self.sqs, outputs)
        poison_baseline = None
        if any(w.poison for w in self.schedule):
            poison_baseline = queue_depth(self.sqs, outputs["standard_dlq_url"])
        self.started = time.time()
        driver = FaultDriver(
            self.api,
            self.schedule,
            self.runner.progress,
            lambda: put_poison(self.sqs, outputs["standard_queue_url"], self.run_id),
        )
        print(
            f"chaos: run {self.run_id}, seed {args.seed}: {args.events} events at concurrency {args.concurrency}, "
            f"faults {self.faults}" + (f" ({self.fault_api_url})" if self.fault_api_url else "")
        )
        self.monitor.start()
        if self.profiler is not None:
            self.profiler.start()
        if self.cpu is not None:
            self.cpu.start()
        try:
            driver.start()
            held_back = [event for event in self.plan if event.closing and args.closing_round]
            self.runner.run(
                [event for event in self.plan if event not in held_back], time.monotonic() + args.max_load_seconds
            )
            applied = driver.finish(timeout=max((w.seconds for w in self.schedule), default=0) + 60)
            self.api.clear()
            self.runner.run(held_back)
            self.load_seconds = time.time() - self.started
            print(f"chaos: load done in {self.load_seconds:.1f}s ({len(self.runner.answers)} attempts); settling")
            settled = wait_until_settled(self.target, self.monitor, poison_baseline, args.settle_seconds)
        finally:
            self.api.clear()
            self.monitor.stop()
            self.runner.close()
            if self.cpu is not None:
                self.cpu.stop()
            if self.profiler is not None:
                self.profiler.stop()
        return applied, settled

    def check_and_report(self, applied: list[AppliedWindow], settled: SettleResult) -> int:
        args, outputs, answers = self.args, self.outputs, self.runner.answers
        snapshot, read_problems = collect(
            self.target,
            self.run_id,
            self.posted,
            answers,
            [outputs["regional_api_url"], outputs["edge_api_url"]],
            {name: self.documented[name] for name in OPERATIONS},
            self.baseline,
            next((w.poison_marker for w in applied if w.poison_marker), None),
            settled.reconciled_before,
        )
        violations = check(self.posted, answers, snapshot, self.documented["createEvent"]) + read_problems
        violations += [Violation("fault-api", f"window {w.window.name}: {w.error}") for w in applied if w.error]
        points = settle_points(snapshot.subjects, self.monitor.samples)
        extra: dict[str, Any] = {
            "run_id": self.run_id,
            "monitor_errors": self.monitor.errors,
            "left_to_reconciler": left_to_reconciler(snapshot),
        }
        if self.profiler is not None:
            extra["profile"] = _profile_summary(self.profiler.out)
        if self.cpu is not None:
            window = throughput_window(points)
            spent = self.cpu.spent(*window) if window else {}
            extra["cpu"] = cpu_report(spent, throughput(points)["settled"], self.cpu.problem)
        report = build_report(
            parameters={
                "seed": args.seed,
                "events": args.events,
                "concurrency": args.concurrency,
                "subjects": SUBJECTS,
                "faults": self.faults,
                "fault_api": self.fault_api_url,
                "window_seconds": args.window_seconds,
                "target": outputs.get("aws_endpoint_url") or "aws",
            },
            answers=answers,
            points=points,
            planned=len(self.plan),
            windows=[entry.to_json() for entry in applied],
            phases={"load_seconds": round(self.load_seconds, 1), "settle": settled.to_json()},
            violations=violations,
            extra=extra,
        )
        json_path = args.report_dir / f"{args.name}.json"
        write_json(json_path, report)
        write_answers(args.report_dir / f"{args.name}-answers.jsonl", answers)
        _plot(args.report_dir / f"{args.name}.png", self.started, answers, points, report, args)
        print(render(report))
        for violation in violations[:40]:
            ids = f" [{', '.join(violation.event_ids[:5])}]" if violation.event_ids else ""
            print(f"  {violation.kind}: {violation.subject or '-'}: {violation.message}{ids}")
        if len(violations) > 40:
            print(f"  ... {len(violations) - 40} more in {json_path}")
        print(f"chaos: report {json_path}")
        return 1 if violations else 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        run = ChaosRun(args, Target.load(args.outputs))
    except (TargetError, ValueError) as error:
        print(f"chaos: {error}", file=sys.stderr)
        return 2
    applied, settled = run.execute()
    return run.check_and_report(applied, settled)


def _profiler(pid_file: Path | None, out: Path) -> Profiler | None:
    if pid_file is None:
        return None
    return Profiler(int(pid_file.read_text(encoding="utf-8").strip()), out)


def _profile_summary(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"error": f"py-spy wrote no {path}"}
    return {"file": str(path), **summarise(path.read_text(encoding="utf-8").splitlines())}


def _plot(
    path: Path,
    started: float,
    answers: list[Answer],
    points: list[SettlePoint],
    report: dict[str, Any],
    args: argparse.Namespace,
) -> None:
    try:
        from tooling.chaos.plot import draw  # noqa: PLC0415 (matplotlib is slow to import)
    except ImportError as error:
        print(f"chaos: no plot ({error}); pip install -r requirements/dev.txt", file=sys.stderr)
        return
    title = (
        f"chaos run: seed {args.seed}, {args.events} events, concurrency {args.concurrency}, "
        f"faults {report['parameters']['faults']}; {report['violations']['count']} violations"
    )
    draw(path, started, answers, points, report["fault_windows"], title)


if __name__ == "__main__":
    sys.exit(main())
