"""One hot reload: the changed sources checked, the code zip rebuilt in memory, every function updated.

**Why not ``make build``.** The build runs ``chalice package`` and installs the dependencies:
seconds, for code that did not change. A save changes only the app's own files (``app.py``,
``chalicelib/``, ``vendor/``) or the contract (rendered into ``chalicelib/openapi.json``), so the
new zip is the last built one with those members replaced, written by the build's own
deterministic writer (``reproducible_zip.write_members``, same timestamp and modes).

**Then.** UpdateFunctionCode with the new zip, for every function of the deployment at once.
The local cloud keys its warm workers by the code's digest, so the next invocation of each
function starts a new worker and runs the module's init again, as after a deploy on AWS.

**A syntax error** in a changed file is reported with its location and nothing is pushed: the
previous code keeps running. (An error at import time is the function's own init error, seen on
its next invocation, as on AWS.)

A later ``make deploy`` converges: it builds the zip from the same sources and Terraform, seeing
a code hash other than the one it recorded, uploads it to every function.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.build.reproducible_zip import EXEC_MODE, FILE_MODE, is_excluded, write_members
from tooling.repository import ROOT

# The members of the zip that come from the app's own tree (the rest are its dependencies).
APP_MEMBERS = ("app.py", "chalicelib/", "vendor/")
SYNC_CONTRACT = ROOT / "scripts" / "sync_contract.py"
# The build compresses hard (uploaded rarely, cold-started often); a reload's zip never leaves
# this machine, and the fastest level writes it in a fraction of the time.
RELOAD_COMPRESS_LEVEL = 1

Snapshot = dict[Path, tuple[int, int]]


@dataclass(frozen=True)
class Reload:
    changed: list[str]
    functions: list[str] = field(default_factory=list)
    code_sha256: str = ""
    seconds: float = 0.0
    error: str | None = None

    def line(self) -> str:
        what = ", ".join(self.changed[:3]) + (f" and {len(self.changed) - 3} more" if len(self.changed) > 3 else "")
        if self.error:
            return f"reload refused ({what}): {self.error}; the previous code is still running"
        return (
            f"reloaded {len(self.functions)} functions ({', '.join(self.functions)}) in {self.seconds:.2f} s: "
            f"code {self.code_sha256[:12]} ({what})"
        )


def snapshot(roots: Iterable[Path]) -> Snapshot:
    """(mtime, size) of every source file under ``roots``: what a save changes."""
    found: Snapshot = {}
    for root in roots:
        for path in root.rglob("*"):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and not is_excluded(relative) and "/.chalice/" not in f"/{relative}":
                stat = path.stat()
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed_files(before: Snapshot, after: Snapshot) -> list[Path]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def syntax_errors(files: Iterable[Path]) -> list[str]:
    """``path:line:column: message`` for each Python file that does not compile."""
    errors = []
    for path in files:
        if path.suffix != ".py" or not path.is_file():
            continue
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            errors.append(f"{path}:{error.lineno}:{error.offset}: {error.msg}")
    return errors


def _app_members(app_dir: Path) -> dict[str, tuple[bytes, int]]:
    members: dict[str, tuple[bytes, int]] = {}
    candidates = [app_dir / "app.py", *(p for sub in ("chalicelib", "vendor") for p in (app_dir / sub).rglob("*"))]
    for path in candidates:
        name = path.relative_to(app_dir).as_posix()
        if path.is_file() and not is_excluded(name):
            mode = EXEC_MODE if path.stat().st_mode & 0o111 else FILE_MODE
            members[name] = (path.read_bytes(), mode)
    return members


def app_zip(app_dir: Path, base_zip: Path) -> bytes:
    """The last built zip with the app's own members replaced by the files as they are now."""
    members: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(base_zip) as base:
        infos = base.infolist()
        date_time = infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0)
        for info in infos:
            if not info.filename.startswith(APP_MEMBERS):
                members[info.filename] = (base.read(info), (info.external_attr >> 16) & 0o777 or FILE_MODE)
    members.update(_app_members(app_dir))
    return write_members(members, date_time, RELOAD_COMPRESS_LEVEL)


def push(lambda_client: Any, functions: Mapping[str, str], code: bytes) -> list[str]:
    """UpdateFunctionCode on every function at once; returns their short names."""

    def update(name: str) -> None:
        lambda_client.update_function_code(FunctionName=name, ZipFile=code)

    with ThreadPoolExecutor(max_workers=max(1, len(functions))) as pool:
        list(pool.map(update, functions.values()))
    return sorted(functions)


class Reloader:
    def __init__(
        self, app_dir: Path, contracts_dir: Path, base_zip: Path, lambda_client: Any, functions: Mapping[str, str]
    ) -> None:
        self.app_dir = app_dir
        self.contracts_dir = contracts_dir
        self.base_zip = base_zip
        self.lambda_client = lambda_client
        self.functions = dict(functions)

    def roots(self) -> list[Path]:
        return [self.app_dir, self.contracts_dir]

    def reload(self, changed: list[Path], started: float | None = None) -> Reload:
        started = time.monotonic() if started is None else started
        names = [self._name(path) for path in changed]
        errors = syntax_errors(changed)
        if errors:
            return Reload(names, error="; ".join(errors))
        if any(path.is_relative_to(self.contracts_dir) for path in changed):
            synced = subprocess.run(
                [sys.executable, str(SYNC_CONTRACT)], capture_output=True, text=True, check=False, timeout=60
            )
            if synced.returncode != 0:
                return Reload(names, error=f"the contract does not render: {synced.stderr.strip()[-400:]}")
        code = app_zip(self.app_dir, self.base_zip)
        functions = push(self.lambda_client, self.functions, code)
        return Reload(names, functions, hashlib.sha256(code).hexdigest(), time.monotonic() - started)

    def _name(self, path: Path) -> str:
        for root in self.roots():
            if path.is_relative_to(root):
                return f"{root.name}/{path.relative_to(root).as_posix()}"
        return str(path)
