"""The environment roots: four symlinked copies of envs/_shared that agree with the stack module.

terraform/envs/{local,dev,staging,prod} share main.tf, variables.tf, outputs.tf
and versions.tf through symlinks to terraform/envs/_shared/. The shared
variables.tf re-declares the stack module's settings so an environment's
terraform.tfvars can set them, each defaulting to null: "the stack's default".
What keeps that true, checked here from the code (no Terraform run):

- a root variable is passed to the stack argument of its own name;
- its type is the stack variable's type (the same type written another way,
  e.g. object attributes in another order, is the same);
- it defaults to null, and null gives the stack's default: the stack variable
  has `nullable = false` (Terraform then uses its default) or a null default;
  a variable the stack requires is required by the root too, unless the root
  computes the argument (lambda_zip_path = coalesce(var.lambda_zip_path, ...));
- each of its validations lets null through (`var.x == null ? true : ...` or
  `var.x == null || ...`) and is otherwise one of the stack's own conditions:
  a root may repeat a stack check so a plan fails early, never add or change one;
- every stack variable without a default is passed;
- `allowed_account_ids`, the provider's own setting, has no default: each root must name its
  accounts (12-digit ids), and only the local root may set null (the emulator's account,
  whichever it is). The last test proves the validation with `terraform test` on a copy of a
  root with the mocked provider.

The checks read the layout `terraform fmt` writes (see tooling/docs/terraform_readmes.py); the
last tests break copies of the files on purpose and require each break to be
reported, so the checks cannot pass vacuously.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling.docs import terraform_readmes as hcl

ROOT = Path(__file__).resolve().parents[2]
ENVS = ROOT / "terraform" / "envs"
SHARED = ENVS / "_shared"
STACK = ROOT / "terraform" / "modules" / "stack"
ENVIRONMENTS = ("local", "dev", "staging", "prod")
SHARED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


# -- a small reader of the formatted HCL ---------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    name: str
    type: str  # canonical, see canonical_type
    default: str | None  # the expression as written; None: required
    nullable: bool
    conditions: tuple[str, ...]  # of its validation blocks, whitespace normalised


def _normalise(expression: str) -> str:
    text = re.sub(r"\s+", " ", expression).strip()
    return re.sub(r"([(\[{]) | ([)\]}])", lambda m: m.group(1) or m.group(2), text)


def _expression(lines: list[str], start: int, indent: int, name: str) -> str | None:
    """The value of attribute `name` at `indent` spaces, from line `start` on, through its last line."""
    pattern = re.compile(rf"^{' ' * indent}{name}\s*=\s*(.*)$")
    for index in range(start, len(lines)):
        match = pattern.match(lines[index])
        if not match:
            continue
        parts, depth = [match.group(1)], hcl.depth(match.group(1))
        for inner in lines[index + 1 :]:
            if depth <= 0:
                break
            parts.append(inner)
            depth += hcl.depth(inner)
        return "\n".join(parts)
    return None


def _top_level(body: list[str]) -> list[str]:
    """The body's lines outside its nested blocks (validation, ...)."""
    kept, nested = [], False
    for line in body:
        if re.match(r"^  \w+ \{$", line):
            nested = True
        elif nested and line == "  }":
            nested = False
        elif not nested:
            kept.append(line)
    return kept


def _conditions(body: list[str]) -> tuple[str, ...]:
    found = []
    for index, line in enumerate(body):
        if line == "  validation {":
            condition = _expression(body, index + 1, 4, "condition")
            assert condition is not None, f"a validation block without a condition: {body}"
            found.append(_normalise(condition))
    return tuple(found)


def declared_variables(path: Path) -> dict[str, Declared]:
    result = {}
    for name, body in hcl.blocks(path.read_text(), "variable"):
        top = _top_level(body)
        type_text = _expression(top, 0, 2, "type") or "any"
        default = _expression(top, 0, 2, "default")
        nullable = _expression(top, 0, 2, "nullable")
        result[name] = Declared(
            name=name,
            type=canonical_type(type_text),
            default=None if default is None else _normalise(default),
            nullable=nullable is None or nullable.strip() != "false",
            conditions=_conditions(body),
        )
    return result


