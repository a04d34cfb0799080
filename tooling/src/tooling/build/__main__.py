"""The command line of the build (what ``make build`` runs); the steps are in the package docstring.

    python -m tooling.build --app chalice_app --out build/lambda [--stage dev] [--wheel-cache DIR] [-v]

Prints one summary line (path, size, sha256, file and handler counts) on stdout; exit 1 on a build error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from tooling.build import BuildError
from tooling.build.lambda_zip import build, summary_line
from tooling.repository import APP_DIR, BUILD_DIR


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.build", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--app", type=Path, default=APP_DIR, help="Chalice project directory")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "lambda", help="output directory")
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument(
        "--wheel-cache",
        type=Path,
        default=None,
        help="wheelhouse root (default: $BUILD_LAMBDA_WHEEL_CACHE or ~/.cache/events-service/wheelhouse)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show chalice's output")
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = build(args.app.resolve(), args.out, args.stage, args.wheel_cache, args.verbose)
    except BuildError as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 1
    print(summary_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
