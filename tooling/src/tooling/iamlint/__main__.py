"""Lint the IAM policy documents of the local root's plan with parliament (``make iam-lint``).

    python -m tooling.iamlint [--env local] [--plan PLAN.json] [--allow-list allowed.yaml]
                              [--work-dir build/iamlint] [--plugin-dir DIR] [--write-plan PATH]

Without ``--plan`` the root is planned with the AWS provider mocked (tooling.iamlint.render); with it,
any ``terraform show -json`` of a plan is read instead. Exit status 1 when a finding is not justified by
the allow-list, or an allow-list entry justifies nothing; 2 when the plan or the allow-list cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tooling.iamlint.extract import attachments, documents
from tooling.iamlint.lint import (
    ALLOW_LIST,
    AllowListError,
    Verdict,
    judge,
    lint_attachment,
    lint_document,
    load_allow_list,
)
from tooling.iamlint.render import RenderError, render_plan
from tooling.repository import BUILD_DIR, ROOT


def verdict_of(plan: dict[str, Any], allow_list: Path) -> tuple[int, Verdict]:
    """(number of documents, verdict) of one plan."""
    found = documents(plan)
    findings = [f for d in found for f in lint_document(d)] + [f for a in attachments(plan) for f in lint_attachment(a)]
    return len(found), judge(findings, load_allow_list(allow_list))


def _report(count: int, verdict: Verdict) -> None:
    for finding in verdict.unjustified:
        print(f"NOT JUSTIFIED {finding}")
    for allowance in verdict.unused:
        where = f" [{allowance.statement}]" if allowance.statement else ""
        print(f"UNUSED ALLOW-LIST ENTRY {allowance.policy}{where}: {allowance.finding} justifies no finding: remove it")
    justified = sum(len(f) for f in verdict.justified.values())
    print(
        f"iamlint: {count} policy documents, {len(verdict.findings)} findings: {justified} justified by "
        f"{len(verdict.justified)} allow-list entries, {len(verdict.unjustified)} not justified, "
        f"{len(verdict.unused)} unused entries"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.iamlint", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--env", default="local", help="the environment root to plan (default local)")
    parser.add_argument("--plan", type=Path, help="lint this `terraform show -json` of a plan instead of planning")
    parser.add_argument("--allow-list", type=Path, default=ALLOW_LIST, help="the justified findings")
    parser.add_argument("--work-dir", type=Path, default=BUILD_DIR / "iamlint", help="where the root is copied")
    parser.add_argument("--plugin-dir", type=Path, help="the AWS provider's filesystem mirror, if any")
    parser.add_argument("--write-plan", type=Path, help="also write the plan it lints here")
    args = parser.parse_args(argv)
    try:
        plan = (
            json.loads(args.plan.read_text())
            if args.plan
            else render_plan(args.env, args.work_dir, plugin_dir=args.plugin_dir)
        )
        if args.write_plan:
            args.write_plan.parent.mkdir(parents=True, exist_ok=True)
            args.write_plan.write_text(json.dumps(plan))
        count, verdict = verdict_of(plan, args.allow_list)
    except (RenderError, AllowListError, OSError, ValueError) as error:
        print(f"iamlint: {error}", file=sys.stderr)
        return 2
    _report(count, verdict)
    if not verdict.passed:
        shown = args.allow_list.relative_to(ROOT) if args.allow_list.is_relative_to(ROOT) else args.allow_list
        print(f"fix the policy, or justify the finding in {shown}", file=sys.stderr)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
