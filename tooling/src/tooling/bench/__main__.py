"""Measure the deployment's cost figures and check them against their budgets.

    python -m tooling.bench --out build/bench/results.json [--sections zip,import]

Each figure belongs to a *section* (``sections``, which says how to add one); ``results``
renders the table and writes the results file.

Exit status: 0 when every budget holds, 1 when a budget is exceeded, 2 when
a section could not be measured (its error is in the table and the file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from tooling.bench.results import exit_status, render_table, results_document, write_json
from tooling.bench.sections import SECTIONS, Options, relative, run_sections
from tooling.repository import APP_DIR, BUILD_DIR


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.bench", description="Measure zip size, import time and per-request CPU against budgets."
    )
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "bench" / "results.json", help="results JSON path")
    parser.add_argument(
        "--zip", type=Path, default=BUILD_DIR / "lambda" / "deployment.zip", help="the built Lambda zip"
    )
    parser.add_argument("--app", type=Path, default=APP_DIR, help="Chalice project directory")
    parser.add_argument("--stage", default="dev", help="Chalice stage for the test client (default: dev)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of: {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--import-runs", type=int, default=15, help="fresh interpreters per module (default: 15)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per endpoint (default: 20)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint (default: 300)")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes per handler for init (default: 5)")
    parser.add_argument(
        "--warm-invocations", type=int, default=20, help="warm invocations per handler and batch size (default: 20)"
    )
    parser.add_argument("--zip-budget-mib", type=float, default=5.0)
    parser.add_argument("--import-budget-percent", type=float, default=50.0)
    args = parser.parse_args(None if argv is None else list(argv))
    unknown = [s for s in args.sections.split(",") if s and s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    for name in ("import_runs", "requests", "init_runs", "warm_invocations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    opts = Options(
        zip_path=args.zip,
        app_dir=args.app.resolve(),
        stage=args.stage,
        import_runs=args.import_runs,
        warmup=max(0, args.warmup),
        requests=args.requests,
        zip_budget_mib=args.zip_budget_mib,
        import_budget_percent=args.import_budget_percent,
        cache_dir=out.resolve().parent / ".cache",
        init_runs=args.init_runs,
        warm_invocations=args.warm_invocations,
    )
    names = [s for s in args.sections.split(",") if s]
    results = run_sections(names, opts)
    print(render_table(results))
    write_json(out, results_document(results))
    status = exit_status(results)
    for name, result in results.items():
        if isinstance(result, str):
            print(f"\n{name}: {result}", file=sys.stderr)
    print(f"\nwrote {relative(out)}", "(a budget is exceeded)" if status == 1 else "", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
