"""Hot reload: a save reaches every function as new code with its init run again; a syntax error
is refused with its location and leaves the running code alone; dependencies are kept as built."""

from __future__ import annotations

import io
import json
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from localcloud.testing import Cloud, wait_for, wait_until_active
from tooling.repository import APP_DIR
from tooling.watch.__main__ import watch
from tooling.watch.reload import Reloader, app_zip, changed_files, snapshot

MARKER_APP = """
import os
INIT_PID = os.getpid()
MARKER = "{marker}"


def marker(event, context):
    return {{"marker": MARKER, "init_pid": INIT_PID}}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the service's app with a small handler added to app.py, and a contract directory."""
    app_dir = tmp_path / "chalice_app"
    shutil.copytree(APP_DIR, app_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (tmp_path / "contracts").mkdir()
    _set_marker(app_dir, "one")
    return app_dir


def _set_marker(app_dir: Path, marker: str) -> None:
    base = (APP_DIR / "app.py").read_text(encoding="utf-8")
    (app_dir / "app.py").write_text(base + MARKER_APP.format(marker=marker), encoding="utf-8")


def _base_zip(tmp_path: Path, app_dir: Path) -> Path:
    """A built zip as the build leaves it: a dependency beside (an older copy of) the app."""
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w") as built:
        built.writestr("vendored_dep/__init__.py", "VERSION = 1\n")
        built.writestr("app.py", "stale = True\n")
        built.writestr("chalicelib/removed_since.py", "gone = True\n")
    return path


def _deploy(cloud: Cloud, reloader: Reloader, names: list[str]) -> None:
    code = app_zip(reloader.app_dir, reloader.base_zip)
    for name in names:
        cloud.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=cloud.role(),
            Handler="app.marker",
            Code={"ZipFile": code},
            Timeout=30,
        )
        wait_until_active(cloud.client("lambda"), name)


def _answer(cloud: Cloud, name: str) -> dict[str, object]:
    reply = cloud.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    answer: dict[str, object] = json.loads(reply["Payload"].read())
    return answer


def _reloader(cloud: Cloud, app: Path, tmp_path: Path, names: list[str]) -> Reloader:
    functions = {name.removeprefix("stack-"): name for name in names}
    return Reloader(app, tmp_path / "contracts", _base_zip(tmp_path, app), cloud.client("lambda"), functions)


def test_a_save_reaches_every_function_with_its_init_run_again(cloud: Cloud, app: Path, tmp_path: Path) -> None:
    names = ["stack-api", "stack-processor"]
    reloader = _reloader(cloud, app, tmp_path, names)
    _deploy(cloud, reloader, names)
    before = {name: _answer(cloud, name) for name in names}
    assert {answer["marker"] for answer in before.values()} == {"one"}

    _set_marker(app, "two")
    result = reloader.reload([app / "app.py"])

    assert result.error is None
    assert result.functions == ["api", "processor"]
    for name in names:
        after = _answer(cloud, name)
        assert after["marker"] == "two"
        assert after["init_pid"] != before[name]["init_pid"]  # a new worker ran the module's init
    assert "reloaded 2 functions" in result.line()
    assert "chalice_app/app.py" in result.line()


def test_a_syntax_error_is_refused_with_its_location_and_the_old_code_keeps_running(
    cloud: Cloud, app: Path, tmp_path: Path
) -> None:
    reloader = _reloader(cloud, app, tmp_path, ["stack-api"])
    _deploy(cloud, reloader, ["stack-api"])
    broken = app / "chalicelib" / "timefmt.py"
    broken.write_text(broken.read_text(encoding="utf-8") + "\ndef oops(:\n", encoding="utf-8")

    result = reloader.reload([broken])

    assert result.error is not None
    assert f"{broken}:" in result.error
    assert "previous code is still running" in result.line()
    assert _answer(cloud, "stack-api")["marker"] == "one"


def test_the_new_zip_keeps_the_dependencies_and_holds_the_app_as_it_is_now(app: Path, tmp_path: Path) -> None:
    code = app_zip(app, _base_zip(tmp_path, app))

    with zipfile.ZipFile(io.BytesIO(code)) as rebuilt:
        names = set(rebuilt.namelist())
        assert rebuilt.read("vendored_dep/__init__.py") == b"VERSION = 1\n"
        assert b'MARKER = "one"' in rebuilt.read("app.py")
        assert "chalicelib/removed_since.py" not in names
        assert "chalicelib/repository.py" in names
        assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert code == app_zip(app, _base_zip(tmp_path, app))  # deterministic


def test_the_watch_loop_reloads_once_per_save(cloud: Cloud, app: Path, tmp_path: Path) -> None:
    reloader = _reloader(cloud, app, tmp_path, ["stack-api"])
    _deploy(cloud, reloader, ["stack-api"])
    lines: list[str] = []
    loop = threading.Thread(target=watch, args=(reloader, 0.1, lines.append, 30, snapshot(reloader.roots())))
    loop.start()
    _set_marker(app, "three")
    loop.join(timeout=60)

    assert len(lines) == 1, lines
    assert lines[0].startswith("reloaded 1 functions")
    assert wait_for(lambda: _answer(cloud, "stack-api")["marker"] == "three")


def test_a_change_is_seen_and_a_deletion_too(app: Path) -> None:
    before = snapshot([app])
    (app / "chalicelib" / "new_module.py").write_text("x = 1\n", encoding="utf-8")
    (app / "chalicelib" / "timefmt.py").unlink()

    changed = changed_files(before, snapshot([app]))

    assert [path.name for path in changed] == ["new_module.py", "timefmt.py"]
