"""tooling.build: reproducible zip, handler discovery, atomic outputs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling.build import BuildError
from tooling.build.lambda_zip import BuildResult, build
from tooling.build.reproducible_zip import architecture_ties, repack, write_if_changed, zip_date_time

DateTime = tuple[int, int, int, int, int, int]
FIXED: DateTime = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Built:
    first: BuildResult
    second: BuildResult
    first_dir: Path
    second_dir: Path
    wheel_cache: Path


def _polluted_copy(fixture_app: Path, dest: Path) -> Path:
    """The fixture app plus the debris a developer's tree really has."""
    shutil.copytree(fixture_app, dest)
    cache = dest / "chalicelib" / "__pycache__"
    cache.mkdir()
    (cache / "greeting.cpython-311.pyc").write_bytes(b"stale bytecode")
    (dest / "chalicelib" / "legacy.pyc").write_bytes(b"stray bytecode")
    (dest / ".chalice" / "deployments").mkdir()
    (dest / ".chalice" / "deployments" / "old.zip").write_bytes(b"old chalice cache")
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, fixture_app: Path) -> Built:
    """Two builds of the same tree: once from a clean copy, once from a polluted one.

    Their mtimes differ as well, which is what a fresh clone versus a
    worked-in tree looks like.
    """
    root = tmp_path_factory.mktemp("build")
    clean = root / "clean_app"
    shutil.copytree(fixture_app, clean)
    polluted = _polluted_copy(fixture_app, root / "polluted_app")
    for path in polluted.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    cache = root / "wheels"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    first = build(clean, root / "out1", wheel_cache=cache, environ=env)
    second = build(polluted, root / "out2", wheel_cache=cache, environ=env)
    return Built(first, second, root / "out1", root / "out2", cache)


def _infos(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        return zf.infolist()


def test_two_builds_are_byte_identical(built: Built) -> None:
    assert built.first.sha256 == built.second.sha256
    assert (built.first_dir / "deployment.zip").read_bytes() == (built.second_dir / "deployment.zip").read_bytes()


def test_entries_sorted_fixed_and_clean(built: Built) -> None:
    infos = _infos(built.first_dir / "deployment.zip")
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/greeting.py", "chalice/app.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [i for i in infos if i.is_dir()]
    assert {i.date_time for i in infos} == {FIXED}
    assert {i.external_attr >> 16 for i in infos} == {stat.S_IFREG | 0o644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_handlers_json_lists_the_lambda_functions(built: Built) -> None:
    text = (built.first_dir / "handlers.json").read_text()
    assert json.loads(text) == {"api": "app.app", "cleanup": "app.cleanup", "worker": "app.worker_handler"}
    # Stable formatting: sorted keys, indented, trailing newline.
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_manifest_describes_the_zip(built: Built) -> None:
    manifest = json.loads((built.first_dir / "manifest.json").read_text())
    zip_bytes = (built.first_dir / "deployment.zip").read_bytes()
    assert manifest["sha256"] == built.first.sha256
    assert manifest["size_bytes"] == len(zip_bytes)
    assert manifest["file_count"] == len(_infos(built.first_dir / "deployment.zip"))
    assert manifest["python_runtime"].startswith("python3.")
    assert manifest["chalice_version"]


def test_no_requirements_needs_no_wheel_cache(built: Built) -> None:
    assert not built.wheel_cache.exists() or not any(built.wheel_cache.iterdir())


def test_rebuild_keeps_unchanged_outputs_untouched(built: Built, fixture_app: Path) -> None:
    out = built.first_dir
    outputs = [out / n for n in ("deployment.zip", "handlers.json", "manifest.json")]
    for path in outputs:
        os.utime(path, (1_600_000_000, 1_600_000_000))
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    again = build(fixture_app, out, wheel_cache=built.wheel_cache, environ=env)
    assert again.sha256 == built.first.sha256
    assert again.changed is False
    assert [p.stat().st_mtime for p in outputs] == [1_600_000_000] * 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


# --- unit tests of the repacking (no chalice run) ---------------------------


def _source_zip(path: Path) -> Path:
    """A zip with everything a sloppy packager produces: disorder, dirs, bytecode, modes."""
    with zipfile.ZipFile(path, "w") as zf:

        def add(name: str, data: bytes, mode: int, when: DateTime) -> None:
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = mode << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)

        add("zeta.py", b"z = 1\n", stat.S_IFREG | 0o600, (2024, 5, 6, 7, 8, 9))
        add("pkg/", b"", stat.S_IFDIR | 0o700, (2024, 5, 6, 7, 8, 9))
        add("pkg/run.sh", b"#!/bin/sh\n", stat.S_IFREG | 0o744, (2023, 1, 1, 0, 0, 0))
        add("pkg/__pycache__/mod.cpython-311.pyc", b"\x00", stat.S_IFREG | 0o644, FIXED)
        add("pkg/mod.pyc", b"\x00", stat.S_IFREG | 0o644, FIXED)
        add("./alpha.py", b"a = 1\n", stat.S_IFREG | 0o664, (2022, 2, 2, 2, 2, 2))
    return path


def test_repack_normalises_everything(tmp_path: Path) -> None:
    data = repack(_source_zip(tmp_path / "in.zip"), FIXED)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["alpha.py", "pkg/run.sh", "zeta.py"]
        assert {i.date_time for i in infos} == {FIXED}
        modes = {i.filename: i.external_attr >> 16 for i in infos}
        assert modes == {
            "alpha.py": stat.S_IFREG | 0o644,
            "pkg/run.sh": stat.S_IFREG | 0o755,
            "zeta.py": stat.S_IFREG | 0o644,
        }
        assert zf.read("pkg/run.sh") == b"#!/bin/sh\n"
    assert repack(_source_zip(tmp_path / "again.zip"), FIXED) == data


def test_repack_rejects_duplicate_members(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.py", b"1")
        zf.writestr("./a.py", b"2")
    with pytest.raises(BuildError, match="duplicate"):
        repack(path, FIXED)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, FIXED),
        ({"SOURCE_DATE_EPOCH": "0"}, FIXED),  # before 1980: clamped
        ({"SOURCE_DATE_EPOCH": "1700000001"}, (2023, 11, 14, 22, 13, 20)),  # odd second rounds down
    ],
)
def test_zip_date_time(env: dict[str, str], expected: DateTime) -> None:
    assert zip_date_time(env) == expected


