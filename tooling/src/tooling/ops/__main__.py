"""Operator commands for a deployed environment (see the Makefile targets that call them).

python -m tooling.ops --outputs build/<env>/outputs.json redrive QUEUE [--to-function NAME] [--max N]
python -m tooling.ops --outputs build/<env>/outputs.json replay-failures [--max N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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
    args = parser.parse_args(argv)
    try:
        target = Target.load(args.outputs)
        report: Any
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


if __name__ == "__main__":
    sys.exit(main())