def module_arguments(path: Path, call: str) -> dict[str, str]:
    """The arguments of `module "<call>"` (source included) as name -> expression."""
    blocks = [body for name, body in hcl.blocks(path.read_text(), "module") if name == call]
    assert len(blocks) == 1, f"{path} must call module {call!r} once"
    body, arguments = blocks[0], {}
    for index, line in enumerate(body):
        match = re.match(r"^  (\w+)\s*=", line)
        if match:
            value = _expression(body, index, 2, match.group(1))
            assert value is not None
            arguments[match.group(1)] = _normalise(value)
    return arguments


_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\w+|\S)')


class _TypeReader:
    """Reads one type constraint: string, number, bool, any, list/set/map(T), optional(T[, default]),
    object({name = T, ...}) and tuple([T, ...])."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = _TOKEN.findall(text)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"type {self.text!r}: {expected or 'more'!r} expected, {token!r} found")
        self.position += 1
        return token

    def _items(self, close: str) -> list[str]:
        """Comma-separated (or one per line) items up to `close`: types, or `name = type` attributes."""
        items = []
        while self.peek() != close:
            if close == "}":
                name = self.take()
                self.take("=")
                items.append(f"{name} = {self.read()}")
            else:
                items.append(self.read())
            if self.peek() == ",":
                self.take(",")
        self.take(close)
        return items

    def _default(self) -> str:
        """An optional attribute's default: everything up to the `)` that closes optional(."""
        depth, parts = 0, []
        while not (depth == 0 and self.peek() == ")"):
            token = self.take()
            depth += 1 if token in "([{" else -1 if token in ")]}" else 0
            parts.append(token)
        return _normalise(" ".join(parts))

    def read(self) -> str:
        name = self.take()
        if name in {"string", "number", "bool", "any"}:
            return name
        self.take("(")
        if name in {"list", "set", "map"}:
            inner = self.read()
        elif name == "optional":
            inner = self.read()
            if self.peek() == ",":
                self.take(",")
                inner += ", " + self._default()
        elif name == "tuple":
            self.take("[")
            inner = "[" + ", ".join(self._items("]")) + "]"
        elif name == "object":
            self.take("{")
            inner = "{" + ", ".join(sorted(self._items("}"))) + "}"
        else:
            raise ValueError(f"type {self.text!r}: unknown type {name!r}")
        self.take(")")
        return f"{name}({inner})"


def canonical_type(text: str) -> str:
    """A type constraint written one way: object attributes sorted, spacing fixed."""
    reader = _TypeReader(text)
    result = reader.read()
    if reader.peek() is not None:
        raise ValueError(f"type {text!r}: unexpected {reader.peek()!r}")
    return result


# -- the checks ------------------------------------------------------------------------------------


def _without_null_guard(condition: str, name: str) -> str | None:
    """The condition after its leading `var.<name> == null ? true :` (or `... == null ||`); None without one."""
    for guard in (f"var.{name} == null ? true : ", f"var.{name} == null || "):
        if condition.startswith(guard):
            rest = condition.removeprefix(guard).strip()
            if rest.startswith("(") and rest.endswith(")") and hcl.depth(rest[1:-1]) == 0:
                rest = rest[1:-1].strip()
            return _normalise(rest)
    return None


def _argument_problems(arguments: dict[str, str], root: dict[str, Declared], stack: dict[str, Declared]) -> list[str]:
    found = []
    for argument, expression in arguments.items():
        if argument == "source":
            continue
        if argument not in stack:
            found.append(f"stack argument {argument}: the stack module has no such variable")
            continue
        for ref in sorted(set(re.findall(r"\bvar\.(\w+)", expression))):
            if ref != argument:
                found.append(f"stack argument {argument} = {expression}: reads var.{ref}; pass a setting by its name")
            elif ref not in root:
                found.append(f"stack argument {argument} = {expression}: the root declares no variable {ref}")
    found += [
        f"{name}: the stack requires it and the root does not pass it"
        for name, theirs in sorted(stack.items())
        if theirs.default is None and name not in arguments
    ]
    return found


