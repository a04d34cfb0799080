"""Check, or with ``--write`` regenerate, the Terraform modules' README tables (``make docs`` writes).

    python -m tooling.docs [--write] [--modules terraform/modules]

Exit status 1 when a README is stale and ``--write`` was not given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.docs.terraform_readmes import refresh
from tooling.repository import TERRAFORM_MODULES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.docs", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the stale tables instead of failing")
    parser.add_argument("--modules", type=Path, default=TERRAFORM_MODULES, help="the modules' parent directory")
    args = parser.parse_args(argv)
    stale = refresh(args.modules, write=args.write)
    if stale and not args.write:
        print(f"stale README tables: {', '.join(stale)}; run: make docs", file=sys.stderr)
        return 1
    if stale:
        print(f"rewrote the README tables of: {', '.join(stale)}")
    else:
        print("every module README's tables are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
