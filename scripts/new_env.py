"""make new-env NAME=qa [FROM=staging]: a new environment root, made from an existing one.

A root is thin (see terraform/envs/README or the main README's "Environments"): its ``.tf``
files are symlinks to ``terraform/envs/_shared``, and only ``terraform.tfvars``,
``backend.tf`` and ``backend.hcl.example`` are its own. The new root gets the same symlinks,
the source's tfvars with ``environment`` renamed, and the backend example with the state key
moved to the new name (two environments must never share a state file). Nothing else of the
source is copied: not its ``backend.hcl`` (a real bucket name, never committed), not its
``.terraform`` data.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ENVS = Path(__file__).resolve().parent.parent / "terraform" / "envs"
# The stack's own rule for `environment` (terraform/modules/stack/variables.tf).
NAME = re.compile(r"^[a-z][a-z0-9]{1,9}$")
OWN_FILES = ("terraform.tfvars", "backend.tf", "backend.hcl.example")


class NewEnvError(Exception):
    """The environment cannot be created as asked; the message says what to do instead."""


def environments(envs: Path) -> list[str]:
    return sorted(p.name for p in envs.iterdir() if p.is_dir() and (p / "terraform.tfvars").is_file())


def create(envs: Path, name: str, source: str) -> Path:
    known = environments(envs)
    if not NAME.match(name):
        raise NewEnvError(f"NAME={name!r}: 2 to 10 lower-case letters or digits, starting with a letter")
    if name in known or (envs / name).exists():
        raise NewEnvError(f"terraform/envs/{name} exists already")
    if source not in known:
        raise NewEnvError(f"FROM={source!r} is not an environment: one of {', '.join(known)}")
    if source == "local":
        raise NewEnvError("FROM=local: the local root keeps its state on disk; start from dev, staging or prod")
    origin, target = envs / source, envs / name
    target.mkdir()
    for path in sorted(origin.iterdir()):
        if path.is_symlink():
            (target / path.name).symlink_to(path.readlink())
    tfvars = (origin / "terraform.tfvars").read_text(encoding="utf-8")
    tfvars, renamed = re.subn(r'(?m)^(environment\s*=\s*)"[^"]*"', rf'\g<1>"{name}"', tfvars)
    if renamed != 1:
        raise NewEnvError(f"terraform/envs/{source}/terraform.tfvars sets no single `environment = ...`")
    (target / "terraform.tfvars").write_text(tfvars, encoding="utf-8")
    (target / "backend.tf").write_text((origin / "backend.tf").read_text(encoding="utf-8"), encoding="utf-8")
    example = (origin / "backend.hcl.example").read_text(encoding="utf-8")
    (target / "backend.hcl.example").write_text(example.replace(f"/{source}/", f"/{name}/"), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--name", required=True)
    parser.add_argument("--from", dest="source", default="staging")
    parser.add_argument("--envs", type=Path, default=ENVS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        target = create(args.envs, args.name, args.source)
    except NewEnvError as error:
        print(f"new-env: {error}", file=sys.stderr)
        return 2
    where = target.relative_to(args.envs.parent.parent)
    print(f"created {where} from {args.source}: review {where}/terraform.tfvars (allowed_account_ids, sizes)")
    print(f"then: cp {where}/backend.hcl.example {where}/backend.hcl  (name your state bucket)")
    print(f"      make deploy ENV={args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
