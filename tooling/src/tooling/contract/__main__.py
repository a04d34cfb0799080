"""Run the contract tests (Schemathesis) against both gateways of a deployed environment.

    python -m tooling.contract --outputs build/local/outputs.json --reports build/reports/contract-local

Settings (generation mode, examples per operation, per-operation rules) live in
schemathesis.toml; this command supplies what differs per run: the base URL and
API key from outputs.json, the seed, and one report directory per gateway.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tooling.repository import CONTRACT, SCHEMATHESIS_CONFIG

# Fixed by default so a failure reproduces; pass --seed (make contract-test SEED=...) to explore.
DEFAULT_SEED = 20261127
GATEWAYS = ("edge", "regional")


def run_gateway(gateway: str, base_url: str, api_key: str, seed: int, reports: Path) -> int:
    report_dir = reports / gateway
    report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(SCHEMATHESIS_CONFIG),
        "run",
        str(CONTRACT),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(seed),
        "--report",
        "junit,har",
        "--report-dir",
        str(report_dir),
    ]
    env = {**os.environ, "CONTRACT_BASE_URL": base_url, "CONTRACT_API_KEY": api_key}
    print(f"==> contract tests: {gateway} gateway at {base_url} (seed {seed})", flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.contract", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outputs", type=Path, required=True, help="build/<env>/outputs.json of the deployed stack")
    parser.add_argument("--reports", type=Path, required=True, help="directory for JUnit and HAR reports")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--gateway", choices=GATEWAYS, action="append", help="only this gateway (repeatable)")
    args = parser.parse_args(argv)

    if not args.outputs.exists():
        print(f"{args.outputs} does not exist: run `make deploy` for this environment first", file=sys.stderr)
        return 2
    outputs = json.loads(args.outputs.read_text(encoding="utf-8"))
    failed = [
        gateway
        for gateway in args.gateway or GATEWAYS
        if run_gateway(gateway, outputs[f"{gateway}_api_url"], str(outputs["api_key"]), args.seed, args.reports)
    ]
    if failed:
        print(f"contract tests failed on: {', '.join(failed)}; reports in {args.reports}", file=sys.stderr)
        return 1
    print(f"contract tests passed on both gateways; reports in {args.reports}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
