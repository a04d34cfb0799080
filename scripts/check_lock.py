"""Check that a lock written by `make lock` still holds every pin of the requirements it was made from.

    python scripts/check_lock.py requirements/dev.txt requirements/dev.lock

The virtualenvs and the Lambda zip install from the locks alone, with `--no-deps`: a pin added to
an input (say requirements/dev.txt, merged from another branch) but not yet locked would then be
left out without a word, or installed at the old version. So `make venv`, the checkov virtualenv and
`make build` run this first. It reads the inputs as pip does (`-r` relative to the including file;
options and editable paths carry no pin) and asks every requirement to be an exact `==` pin. The
lock may hold a name more than once (a universal lock forks a version by platform): any of its
versions matches. Standard library only: it runs before any virtualenv exists.

Exit 0 when the lock is current; 1, naming each stale pin and how to fix it, when not.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# `name[extras] == version ; marker`: the only requirement form the inputs may use.
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*(?P<version>[^\s;\\]+)")
INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=)(?P<path>\S+)$")


class LockError(Exception):
    """An input that cannot be checked (not an exact pin, a missing file); the message says which."""


def canonical(name: str) -> str:
    """The name as the package index compares names (PEP 503): case, '-', '_' and '.' do not count."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(path: Path) -> list[str]:
    """Requirement lines without comments or continuations (pip joins a trailing backslash)."""
    if not path.is_file():
        raise LockError(f"{path} not found")
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def input_pins(path: Path) -> dict[str, str]:
    """Every `name==version` an input asks for, following its `-r` includes."""
    pins: dict[str, str] = {}
    for line in _lines(path):
        include = INCLUDE.match(line)
        if include:
            pins.update(input_pins(path.parent / include.group("path")))
            continue
        if line.startswith("-"):
            continue  # -e ./package, -c, --index-url ...: no version to lock
        match = PIN.match(line)
        if not match:
            raise LockError(f"{path}: {line!r} is not an exact pin (name==version)")
        pins[canonical(match.group("name"))] = match.group("version")
    return pins


def locked_versions(path: Path) -> dict[str, set[str]]:
    """The versions the lock holds for each name."""
    locked: dict[str, set[str]] = {}
    for line in _lines(path):
        match = PIN.match(line)
        if match:
            locked.setdefault(canonical(match.group("name")), set()).add(match.group("version"))
    return locked


def stale_pins(requirements: Path, lock: Path) -> list[str]:
    """What the lock lacks, one line each; empty when the lock is current."""
    locked = locked_versions(lock)
    problems = []
    for name, version in sorted(input_pins(requirements).items()):
        have = locked.get(name)
        if not have:
            problems.append(f"{name}=={version} is not in it")
        elif version not in have:
            problems.append(f"{name}=={version} is locked at {', '.join(sorted(have))}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requirements", type=Path, help="the input, e.g. requirements/dev.txt")
    parser.add_argument("lock", type=Path, help="its lock, e.g. requirements/dev.lock")
    args = parser.parse_args(argv)
    try:
        problems = stale_pins(args.requirements, args.lock)
    except LockError as exc:
        print(f"check_lock: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"{args.lock} is stale against {args.requirements}: run `make lock`", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
