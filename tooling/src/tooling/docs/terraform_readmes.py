"""Inputs and outputs tables of the Terraform modules' READMEs, generated from the code.

Each terraform/modules/<name>/README.md holds the tables between the markers
<!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->. They are rendered from the
module's variables.tf and outputs.tf (description, type, default), so they
cannot drift: tests/terraform/test_module_docs.py fails when they are stale.

    python -m tooling.docs          # check
    python -m tooling.docs --write  # regenerate (make docs)

The parser reads the layout `terraform fmt` produces for this repository's
modules (top-level `variable` and `output` blocks, one attribute per line);
it is not a general HCL parser.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from tooling.repository import TERRAFORM_MODULES

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # None: required


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool


def blocks(text: str, kind: str) -> list[tuple[str, list[str]]]:
    """Top-level `<kind> "name" {` blocks as (name, body lines)."""
    blocks: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = re.match(rf'^{kind} "([^"]+)" \{{$', lines[index])
        if not match:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end] != "}":
            end += 1
        blocks.append((match.group(1), lines[index + 1 : end]))
        index = end + 1
    return blocks


def depth(text: str) -> int:
    """Net bracket depth of an expression fragment, ignoring brackets in strings."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
    return depth


def _attribute(body: list[str], name: str) -> str | None:
    """The value of a top-level (two-space indented) attribute, joined onto one line."""
    for index, line in enumerate(body):
        match = re.match(rf"^  {name}\s*=\s*(.*)$", line)
        if not match:
            continue
        value = match.group(1)
        heredoc = re.match(r"^<<-?(\w+)$", value)
        if heredoc:
            text: list[str] = []
            for inner in body[index + 1 :]:
                if inner.strip() == heredoc.group(1):
                    break
                text.append(inner.strip())
            return json.dumps(" ".join(text))
        joined, open_brackets = value, depth(value)
        for inner in body[index + 1 :]:
            if open_brackets <= 0:
                break
            part = inner.strip()
            # One attribute per line inside an object: show them comma-separated.
            opening = joined.endswith(("(", "{", "[", ","))
            closing = part.startswith((")", "}", "]"))
            joined += " " + part if opening or closing else ", " + part
            open_brackets += depth(inner)
        return re.sub(r"\s+", " ", joined).replace("( ", "(").replace(" )", ")")
    return None


def _string(value: str | None) -> str:
    if value is None:
        return ""
    try:
        return str(json.loads(value))
    except ValueError:
        return value


def variables(module: Path) -> list[Variable]:
    text = (module / "variables.tf").read_text()
    result = []
    for name, body in blocks(text, "variable"):
        result.append(
            Variable(
                name=name,
                description=_string(_attribute(body, "description")),
                type=_attribute(body, "type") or "any",
                default=_attribute(body, "default"),
            )
        )
    return result


def outputs(module: Path) -> list[Output]:
    text = (module / "outputs.tf").read_text()
    return [
        Output(
            name=name,
            description=_string(_attribute(body, "description")),
            sensitive=_attribute(body, "sensitive") == "true",
        )
        for name, body in blocks(text, "output")
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def render(module: Path) -> str:
    lines = [BEGIN, "## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for var in sorted(variables(module), key=lambda v: (v.default is not None, v.name)):
        default = "n/a" if var.default is None else _code(var.default)
        required = "yes" if var.default is None else "no"
        lines.append(f"| {var.name} | {_cell(var.description)} | {_code(var.type)} | {default} | {required} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for out in sorted(outputs(module), key=lambda o: o.name):
        note = " (sensitive)" if out.sensitive else ""
        lines.append(f"| {out.name} | {_cell(out.description)}{note} |")
    lines.append(END)
    return "\n".join(lines)


def updated_readme(module: Path) -> tuple[str, str]:
    """(current README text, README text with fresh tables)."""
    readme = module / "README.md"
    current = readme.read_text() if readme.exists() else f"# {module.name}\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current or END not in current:
        current = current.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return current, head + render(module) + tail


def modules(root: Path = TERRAFORM_MODULES) -> list[Path]:
    """Every module under ``root`` (a directory with a variables.tf), by name."""
    return sorted(p for p in root.iterdir() if (p / "variables.tf").is_file())


def refresh(root: Path = TERRAFORM_MODULES, write: bool = False) -> list[str]:
    """The modules whose README tables are stale; with ``write``, their READMEs are rewritten."""
    stale = []
    for module in modules(root):
        current, fresh = updated_readme(module)
        if current != fresh:
            stale.append(module.name)
            if write:
                (module / "README.md").write_text(fresh)
    return stale