def _default_problems(mine: Declared, theirs: Declared) -> list[str]:
    """For a variable passed as is (`name = var.name`): null in the root must mean the stack's default."""
    name = mine.name
    if theirs.default is None:
        if mine.default is not None:
            return [f"{name}: the stack requires it, so the root must too (it defaults to {mine.default})"]
        return []
    found = []
    if mine.default != "null":
        found.append(f"{name}: the root's default must be null (the stack's default), not {mine.default}")
    if theirs.nullable and theirs.default != "null":
        found.append(
            f"{name}: null from the root would reach the stack as null, not as its default "
            f"{theirs.default}: the stack variable needs nullable = false"
        )
    return found


def _validation_problems(mine: Declared, theirs: Declared) -> list[str]:
    # A stack variable whose default is null guards its own conditions the same way.
    stack_conditions = {_without_null_guard(c, theirs.name) or c for c in theirs.conditions}
    found = []
    for condition in mine.conditions:
        unguarded = _without_null_guard(condition, mine.name)
        if unguarded is None:
            found.append(
                f"{mine.name}: the root's validation must let null through "
                f"(var.{mine.name} == null ? true : ...): {condition}"
            )
        elif unguarded not in stack_conditions:
            found.append(f"{mine.name}: the root validates {unguarded}, which is not one of the stack's conditions")
    return found


def problems(root_variables: Path, root_main: Path, stack_variables: Path) -> list[str]:
    """What is wrong between a root's variables, its stack call and the stack's variables (empty: nothing)."""
    root = declared_variables(root_variables)
    stack = declared_variables(stack_variables)
    arguments = module_arguments(root_main, "stack")
    found = _argument_problems(arguments, root, stack)
    for name, expression in sorted(arguments.items()):
        if name not in stack or name not in root or f"var.{name}" not in expression:
            continue
        mine, theirs = root[name], stack[name]
        if mine.type != theirs.type:
            found.append(f"{name}: type {mine.type} in the root, {theirs.type} in the stack")
        if expression == f"var.{name}":
            found += _default_problems(mine, theirs)
        found += _validation_problems(mine, theirs)
    return found


# -- the roots -------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_root_files_are_symlinks_to_shared(env: str) -> None:
    for name in SHARED_FILES:
        path = ENVS / env / name
        assert path.is_symlink(), f"envs/{env}/{name} must be a symlink to ../_shared/{name}"
        assert path.readlink() == Path("..", "_shared", name), f"envs/{env}/{name} -> {path.readlink()}"
        assert path.resolve() == (SHARED / name).resolve()


def test_shared_is_not_a_root() -> None:
    assert not (SHARED / "terraform.tfvars").exists()
    assert not (SHARED / "backend.tf").exists()
    roots = {p.name for p in ENVS.iterdir() if p.is_dir() and (p / "terraform.tfvars").exists()}
    assert roots == set(ENVIRONMENTS)


def test_root_variables_match_the_stack() -> None:
    found = problems(SHARED / "variables.tf", SHARED / "main.tf", STACK / "variables.tf")
    assert not found, "envs/_shared disagrees with modules/stack:\n" + "\n".join(found)


def test_the_check_reads_every_passed_variable() -> None:
    """Not vacuous: most stack settings are passed, each with a type, and some with validations."""
    root = declared_variables(SHARED / "variables.tf")
    arguments = module_arguments(SHARED / "main.tf", "stack")
    passed = [n for n, e in arguments.items() if f"var.{n}" in e]
    assert len(passed) >= 30, passed
    assert all(root[n].type != "any" for n in passed)
    assert root["architecture"].conditions
    assert root["functions"].type.startswith("map(object({memory_size = optional(number)")
    assert declared_variables(STACK / "variables.tf")["functions"].conditions


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("string", "string"),
        ("map(string)", "map(string)"),
        ("list( string )", "list(string)"),
        ('object({ b = number, a = optional(string, "x") })', 'object({a = optional(string, "x"), b = number})'),
        (
            "map(object({\n  b = optional(list(string), [])\n  a = bool\n}))",
            "map(object({a = bool, b = optional(list(string), [])}))",
        ),
        ("tuple([string, number])", "tuple([string, number])"),
    ],
)
def test_canonical_type(text: str, canonical: str) -> None:
    assert canonical_type(text) == canonical