def test_zip_date_time_rejects_garbage() -> None:
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH"):
        zip_date_time({"SOURCE_DATE_EPOCH": "yesterday"})


def test_source_date_epoch_changes_the_zip(tmp_path: Path) -> None:
    source = _source_zip(tmp_path / "in.zip")
    default = repack(source, zip_date_time({}))
    dated = repack(source, zip_date_time({"SOURCE_DATE_EPOCH": "1700000000"}))
    assert default != dated
    with zipfile.ZipFile(io.BytesIO(dated)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_write_if_changed(tmp_path: Path) -> None:
    target = tmp_path / "out" / "file.bin"
    assert write_if_changed(target, b"one") is True
    os.utime(target, (1_600_000_000, 1_600_000_000))
    assert write_if_changed(target, b"one") is False
    assert target.stat().st_mtime == 1_600_000_000
    assert write_if_changed(target, b"two") is True
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


def test_missing_app_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"app\.py not found"):
        build(tmp_path, tmp_path / "out")


def test_import_only_the_venv_provides_fails_the_build(tmp_path: Path, fixture_app: Path) -> None:
    """A package the app imports but requirements.txt lacks must not pass as 'works on my machine'."""
    app_dir = tmp_path / "app"
    shutil.copytree(fixture_app, app_dir)
    source = (app_dir / "app.py").read_text()
    (app_dir / "app.py").write_text(
        source.replace("from typing import Any\n", "from typing import Any\n\nimport yaml\n")
    )
    with pytest.raises(BuildError, match="the zip lacks yaml"):
        build(app_dir, tmp_path / "out", wheel_cache=tmp_path / "wheels")


# --- the app's dependencies come from its lock, every file hash-checked ------


def _local_wheel(index: Path) -> Path:
    """A one-module wheel in a directory the build's pip is pointed at: no network needed."""
    index.mkdir()
    path = index / "tinydep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tinydep.py", "VALUE = 1\n")
        zf.writestr("tinydep-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n")
        wheel = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        zf.writestr("tinydep-1.0.dist-info/WHEEL", wheel)
        zf.writestr("tinydep-1.0.dist-info/RECORD", "")
    return path


