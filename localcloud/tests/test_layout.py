"""The package's layout, checked from its source: rooms per AWS service, one import style,
no cycle between rooms, moto's internals in one room, nothing of any service it runs.

Read with ``ast`` (no import) except the environment check, which imports every module
in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from localcloud import settings

PACKAGE_DIR = Path(settings.__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent  # localcloud/: src/, tests/, README.md, pyproject.toml
ROOMS = {"apigateway", "awslambda", "aws_rules", "cognitoidp", "event_sources", "events", "moto_patches", "chaos"}
# The rooms that change moto's classes, and so the only ones that import its internals.
MOTO_ROOMS = {"moto_patches", "aws_rules"}
ROOT_MODULES = {
    "__init__",
    "__main__",
    "daemon",
    "server",
    "http_server",
    "http_servers",
    "retried_calls",
    "lossy_proxy",
    "control",
    "guard",
    "settings",
    "testing",
    "bench",
    "unemulated",
    "snapshots",
}
# moto's public entry points; everything else of moto is internal (moto.<service>.*, moto.core.*).
MOTO_PUBLIC = ("moto.server", "moto.moto_server")
# Python's search-path variables (PYTHON...PATH).
SEARCH_PATH_VARIABLE = re.compile(r"PYTHON\w*PATH")


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[int, int, str]]:
    """(line, relative level, imported module) for every import in a file, nested ones too.

    ``from package import name`` counts as importing ``package.name`` when that is a module.
    """
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                yield node.lineno, node.level, candidate if candidate in MODULES else module


def _room(module: str) -> str:
    """A module's room: its subpackage, or itself for a module at the package's root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "localcloud"


def _room_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        source = _room(module)
        graph.setdefault(source, set())
        for _line, _level, target in _imports(path):
            if target.split(".")[0] == "localcloud" and _room(target) != source:
                graph[source].add(_room(target))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for successor in sorted(graph.get(node, ())):
            found = visit(successor)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node)
        if found:
            return found
    return None


def test_the_root_holds_the_command_line_server_and_helpers_and_the_rest_is_in_rooms() -> None:
    top = {path.stem for path in PACKAGE_DIR.glob("*.py")}
    assert top == ROOT_MODULES
    rooms = {path.name for path in PACKAGE_DIR.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert rooms == ROOMS
    for room in ROOMS:
        assert (PACKAGE_DIR / room / "__init__.py").is_file(), room


def test_rooms_import_each_other_without_a_cycle() -> None:
    graph = _room_graph()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
    # The layering this gives, bottom up (a room imports only rooms below it).
    assert graph["moto_patches"] == set()
    assert graph["aws_rules"] <= {"moto_patches"}
    assert graph["chaos"] <= {"moto_patches", "settings"}
    assert graph["awslambda"] <= {"moto_patches", "chaos"}


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_rooms_that_patch_moto_import_its_internals() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE_DIR)}:{line} imports {target}"
        for module, path in MODULES.items()
        if _room(module) not in MOTO_ROOMS
        for line, _level, target in _imports(path)
        if target.startswith("moto.") and not target.startswith(MOTO_PUBLIC)
    ]
    assert offenders == []


def test_one_import_style_absolute_from_imports() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{line}"
        for path in [*MODULES.values(), *(PROJECT_DIR / "tests").glob("*.py")]
        for node in ast.walk(ast.parse(path.read_text()))
        for line in [getattr(node, "lineno", 0)]
        if (isinstance(node, ast.ImportFrom) and node.level > 0)
        or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "localcloud" for a in node.names))
    ]
    assert offenders == []


def test_no_search_path_workarounds() -> None:
    """The package is installed: nothing puts a directory on sys.path, or names a search-path
    variable (PYTHON...PATH), for it.
    Only the Lambda worker puts the function's own code first, as the Lambda runtime does."""
    offenders = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            sys_path = (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            )
            pythonpath = isinstance(node, ast.Constant) and bool(SEARCH_PATH_VARIABLE.search(str(node.value)))
            if pythonpath or (sys_path and module != "localcloud.awslambda.worker"):
                offenders.append(f"{module}:{getattr(node, 'lineno', 0)}")
    assert offenders == []


def test_settings_are_read_in_settings_only() -> None:
    offenders = [
        f"{module}: {name}"
        for module, path in MODULES.items()
        if module != "localcloud.settings"
        for name in re.findall(r"[\"'](LOCALCLOUD_\w+)", path.read_text())
    ]
    assert offenders == []


# What a project that uses the local cloud may call its things; none of it belongs here.
_SERVICE_NAMES = [
    re.compile(r"events-"),
    re.compile(r"EVENTS_TABLE"),
    re.compile(r"chalicelib|chalice_app|chalice", re.IGNORECASE),
    re.compile(r"\b(publisher|sequencer|analytics|notifier|reconciler)\b", re.IGNORECASE),
    # Common words elsewhere: only as a function's name.
    re.compile(r"(function:|FunctionName=[\"']|[\"'])(api|processor)\b[\"'-]?"),
]


def test_nothing_names_the_service_it_runs() -> None:
    files = [
        path
        for path in PROJECT_DIR.rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".md", ".toml", ".txt", ".json", ".yaml", ".yml"}
        and path.name != Path(__file__).name
        and not {"__pycache__", "build"} & set(path.parts)
        and ".egg-info" not in str(path)
    ]
    assert len(files) > 40
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if any(pattern.search(line) for pattern in _SERVICE_NAMES)
    ]
    assert offenders == []


_IMPORT_EVERYTHING = """
import importlib, json, os, sys
before = dict(os.environ)
for name in sys.argv[1:]:
    importlib.import_module(name)
after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps(changed))
"""


def test_importing_every_module_changes_no_environment_variable() -> None:
    """In a fresh interpreter: in this one, the modules are imported already."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING, *sorted(MODULES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []
