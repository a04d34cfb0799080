"""The tooling package's layout, checked from its source: one entry point per subpackage, module
docstrings, build modules of a readable size, and no search-path workarounds.

Read with ``ast`` (no import), except the entry points, each run as ``python -m tooling.<name> --help``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tooling import repository

PACKAGE_DIR = Path(repository.__file__).resolve().parent
SUBPACKAGES = {"bench", "build", "chaos", "contract", "cost", "docs", "iamlint", "ops", "preflight", "stress", "watch"}
# Where a directory may go on sys.path: the one helper that lets a tool run the service's code in
# its process, and the bench's child process that runs the unpacked zip as Lambda does. (The build's
# handler check and the bench's import timing do the same in child processes given as source text.)
SYS_PATH_ALLOWED = {"tooling.repository", "tooling.bench.handler_child"}
# Python's search-path variables (PYTHON...PATH): nothing here sets or names one.
SEARCH_PATH_VARIABLE = re.compile(r"PYTHON\w*PATH")
BUILD_MODULE_MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def test_each_subpackage_has_an_entry_point_and_nothing_else_is_a_directory() -> None:
    rooms = {path.name for path in PACKAGE_DIR.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert rooms == SUBPACKAGES
    for name in SUBPACKAGES:
        assert (PACKAGE_DIR / name / "__init__.py").is_file(), name
        assert (PACKAGE_DIR / name / "__main__.py").is_file(), name


def test_every_module_says_what_it_is() -> None:
    undocumented = [name for name, path in MODULES.items() if not ast.get_docstring(ast.parse(path.read_text()))]
    assert undocumented == []


def test_the_build_is_split_into_readable_modules() -> None:
    sizes = {
        name: len(path.read_text().splitlines()) for name, path in MODULES.items() if name.startswith("tooling.build")
    }
    assert len(sizes) >= 5
    assert {name: lines for name, lines in sizes.items() if lines > BUILD_MODULE_MAX_LINES} == {}


def test_no_search_path_workarounds() -> None:
    """The package is installed: nothing puts a directory on sys.path to find its own modules or
    names a search-path variable; the exceptions run the service's code as Lambda does."""
    offenders = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            sys_path = (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            )
            variable = isinstance(node, ast.Constant) and bool(SEARCH_PATH_VARIABLE.search(str(node.value)))
            if variable or (sys_path and module not in SYS_PATH_ALLOWED):
                offenders.append(f"{module}:{getattr(node, 'lineno', 0)}")
    assert offenders == []


@pytest.mark.parametrize("name", sorted(SUBPACKAGES))
def test_every_entry_point_answers_help(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"tooling.{name}", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"python -m tooling.{name}" in result.stdout