# -- the provider's account guard ----------------------------------------------------------------------

TWELVE_DIGITS = '"^[0-9]{12}$"'


def _tfvars_assignment(env: str, name: str) -> str | None:
    """The expression `name = ...` in envs/<env>/terraform.tfvars (comments ignored), None when not set."""
    lines = [line for line in (ENVS / env / "terraform.tfvars").read_text().splitlines() if not line.startswith("#")]
    found = _expression(lines, 0, 0, name)
    return None if found is None else _normalise(found)


def test_allowed_account_ids_is_required_and_guards_the_provider() -> None:
    declared = declared_variables(SHARED / "variables.tf")["allowed_account_ids"]
    assert declared.default is None, "allowed_account_ids must have no default: every root names its accounts"
    assert declared.type == "list(string)"
    assert declared.nullable, "the local root sets null (any account: the emulator's)"
    assert any(TWELVE_DIGITS in c and 'var.environment == "local"' in c for c in declared.conditions), (
        f"allowed_account_ids must be validated as 12-digit ids, null only for the local root: {declared.conditions}"
    )
    providers = [body for name, body in hcl.blocks((SHARED / "main.tf").read_text(), "provider") if name == "aws"]
    assert len(providers) == 1
    assert _expression(providers[0], 0, 2, "allowed_account_ids") == "var.allowed_account_ids"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_only_the_local_root_lets_any_account_through(env: str) -> None:
    value = _tfvars_assignment(env, "allowed_account_ids")
    if env == "local":
        assert value == "null", "the local root sets allowed_account_ids = null (the emulator's account)"
    else:
        # Unset here: a fork sets its account in terraform.tfvars or TF_VAR_allowed_account_ids.
        assert value is None or re.fullmatch(r'\["[0-9]{12}"(, "[0-9]{12}")*\]', value), value


ROOT_TEST = """
mock_provider "aws" {
  override_during = plan
  source          = "MOCKS"
}

variables {
  lambda_zip_path = "ZIP"
  openapi_path    = "OPENAPI"
}

run "an_account_id_that_is_not_12_digits_is_refused" {
  command = plan
  variables {
    allowed_account_ids = ["12345"]
  }
  expect_failures = [var.allowed_account_ids]
}

run "null_is_refused_outside_the_local_root" {
  command = plan
  variables {
    allowed_account_ids = null
  }
  expect_failures = [var.allowed_account_ids]
}

run "null_is_accepted_in_the_local_root" {
  command = plan
  variables {
    environment         = "local"
    allowed_account_ids = null
  }
  assert {
    condition     = var.allowed_account_ids == null
    error_message = "The local root may leave the account check off."
  }
}

run "an_account_id_is_accepted" {
  command = plan
  variables {
    allowed_account_ids = ["111111111111"]
  }
  assert {
    condition     = var.allowed_account_ids == tolist(["111111111111"])
    error_message = "A 12-digit account id must be accepted."
  }
}
"""


