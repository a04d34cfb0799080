"""Render contracts/openapi.yaml as the JSON copy the Lambda zip ships.

The YAML is the source of truth; the app reads JSON so that PyYAML stays out
of the Lambda. `--check` exits 1 when the committed copy is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "contracts" / "openapi.yaml"
TARGET = ROOT / "chalice_app" / "chalicelib" / "openapi.json"


def render() -> str:
    document = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the JSON copy is stale instead of writing it")
    args = parser.parse_args()
    rendered = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != rendered:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make contract`", file=sys.stderr)
            return 1
        return 0
    if current != rendered:
        TARGET.write_text(rendered, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
