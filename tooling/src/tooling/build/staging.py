"""Steps 1 and 2 of the build: the staging copy of the app, and the wheelhouse that makes packaging offline.

Only what ``chalice package`` reads is staged (never the app directory's bytecode or Chalice's
own caches). The app's ``requirements.txt`` holds its direct pins; what is staged under that name,
the file Chalice and the wheelhouse install from, is ``requirements.lock`` beside it (every
transitive dependency with its hashes, written by ``make lock``), so every wheel that reaches the
zip is checked against the hash locked for it: pip checks them when it fills the wheelhouse
(``--require-hashes``) and again when Chalice takes them from it. The wheelhouse is keyed by that
lock, the runtime and the architecture (from the stage's Chalice config), filled once and reused by
every later build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tooling.build import BuildError, Log, run
from tooling.build.reproducible_zip import EXCLUDED_DIR_NAMES, EXCLUDED_SUFFIXES

# Default Lambda architecture when the Chalice config does not name one
# (Chalice's own default).
DEFAULT_ARCHITECTURE = "x86_64"
ARCH_TO_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
# The app's lock, beside its requirements.txt.
LOCK_NAME = "requirements.lock"
# glibc of the Amazon Linux 2023 behind the python3.12+ Lambda runtimes (2.34),
# the ceiling Chalice uses for them too (packager._RUNTIME_GLIBC).
LAMBDA_GLIBC_MINOR = 34


def _ignore_bytecode(_directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in EXCLUDED_DIR_NAMES or n.endswith(EXCLUDED_SUFFIXES)}


def _ignore_chalice_leftovers(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"deployments", "venv"}} | _ignore_bytecode(directory, names)


def stage_app(app_dir: Path, staging: Path) -> None:
    """Copy exactly what ``chalice package`` reads into ``staging``, the app's lock as its requirements.

    Symlinks are followed (for example, a contract linked into chalicelib/)
    so the zip holds the real content.
    """
    if not (app_dir / "app.py").is_file():
        raise BuildError(f"{app_dir / 'app.py'} not found: --app must be a Chalice project directory")
    config = app_dir / ".chalice" / "config.json"
    if not config.is_file():
        raise BuildError(f"{config} not found: chalice package needs the project config")
    staging.mkdir(parents=True, exist_ok=True)
    shutil.copy2(app_dir / "app.py", staging / "app.py")
    requirements = app_dir / "requirements.txt"
    if requirement_lines(requirements):
        lock = app_dir / LOCK_NAME
        if not lock.is_file():
            raise BuildError(f"{requirements} names dependencies but {lock} is missing: run `make lock`")
        shutil.copy2(lock, staging / "requirements.txt")
    elif requirements.is_file():
        shutil.copy2(requirements, staging / "requirements.txt")
    for sub in ("chalicelib", "vendor"):
        if (app_dir / sub).is_dir():
            shutil.copytree(app_dir / sub, staging / sub, ignore=_ignore_bytecode)
    # .chalice/ holds config.json and possibly policy files. Its deployments/
    # cache and any local venv are build leftovers, not inputs.
    shutil.copytree(app_dir / ".chalice", staging / ".chalice", ignore=_ignore_chalice_leftovers)


def requirement_lines(requirements: Path) -> list[str]:
    """Meaningful lines of a requirements file (Chalice's own test for 'has deps')."""
    if not requirements.is_file():
        return []
    lines = (line.strip() for line in requirements.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def lambda_architecture(config_path: Path, stage: str) -> str:
    """The stage's ``lambda_architecture`` from .chalice/config.json (stage wins)."""
    config = json.loads(config_path.read_text())
    stage_cfg = config.get("stages", {}).get(stage, {})
    arch = stage_cfg.get("lambda_architecture") or config.get("lambda_architecture")
    arch = arch or DEFAULT_ARCHITECTURE
    if arch not in ARCH_TO_MACHINE:
        raise BuildError(f"unsupported lambda_architecture {arch!r} in {config_path}")
    return str(arch)


def default_wheel_cache() -> Path:
    """User cache dir: it outlives ``make clean``, so offline builds keep working."""
    explicit = os.environ.get("BUILD_LAMBDA_WHEEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "events-service" / "wheelhouse"


def ensure_wheelhouse(
    requirements: Path,
    cache_root: Path,
    runtime: str,
    architecture: str,
    env: Mapping[str, str],
    log: Log,
) -> Path | None:
    """Return a directory holding every wheel the requirements need.

    The result is None when there is nothing to install. The directory is
    keyed by the requirements file's bytes, the runtime and the
    architecture, and it is filled at most once, so a build after the first
    needs no network. Two passes mirror what Chalice asks pip for: a plain
    ``pip download -r`` (Chalice's first pass, host platform), then Lambda
    platform wheels (Chalice's fallback for anything not Lambda-compatible).
    Both require a hash for every file and check it: ``requirements`` is the
    staged lock, and a file whose hash it does not list is never kept.
    """
    if not requirement_lines(requirements):
        return None
    key = hashlib.sha256(requirements.read_bytes() + f"|{runtime}|{architecture}".encode()).hexdigest()[:16]
    target = cache_root / f"{runtime}-{architecture}-{key}"
    if (target / ".complete").is_file():
        return target

    log(f"filling wheel cache {target} (needs PyPI or PIP_INDEX_URL; later builds are offline)")
    cache_root.mkdir(parents=True, exist_ok=True)
    # Fill a sibling temp dir, then rename it. A half-filled wheelhouse is
    # never mistaken for a complete one, and two builds racing are harmless.
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_root))
    try:
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--require-hashes"]
        pip += ["--dest", str(tmp)]
        host = run([*pip, "-r", str(requirements)], env=env)
        if host.returncode != 0:
            raise BuildError(
                "pip download failed: the first build needs PyPI (or a mirror in PIP_INDEX_URL).\n"
                + host.stderr.strip()
            )
        machine = ARCH_TO_MACHINE[architecture]
        platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(17, LAMBDA_GLIBC_MINOR + 1)]
        platforms.append(f"manylinux2014_{machine}")
        version = runtime.removeprefix("python")
        lambda_pass = [*pip, "--only-binary=:all:", "--implementation", "cp"]
        lambda_pass += ["--python-version", version, "--abi", "cp" + version.replace(".", "")]
        for platform in platforms:
            lambda_pass += ["--platform", platform]
        lam = run([*lambda_pass, "-r", str(requirements)], env=env)
        if lam.returncode != 0:
            # This is not fatal: pure-Python requirements are covered by the
            # host pass. A package with no Lambda wheel is then built from its
            # sdist by Chalice, which needs the network every time.
            log("warning: no complete set of Lambda-platform wheels; offline builds may fail:\n" + lam.stderr.strip())
        (tmp / ".complete").write_text("\n".join(sorted(p.name for p in tmp.glob("*") if p.is_file())) + "\n")
        try:
            tmp.rename(target)
        except OSError:
            # Another build completed the same wheelhouse first; use theirs.
            if not (target / ".complete").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