@pytest.mark.slow
def test_the_account_guard_is_enforced_by_terraform(tmp_path: Path) -> None:
    """`terraform test` on a copy of the dev root, provider mocked: the validation does what it says."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (Terraform >= 1.10 is needed).")
    root = tmp_path / "dev"
    (root / "tests").mkdir(parents=True)
    for name in (*SHARED_FILES, "terraform.tfvars"):
        shutil.copyfile(ENVS / "dev" / name, root / name)  # symlinks followed; no backend.tf
    main = root / "main.tf"
    main.write_text(main.read_text().replace('"../../modules/stack"', f'"{os.path.relpath(STACK, root)}"'))
    (root / "tests" / "root.tftest.hcl").write_text(
        ROOT_TEST.replace("MOCKS", str(ROOT / "terraform" / "tests" / "mocks"))
        .replace("ZIP", str(STACK / "tests" / "fixtures" / "deployment.zip"))
        .replace("OPENAPI", str(ROOT / "contracts" / "openapi.yaml"))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_DATA_DIR=str(tmp_path / "tf-data"), TF_IN_AUTOMATION="1", TF_INPUT="0")
    init = ["terraform", f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"]
    mirror = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
    if mirror.is_dir():
        init.append(f"-plugin-dir={mirror}")
    for command in (init, ["terraform", f"-chdir={root}", "test", "-no-color"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{' '.join(command[2:])}:\n{done.stdout[-6000:]}\n{done.stderr}"
    assert "4 passed, 0 failed" in done.stdout, done.stdout[-3000:]


# -- the check fails when it should ------------------------------------------------------------------


def _variable_block(text: str, name: str) -> str:
    match = re.search(rf'^variable "{name}" \{{\n.*?^\}}\n', text, re.MULTILINE | re.DOTALL)
    assert match, f"no variable {name}"
    return match.group(0)


def _replace_in_block(text: str, name: str, old: str, new: str) -> str:
    block = _variable_block(text, name)
    assert old in block, f"{old!r} not in variable {name}"
    return text.replace(block, block.replace(old, new, 1))


BREAKS: dict[str, tuple[str, Callable[[str], str], str]] = {
    # (file, how to break it, what the report must say)
    "a_root_variable_of_another_type": (
        "variables.tf",
        lambda t: _replace_in_block(t, "runtime", "type        = string", "type        = list(string)"),
        "runtime: type list(string) in the root, string in the stack",
    ),
    "an_object_attribute_of_another_type": (
        "variables.tf",
        lambda t: _replace_in_block(
            t, "functions", "timeout              = optional(number)", "timeout = optional(bool)"
        ),
        "functions: type",
    ),
    "a_root_default_that_is_not_null": (
        "variables.tf",
        lambda t: _replace_in_block(t, "log_level", "default     = null", 'default     = "DEBUG"'),
        "log_level: the root's default must be null",
    ),
    "a_root_validation_the_stack_does_not_have": (
        "variables.tf",
        lambda t: _replace_in_block(t, "architecture", '["arm64", "x86_64"]', '["arm64"]'),
        'architecture: the root validates contains(["arm64"], var.architecture)',
    ),
    "a_root_validation_of_a_nullable_setting_the_stack_does_not_have": (
        "variables.tf",
        lambda t: _replace_in_block(t, "role_permissions_boundary", "([0-9]{12}|aws)", "[0-9]{12}"),
        "role_permissions_boundary: the root validates can(regex(",
    ),
    "a_root_validation_that_refuses_null": (
        "variables.tf",
        lambda t: _replace_in_block(t, "architecture", "var.architecture == null ? true : ", ""),
        "architecture: the root's validation must let null through",
    ),
    "a_required_stack_variable_not_passed": (
        "main.tf",
        lambda t: re.sub(r"^  openapi_path .*\n", "", t, flags=re.MULTILINE),
        "openapi_path: the stack requires it and the root does not pass it",
    ),
    "a_setting_passed_under_another_name": (
        "main.tf",
        lambda t: t.replace("log_level                     = var.log_level", "log_level = var.runtime"),
        "stack argument log_level = var.runtime: reads var.runtime;",
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_the_check_reports(case: str, tmp_path: Path) -> None:
    file, breaks, expected = BREAKS[case]
    for name in ("variables.tf", "main.tf"):
        shutil.copyfile(SHARED / name, tmp_path / name)
    broken = breaks((tmp_path / file).read_text())
    assert broken != (tmp_path / file).read_text(), "the break changed nothing"
    (tmp_path / file).write_text(broken)
    found = problems(tmp_path / "variables.tf", tmp_path / "main.tf", STACK / "variables.tf")
    assert any(expected in p for p in found), f"{expected!r} not reported; got {found}"


def test_a_stack_variable_that_null_would_override_is_reported(tmp_path: Path) -> None:
    """null reaches a nullable stack variable as null: its default would not apply."""
    text = (STACK / "variables.tf").read_text()
    (tmp_path / "variables.tf").write_text(_replace_in_block(text, "log_level", "  nullable    = false\n", ""))
    found = problems(SHARED / "variables.tf", SHARED / "main.tf", tmp_path / "variables.tf")
    assert any(p.startswith("log_level: null from the root would reach the stack as null") for p in found), found
