"""Check the real account before a first apply, read-only: one line per check with its fix.

python -m tooling.preflight --env dev [--backend-config terraform/envs/dev/backend.hcl] [--plugin-dir DIR]

Exit status 0 when every check passes (or is not checked, with the reason), 1 when one fails,
2 when the environment's settings cannot be read (the message says what to run or fix).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.preflight.checks import Verdict, run_checks
from tooling.preflight.reads import AwsReads, Reads
from tooling.preflight.settings import EnvSettings, SettingsError, read_settings
from tooling.repository import BUILD_DIR, ROOT

LOCAL = "local"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tooling.preflight", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--env", required=True, help="the environment (terraform/envs/<env>)")
    parser.add_argument(
        "--backend-config",
        type=Path,
        help="the S3 backend's config (default: terraform/envs/<env>/backend.hcl; none for local: its state is a file)",
    )
    parser.add_argument("--plugin-dir", type=Path, help="Terraform provider mirror (as the Makefile's TF_PLUGIN_DIR)")
    parser.add_argument("--terraform", default="terraform", help="terraform binary")
    parser.add_argument("--work-dir", type=Path, help="where the env root is evaluated (default build/preflight/<env>)")
    return parser


def report(settings: EnvSettings, reads: Reads) -> int:
    results = run_checks(settings, reads)
    for result in results:
        print(result.line())
    failed = [r.name for r in results if r.verdict is Verdict.FAIL]
    if failed:
        print(f"preflight {settings.env}: {len(failed)} check(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"preflight {settings.env}: ready for make deploy ENV={settings.env}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    backend = args.backend_config
    if backend is None and args.env != LOCAL:
        backend = ROOT / "terraform" / "envs" / args.env / "backend.hcl"
    work_dir = args.work_dir or BUILD_DIR / "preflight" / args.env
    try:
        settings = read_settings(args.env, ROOT, work_dir, backend, args.plugin_dir, args.terraform)
    except SettingsError as exc:
        print(f"make preflight ({args.env}): {exc}", file=sys.stderr)
        return 2
    return report(settings, AwsReads(settings.region))


if __name__ == "__main__":
    sys.exit(main())
