"""Check, or with ``--write`` regenerate, the generated documentation (``make docs`` writes).

The Terraform modules' README tables, and the architecture diagram (docs/architecture.svg) drawn
from terraform/envs/local and the contract.

    python -m tooling.docs [--write] [--modules terraform/modules] [--diagram docs/architecture.svg]

Exit status 1 when something is stale and ``--write`` was not given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.docs import architecture
from tooling.docs.terraform_readmes import refresh
from tooling.repository import CONTRACT, TERRAFORM_MODULES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.docs", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the stale tables instead of failing")
    parser.add_argument("--modules", type=Path, default=TERRAFORM_MODULES, help="the modules' parent directory")
    parser.add_argument("--diagram", type=Path, default=architecture.DIAGRAM, help="the architecture diagram (SVG)")
    parser.add_argument(
        "--env-root", type=Path, default=architecture.ENV_ROOT, help="the root the diagram is drawn from"
    )
    parser.add_argument("--contract", type=Path, default=CONTRACT, help="the contract whose routes it lists")
    args = parser.parse_args(argv)
    stale = refresh(args.modules, write=args.write)
    diagram_stale = architecture.refresh(args.diagram, args.env_root, args.contract, write=args.write)
    if (stale or diagram_stale) and not args.write:
        if stale:
            print(f"stale README tables: {', '.join(stale)}; run: make docs", file=sys.stderr)
        if diagram_stale:
            print(f"stale architecture diagram: {args.diagram}; run: make docs", file=sys.stderr)
        return 1
    if stale:
        print(f"rewrote the README tables of: {', '.join(stale)}")
    else:
        print("every module README's tables are current")
    print(
        f"rewrote the architecture diagram {args.diagram}" if diagram_stale else "the architecture diagram is current"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
