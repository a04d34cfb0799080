"""The `moved` blocks of a Terraform module, read from its .tf files.

Reads the layout `terraform fmt` writes (`from = ...` and `to = ...` on their
own lines in a top-level `moved` block); not a general HCL parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_MOVED = re.compile(r"^moved \{\n(?P<body>(?:  .*\n|\n)*?)\}$", re.MULTILINE)
_ADDRESS = re.compile(r'^(?P<type>\w+)\.(?P<name>\w+)(?:\["(?P<key>[^"]+)"\])?$')


@dataclass(frozen=True)
class Address:
    """A resource (key None) or one of its instances, relative to the module."""

    type: str
    name: str
    key: str | None

    @classmethod
    def parse(cls, text: str) -> Address:
        match = _ADDRESS.match(text.strip())
        if not match:
            raise ValueError(f"not a resource address this parser reads: {text!r}")
        return cls(match["type"], match["name"], match["key"])

    def __str__(self) -> str:
        key = "" if self.key is None else f'["{self.key}"]'
        return f"{self.type}.{self.name}{key}"

    def under(self, module_call: str) -> str:
        """The address as seen from the module that calls this one (`module.<call>.<address>`)."""
        return f"module.{module_call}.{self}"


@dataclass(frozen=True)
class Move:
    source: Address
    target: Address


def moves(module: Path) -> list[Move]:
    """Every `moved` block of the module's .tf files, in file order."""
    result = []
    for path in sorted(module.glob("*.tf")):
        for block in _MOVED.finditer(path.read_text()):
            attributes = {
                name.strip(): value.strip()
                for name, _, value in (line.partition("=") for line in block["body"].splitlines() if "=" in line)
            }
            result.append(Move(Address.parse(attributes["from"]), Address.parse(attributes["to"])))
    return result
