"""Watch the app and the contract; on a save, push the new code to every function of the local stack.

python -m tooling.watch --outputs build/local/outputs.json [--zip build/lambda/deployment.zip]

The tree is polled (``--poll`` seconds, default 0.2: cheap for a few dozen files, and no
dependency on an OS file-watching API). A change is taken once the files stop changing for one
poll, so an editor's write-then-rename is one reload. One line is printed per reload.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tooling.ops.target import Target, TargetError
from tooling.repository import APP_DIR, ROOT
from tooling.watch.reload import Reloader, Snapshot, changed_files, snapshot


def watch(
    reloader: Reloader,
    poll: float,
    emit: Callable[[str], None],
    rounds: int | None = None,
    before: Snapshot | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Reload on every save until interrupted, ``stop`` is set or ``rounds`` polls are done, from
    ``before`` (the tree as it is now, by default)."""
    before = snapshot(reloader.roots()) if before is None else before
    done = 0
    while (rounds is None or done < rounds) and not (stop is not None and stop.is_set()):
        done += 1
        time.sleep(poll)
        now = snapshot(reloader.roots())
        changed = changed_files(before, now)
        if not changed:
            continue
        started = time.monotonic()
        while True:  # settle: the save is complete once a poll sees no further change
            time.sleep(poll / 2)
            later = snapshot(reloader.roots())
            if later == now:
                break
            changed, now = sorted({*changed, *changed_files(now, later)}), later
        emit(reloader.reload(changed, started).line())
        before = snapshot(reloader.roots())  # the reload may have rendered the contract's JSON copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.watch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outputs", type=Path, required=True, help="build/local/outputs.json")
    parser.add_argument("--zip", type=Path, default=ROOT / "build" / "lambda" / "deployment.zip")
    parser.add_argument("--poll", type=float, default=0.2)
    args = parser.parse_args(argv)
    try:
        target = Target.load(args.outputs)
        if not target.outputs.get("aws_endpoint_url"):
            raise TargetError("make watch reloads the local cloud only (ENV=local); other environments: make deploy")
        if not args.zip.is_file():
            raise TargetError(f"{args.zip} is missing: make build first")
        functions = target.output("function_names")
    except TargetError as error:
        print(f"watch: {error}", file=sys.stderr)
        return 2
    reloader = Reloader(APP_DIR, ROOT / "contracts", args.zip, target.client("lambda"), functions)
    print(f"watching {APP_DIR.name}/ and contracts/ for {len(functions)} functions; Ctrl-C stops", flush=True)
    try:
        watch(reloader, args.poll, lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
