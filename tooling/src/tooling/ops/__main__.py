"""Operator commands for a deployed environment (see the Makefile targets that call them).

python -m tooling.ops --outputs build/<env>/outputs.json redrive QUEUE [--to-function NAME] [--max N]
python -m tooling.ops --outputs build/<env>/outputs.json replay-failures [--max N]
python -m tooling.ops --outputs build/<env>/outputs.json logs [--function NAME] [--since 10m] [--follow]
python -m tooling.ops --outputs build/<env>/outputs.json status [--window 15m]
python -m tooling.ops --outputs build/<env>/outputs.json trace EVENT_ID
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from tooling.ops import logs, status, trace
from tooling.ops.redrive import RedriveError, queue_url, redrive_to_function, redrive_to_queue
from tooling.ops.replay import replay_failures
from tooling.ops.target import Target, TargetError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.ops", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--outputs", type=Path, required=True, help="build/<env>/outputs.json of the environment")
    commands = parser.add_subparsers(dest="command", required=True)
    redrive = commands.add_parser("redrive", help="move a DLQ's messages back to their source")
    redrive.add_argument("queue", help="the dead-letter queue's name or URL")
    redrive.add_argument("--to-function", help="re-invoke this function with each message (the function DLQ)")
    redrive.add_argument("--max", type=int, default=10_000, help="at most this many messages")
    replay = commands.add_parser("replay-failures", help="re-drive what the stream mappings gave up on")
    replay.add_argument("--max", type=int, default=1000, help="at most this many failure messages")
    read_logs = commands.add_parser("logs", help="the functions' logs, interleaved in time order")
    read_logs.add_argument("--function", help="only this function (short or full name)")
    read_logs.add_argument("--since", default="10m", help="how far back: 30s, 10m, 2h, 1d")
    read_logs.add_argument("--follow", action="store_true", help="keep printing new lines until interrupted")
    show = commands.add_parser("status", help="functions, queues, mappings, alarms; exit 1 if a DLQ holds messages")
    show.add_argument("--window", default="15m", help="invocations and errors counted over this window")
    follow_one = commands.add_parser("trace", help="one event through every hop, and where it stopped")
    follow_one.add_argument("event_id", help="the event's id (the POST's answer, or a log line)")
    args = parser.parse_args(argv)
    try:
        target = Target.load(args.outputs)
        report: Any
        if args.command == "logs":
            return _logs(target, args.function, args.since, args.follow)
        if args.command == "trace":
            followed = trace.trace(target, args.event_id)
            print(trace.render(followed))
            return 0 if followed.found and followed.stopped_at is None else 1
        if args.command == "status":
            found = status.collect(target, logs.parse_duration(args.window))
            print(status.render(found))
            return 1 if found.problems() else 0
        if args.command == "redrive":
            sqs = target.client("sqs")
            dlq = queue_url(sqs, args.queue)
            if args.to_function:
                report = redrive_to_function(sqs, target.client("lambda"), dlq, args.to_function, args.max)
            else:
                report = redrive_to_queue(sqs, dlq, args.max)
            report = vars(report)
        else:
            report = replay_failures(target, args.max)
    except (TargetError, RedriveError) as error:
        print(f"ops: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 1 if report.get("failed") or report.get("left") else 0


def _logs(target: Target, function: str | None, since: str, follow: bool) -> int:
    groups = logs.log_groups(target, function)
    start = logs.since_ms(logs.parse_duration(since))
    client = target.client("logs")
    if not follow:
        for line in logs.read(client, groups, start):
            print(line.render())
        return 0
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how following ends
        logs.follow(client, groups, start, lambda line: print(line.render(), flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
