"""Command line of the cost model: per environment, the cost table and the capacity table.

Exit status 0 on success, 2 when an input is missing or malformed (the message says what to run or fix):
no ``handlers`` section in the bench results (run ``make bench``), no ``terraform`` or no ``sizing`` output,
or a data file the model cannot use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tooling.cost import capacity, data, duration, measurements, model, report, sizing
from tooling.repository import BUILD_DIR, ROOT

DEFAULT_ENVS = ("dev", "prod")


def _sizing_files(pairs: list[str]) -> dict[str, Path]:
    files = {}
    for pair in pairs:
        env, sep, path = pair.partition("=")
        if not sep or not env or not path:
            raise SystemExit(f"--sizing-file wants ENV=PATH, got {pair!r}")
        files[env] = Path(path)
    return files


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tooling.cost", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--env", action="append", dest="envs", help="environment (repeatable; default: dev and prod)")
    parser.add_argument("--results", type=Path, default=BUILD_DIR / "bench" / "results.json", help="bench results JSON")
    parser.add_argument("--data", type=Path, default=data.DATA_FILE, help="prices, quotas and assumptions")
    parser.add_argument("--out-dir", type=Path, default=BUILD_DIR / "reports", help="where cost-<env>.json/.md go")
    parser.add_argument("--markdown", action="store_true", help="print Markdown instead of text tables")
    parser.add_argument(
        "--sizing-file",
        action="append",
        default=[],
        metavar="ENV=PATH",
        help="read ENV's sizing from a file (the console's JSON string or plain JSON) instead of Terraform",
    )
    parser.add_argument("--plugin-dir", type=Path, help="Terraform provider mirror (as the Makefile's TF_PLUGIN_DIR)")
    parser.add_argument("--terraform", default="terraform", help="terraform binary")
    parser.add_argument("--work-dir", type=Path, default=BUILD_DIR / "tfeval", help="where env roots are evaluated")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    envs = args.envs or list(DEFAULT_ENVS)
    files = _sizing_files(args.sizing_file)
    try:
        cost_data = data.load(args.data)
        bench = measurements.load_results(args.results)
        for env in envs:
            cost_data.assumptions.environment(env)
    except (data.DataError, measurements.BenchError) as exc:
        print(f"make cost: {exc}", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for env in envs:
        try:
            if env in files:
                env_sizing = sizing.parse_sizing(files[env].read_text(encoding="utf-8"))
            else:
                env_sizing = sizing.read_sizing(env, ROOT, args.work_dir / env, args.plugin_dir, args.terraform)
            cost = model.cost_report(bench, env_sizing, cost_data, env)
            cap = capacity.capacity_report(bench, env_sizing, cost_data, env, cost.usages)
        except (sizing.SizingError, duration.ModelError, data.DataError, OSError) as exc:
            print(f"make cost ({env}): {exc}", file=sys.stderr)
            return 2
        markdown = report.render_markdown(cost, cap, cost_data)
        (args.out_dir / f"cost-{env}.md").write_text(markdown, encoding="utf-8")
        doc = report.document(cost, cap, cost_data, bench.source)
        (args.out_dir / f"cost-{env}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(markdown if args.markdown else report.render_text(cost, cap, cost_data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