def _app_needing_tinydep(fixture_app: Path, app_dir: Path, locked_sha256: str | None) -> Path:
    """The fixture app with one dependency; its lock lists ``locked_sha256`` (no lock when None)."""
    shutil.copytree(fixture_app, app_dir)
    (app_dir / "requirements.txt").write_text("tinydep==1.0\n")
    if locked_sha256 is not None:
        (app_dir / "requirements.lock").write_text(f"tinydep==1.0 \\\n    --hash=sha256:{locked_sha256}\n")
    return app_dir


def _offline(index: Path) -> dict[str, str]:
    """This environment with pip taking packages from ``index`` alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "SOURCE_DATE_EPOCH"}
    return {**env, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index)}


def test_requirements_without_a_lock_fail_the_build(tmp_path: Path, fixture_app: Path) -> None:
    app_dir = _app_needing_tinydep(fixture_app, tmp_path / "app", locked_sha256=None)
    with pytest.raises(BuildError, match=r"requirements\.lock is missing: run `make lock`"):
        build(app_dir, tmp_path / "out", wheel_cache=tmp_path / "wheels")


def test_a_file_the_lock_has_another_hash_for_fails_the_build(tmp_path: Path, fixture_app: Path) -> None:
    index = tmp_path / "index"
    _local_wheel(index)
    app_dir = _app_needing_tinydep(fixture_app, tmp_path / "app", locked_sha256="0" * 64)
    with pytest.raises(BuildError, match="DO NOT MATCH THE HASHES"):
        build(app_dir, tmp_path / "out", wheel_cache=tmp_path / "wheels", environ=_offline(index))
    assert not (tmp_path / "out" / "deployment.zip").exists()
    assert not list((tmp_path / "wheels").glob("*/.complete"))  # nothing kept for a later build either


def test_the_locked_file_is_what_the_zip_ships(tmp_path: Path, fixture_app: Path) -> None:
    index = tmp_path / "index"
    wheel = _local_wheel(index)
    app_dir = _app_needing_tinydep(fixture_app, tmp_path / "app", hashlib.sha256(wheel.read_bytes()).hexdigest())
    result = build(app_dir, tmp_path / "out", wheel_cache=tmp_path / "wheels", environ=_offline(index))
    with zipfile.ZipFile(result.zip_path) as zf:
        assert zf.read("tinydep.py") == b"VALUE = 1\n"


def _zip_of(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def test_architecture_ties_name_the_package_that_brought_them() -> None:
    zip_bytes = _zip_of(
        {
            "pure/__init__.py": "",
            "pure-1.0.dist-info/METADATA": "Name: pure\n",
            "pure-1.0.dist-info/WHEEL": "Tag: py3-none-any\n",
            "pure-1.0.dist-info/RECORD": "pure/__init__.py,,\n",
            "fastcore/_speedups.cpython-313-aarch64-linux-gnu.so": "ELF",
            "fastcore/__init__.py": "",
            "fast_core-2.0.dist-info/METADATA": "Name: fast-core\n",
            "fast_core-2.0.dist-info/WHEEL": "Tag: cp313-cp313-manylinux_2_17_aarch64\n",
            "fast_core-2.0.dist-info/RECORD": (
                "fastcore/__init__.py,,\nfastcore/_speedups.cpython-313-aarch64-linux-gnu.so,,\n"
            ),
            "vendored/lib.pyd": "MZ",
        }
    )
    assert architecture_ties(zip_bytes) == {
        "fast-core": [
            "fastcore/_speedups.cpython-313-aarch64-linux-gnu.so",
            "platform wheel cp313-cp313-manylinux_2_17_aarch64",
        ],
        "vendored": ["vendored/lib.pyd"],
    }


def test_a_pure_python_zip_has_no_architecture_ties(built: Built) -> None:
    zip_bytes = (built.first_dir / "deployment.zip").read_bytes()
    assert architecture_ties(zip_bytes) == {}
    manifest = json.loads((built.first_dir / "manifest.json").read_text())
    assert manifest["architecture_neutral"] is True
    assert manifest["architecture_ties"] == {}
