#!/usr/bin/env python3
"""Build the Lambda deployment zip reproducibly.

    python scripts/build_lambda.py --app chalice_app --out build/lambda [--stage dev]

Steps, and why each exists:

1. Copy the app (app.py, chalicelib/, vendor/, requirements.txt, .chalice/
   config) into a temporary staging directory. Chalice caches its
   dependency zip in ``<project>/.chalice/deployments/`` under a hash that
   includes app.py and chalicelib/, so packaging in place would add a ~1 MB
   file to the app directory on every code change, and it would also pick up
   stray ``__pycache__`` directories left there by tests.
2. Make the runtime wheels available offline. Because Chalice's cache key
   includes the app code, Chalice runs ``pip download`` again after every code
   change. That needs PyPI, and it could also pick up a different transitive
   version. Instead we keep a wheelhouse keyed by the requirements file, the
   runtime and the architecture. We fill it once (this needs PyPI or a mirror
   set with PIP_INDEX_URL), then point Chalice's pip at it with
   PIP_NO_INDEX/PIP_FIND_LINKS. Later builds are offline and always use the
   same wheel files.
3. Run ``chalice package`` with this interpreter. We keep only its
   deployment.zip. Its CloudFormation template is discarded because Terraform
   owns the infrastructure.
4. Re-pack the zip deterministically: entries sorted, one fixed timestamp,
   0644/0755 modes, no directory entries, no bytecode, one compression level.
   Two builds of the same tree then give the same sha256, so Terraform sees
   no change. Outputs are written atomically and only when their content
   changes, so make's mtime checks stay meaningful.
5. Import the packaged app (from the extracted zip, in a subprocess) to list
   the Lambda handler strings it provides (handlers.json). This also
   smoke-tests that the zip is importable. Then write manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The earliest moment a zip header can represent (1980-01-01T00:00:00Z).
ZIP_EPOCH = 315532800
# Fixed so that the same input always gives the same bytes. 9 because the
# zip is built rarely but uploaded and cold-started often.
COMPRESS_LEVEL = 9
# Bytecode is never shipped: it is interpreter-specific, and its embedded
# source mtimes would defeat reproducibility.
EXCLUDED_DIR_NAMES = frozenset({"__pycache__"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
FILE_MODE = 0o644
EXEC_MODE = 0o755
# Default Lambda architecture when the Chalice config does not name one
# (Chalice's own default).
DEFAULT_ARCHITECTURE = "x86_64"
ARCH_TO_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
# glibc of the Amazon Linux 2023 behind the python3.12+ Lambda runtimes (2.34),
# the ceiling Chalice uses for them too (packager._RUNTIME_GLIBC).
LAMBDA_GLIBC_MINOR = 34
# What ties a zip to one instruction set: compiled extension modules.
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
# Placeholder credentials for child processes that must never use real ones.
DUMMY_CREDENTIAL = "build"


class BuildError(Exception):
    """A build step failed; the message says what to do about it."""


@dataclass(frozen=True)
class BuildResult:
    zip_path: Path
    sha256: str
    size: int
    file_count: int
    handlers: dict[str, str]
    changed: bool
    seconds: float


# ---------------------------------------------------------------------------
# Deterministic zip
# ---------------------------------------------------------------------------


def zip_date_time(environ: Mapping[str, str]) -> tuple[int, int, int, int, int, int]:
    """Return the timestamp every entry gets.

    SOURCE_DATE_EPOCH (reproducible-builds.org) wins when set. It is
    interpreted in UTC and clamped to the zip epoch, because a zip header
    cannot hold anything earlier than 1980.
    """
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        epoch = ZIP_EPOCH
    else:
        try:
            epoch = int(raw)
        except ValueError as exc:
            raise BuildError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from exc
        epoch = max(epoch, ZIP_EPOCH)
    tm = time.gmtime(epoch)
    if tm.tm_year > 2107:  # the zip date field ends in 2107
        raise BuildError(f"SOURCE_DATE_EPOCH {raw} is beyond what a zip can store")
    # Zip stores seconds in 2-second steps; round down so that reading the
    # value back gives the same tuple.
    return (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec - tm.tm_sec % 2)


def is_excluded(name: str) -> bool:
    """True for zip member names that must never reach the package."""
    parts = name.split("/")
    return any(part in EXCLUDED_DIR_NAMES for part in parts) or name.endswith(EXCLUDED_SUFFIXES)


def repack(source: Path, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """Return the deterministic zip bytes for the members of ``source``.

    Directory entries are dropped: Lambda and zipimport do not need them, and
    whether a tool writes them is what usually differs between two builds.
    Only the executable bit of a file's mode is kept, and it becomes 0755.
    """
    members: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(source) as zin:
        for info in zin.infolist():
            name = info.filename.replace("\\", "/").lstrip("/")
            while name.startswith("./"):
                name = name[2:]
            if info.is_dir() or not name or is_excluded(name):
                continue
            if name in members:
                # Chalice would let a vendored file shadow a dependency
                # silently; fail so that the collision is seen and resolved.
                raise BuildError(f"duplicate zip member {name!r} in {source}")
            unix_mode = (info.external_attr >> 16) & 0o777
            mode = EXEC_MODE if unix_mode & 0o111 else FILE_MODE
            members[name] = (zin.read(info), mode)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zout:
        for name in sorted(members):
            data, mode = members[name]
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            # create_system 3 (Unix) makes unzip and Lambda honour the mode
            # bits; ZipInfo would otherwise pick 0 on Windows.
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            zout.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds it.

    Returns True when the file was (re)written. An unchanged file keeps its
    mtime, so make and Terraform see no change. A reader never sees a
    half-written file, because the new content goes to a temp file in the
    same directory and is then renamed over the old one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and sha256_bytes(path.read_bytes()) == sha256_bytes(data):
        return False
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def json_bytes(value: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


# ---------------------------------------------------------------------------
# Architecture
# ---------------------------------------------------------------------------


def _distribution_name(metadata: str, dist_info_dir: str) -> str:
    for line in metadata.splitlines():
        if line.startswith("Name:"):
            return line.removeprefix("Name:").strip()
    return dist_info_dir.removesuffix(".dist-info").rsplit("-", 1)[0]


def architecture_ties(zip_bytes: bytes) -> dict[str, list[str]]:
    """What in the zip runs on one instruction set only, by the package that brought it.

    The same zip is deployed to arm64 and x86_64 functions (the architecture is a
    per-environment Terraform setting), which is only sound while the zip is pure
    Python. Two things break that: a compiled extension module (``.so``, ``.pyd``)
    and a wheel whose tag names a platform (``WHEEL``'s ``Tag:`` lines, anything but
    ``-any``). Each finding is attributed to its distribution through the
    ``*.dist-info/RECORD`` files that pip leaves in the zip; a file no RECORD lists
    is attributed to its top-level directory (vendored code, the app itself).
    An empty result means the zip is architecture-neutral.
    """
    ties: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        names = zf.namelist()
        owner: dict[str, str] = {}
        for name in names:
            directory, _, leaf = name.partition("/")
            if not directory.endswith(".dist-info") or leaf not in ("RECORD", "WHEEL"):
                continue
            metadata_name = f"{directory}/METADATA"
            metadata = zf.read(metadata_name).decode("utf-8", "replace") if metadata_name in names else ""
            dist = _distribution_name(metadata, directory)
            text = zf.read(name).decode("utf-8", "replace")
            if leaf == "RECORD":
                for line in text.splitlines():
                    path = line.split(",", 1)[0]
                    if path:
                        owner[path] = dist
            else:
                for line in text.splitlines():
                    tag = line.removeprefix("Tag:").strip() if line.startswith("Tag:") else ""
                    if tag and not tag.endswith("-any"):
                        ties.setdefault(dist, []).append(f"platform wheel {tag}")
        for name in names:
            if name.endswith(NATIVE_SUFFIXES) or ".so." in name.rsplit("/", 1)[-1]:
                ties.setdefault(owner.get(name, name.split("/", 1)[0]), []).append(name)
    return {dist: sorted(found) for dist, found in sorted(ties.items())}


# ---------------------------------------------------------------------------
# Staging and dependencies
# ---------------------------------------------------------------------------


def _ignore_bytecode(_directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in EXCLUDED_DIR_NAMES or n.endswith(EXCLUDED_SUFFIXES)}


def _ignore_chalice_leftovers(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"deployments", "venv"}} | _ignore_bytecode(directory, names)


def stage_app(app_dir: Path, staging: Path) -> None:
    """Copy exactly what ``chalice package`` reads into ``staging``.

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
    if (app_dir / "requirements.txt").is_file():
        shutil.copy2(app_dir / "requirements.txt", staging / "requirements.txt")
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


def _run(
    cmd: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def ensure_wheelhouse(
    requirements: Path,
    cache_root: Path,
    runtime: str,
    architecture: str,
    env: Mapping[str, str],
    log: _Log,
) -> Path | None:
    """Return a directory holding every wheel the requirements need.

    The result is None when there is nothing to install. The directory is
    keyed by the requirements file's bytes, the runtime and the
    architecture, and it is filled at most once, so a build after the first
    needs no network. Two passes mirror what Chalice asks pip for: a plain
    ``pip download -r`` (Chalice's first pass, host platform), then Lambda
    platform wheels (Chalice's fallback for anything not Lambda-compatible).
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
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--dest", str(tmp)]
        host = _run([*pip, "-r", str(requirements)], env=env)
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
        lam = _run([*lambda_pass, "-r", str(requirements)], env=env)
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


# ---------------------------------------------------------------------------
# Chalice
# ---------------------------------------------------------------------------


def sandboxed_aws_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with AWS settings replaced by inert fixed ones.

    ``chalice package`` makes no AWS call. Still, it builds a boto3 client to
    learn the region, and that client resolves credentials. A developer's
    profile (SSO refresh) or the EC2 metadata probe would then make an
    offline build slow or make it fail. The region and account only reach
    the template we discard, so fixed dummy values change nothing in the zip.
    The packaged app is imported with the same settings, so its import code
    cannot touch a real account either.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIAL,
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIAL,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def chalice_version() -> str:
    return importlib.metadata.version("chalice")


def run_chalice_package(staging: Path, stage: str, out_dir: Path, env: Mapping[str, str], log: _Log) -> Path:
    """Run ``chalice package`` with this interpreter and return its zip.

    ``-c 'from chalice.cli import main'`` rather than a ``chalice`` script on
    PATH: it guarantees the same venv, so Chalice's pip subprocess
    (``sys.executable -m pip``) is this venv's pip too.
    """
    cmd = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "package",
        "--stage",
        stage,
        str(out_dir),
    ]
    proc = _run(cmd, cwd=staging, env=env)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise BuildError(f"chalice package failed (exit {proc.returncode}):\n{output}")
    log.verbose(output)
    # Chalice only warns and carries on when a dependency could not be
    # installed; a zip without it would fail at import time in Lambda.
    if "Could not install dependencies" in output:
        raise BuildError(f"chalice package could not install every dependency:\n{output}")
    zip_path = out_dir / "deployment.zip"
    if not zip_path.is_file():
        raise BuildError(f"chalice package wrote no deployment.zip:\n{output}")
    return zip_path


# Packages the Lambda Python runtime itself provides (the AWS SDK and its
# dependencies). The zip may leave them out. Any other package that the app
# imports from the build venv instead of the zip would be missing in Lambda.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})

# Run in a subprocess with cwd = the extracted zip. Importing an app runs its
# module-level code, so we keep that out of this process. The zip comes first
# on sys.path, so this imports what Lambda will import. Packages that only
# the build venv provides are then reported, not silently used. Writes
# {name: handler_string} to argv[1].
_HANDLERS_CHILD = r"""
import contextlib, importlib, json, os, sys, sysconfig
root = os.path.realpath(".")
sys.path.insert(0, root)
venv_dirs = {os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("purelib", "platlib")}
provided = set(json.loads(sys.argv[2]))
# The SDK is the runtime's: whatever it pulls in (certifi, optionally, by
# botocore.httpsession) is there in Lambda too, so load it before the snapshot.
for sdk_module in ("boto3", "botocore.httpsession"):
    with contextlib.suppress(ImportError):
        importlib.import_module(sdk_module)
before = set(sys.modules)
with contextlib.redirect_stdout(sys.stderr):
    module = importlib.import_module("app")
leaked = set()
for name, mod in list(sys.modules.items()):
    origin = getattr(mod, "__file__", None)
    if name in before or not origin:
        continue
    origin = os.path.realpath(origin)
    if any(origin.startswith(d) for d in venv_dirs) and name.partition(".")[0] not in provided:
        leaked.add(name.partition(".")[0])
if leaked:
    sys.exit("the zip lacks " + ", ".join(sorted(leaked)) + ": the app imported them from the build venv "
             "(add them to requirements.txt, or vendor them)")
app = module.app
found = []
if app.routes:
    found.append(("api", "app.app"))
for fn in app.pure_lambda_functions:
    found.append((fn.name, fn.handler_string))
for src in app.event_sources:
    found.append((src.name, src.handler_string))
for auth in app.builtin_auth_handlers:
    found.append((auth.name, auth.handler_string))
handlers = {}
for name, handler in found:
    if name in handlers:
        sys.exit(f"two Lambda functions are both named {name!r}")
    mod_name, _, attr = handler.rpartition(".")
    if not hasattr(importlib.import_module(mod_name), attr):
        sys.exit(f"handler {handler!r} of {name!r} does not resolve in the package")
    handlers[name] = handler
with open(sys.argv[1], "w") as fh:
    json.dump(handlers, fh)
"""


def discover_handlers(zip_bytes: bytes, env: Mapping[str, str]) -> dict[str, str]:
    """List the Lambda handlers the packaged app defines (see _HANDLERS_CHILD).

    The key is the Lambda name as Chalice knows it (``name=`` or the function
    name) and the value is the handler string Terraform must set. "api" is
    the REST handler ``app.app`` and is present when the app has routes.
    """
    with tempfile.TemporaryDirectory(prefix="build-lambda-handlers-") as tmp:
        root = Path(tmp) / "task"
        root.mkdir()
        result_file = Path(tmp) / "handlers.json"
        zip_file = Path(tmp) / "deployment.zip"
        zip_file.write_bytes(zip_bytes)
        with zipfile.ZipFile(zip_file) as zf:
            zf.extractall(root)
        # Nothing here may reach AWS: with fake credentials, no metadata
        # lookups and no custom endpoint, a stray client call at import time
        # fails fast and cannot touch a real account.
        child_env = sandboxed_aws_env(env)
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        provided = json.dumps(sorted(RUNTIME_PROVIDED))
        proc = _run([sys.executable, "-c", _HANDLERS_CHILD, str(result_file), provided], cwd=root, env=child_env)
        if proc.returncode != 0:
            raise BuildError(
                "importing the packaged app failed, so the zip would not start in Lambda either:\n"
                + (proc.stderr or proc.stdout).strip()
            )
        loaded = json.loads(result_file.read_text())
    return {str(k): str(v) for k, v in sorted(loaded.items())}


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


class _Log:
    """Progress goes to stderr, so stdout carries only the summary line."""

    def __init__(self, verbose: bool) -> None:
        self._verbose = verbose

    def __call__(self, message: str) -> None:
        print(f"build_lambda: {message}", file=sys.stderr)

    def verbose(self, message: str) -> None:
        if self._verbose and message:
            print(message, file=sys.stderr)


def build(
    app_dir: Path,
    out_dir: Path,
    stage: str = "dev",
    wheel_cache: Path | None = None,
    verbose: bool = False,
    environ: Mapping[str, str] | None = None,
) -> BuildResult:
    started = time.perf_counter()
    log = _Log(verbose)
    base_env = dict(os.environ if environ is None else environ)
    date_time = zip_date_time(base_env)
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"

    env = sandboxed_aws_env(base_env)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    with tempfile.TemporaryDirectory(prefix="build-lambda-") as tmp:
        staging = Path(tmp) / "app"
        stage_app(app_dir, staging)
        arch = lambda_architecture(staging / ".chalice" / "config.json", stage)
        wheelhouse = ensure_wheelhouse(
            staging / "requirements.txt",
            wheel_cache or default_wheel_cache(),
            runtime,
            arch,
            env,
            log,
        )
        if wheelhouse is not None:
            env["PIP_NO_INDEX"] = "1"
            env["PIP_FIND_LINKS"] = str(wheelhouse)
        chalice_zip = run_chalice_package(staging, stage, Path(tmp) / "package", env, log)
        data = repack(chalice_zip, date_time)

    handlers = discover_handlers(data, env)
    digest = sha256_bytes(data)
    ties = architecture_ties(data)
    if ties:
        log(f"warning: the zip runs on {arch} only: " + "; ".join(f"{d}: {', '.join(f)}" for d, f in ties.items()))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        file_count = len(zf.infolist())
    zip_path = out_dir / "deployment.zip"
    changed = write_if_changed(zip_path, data)
    write_if_changed(out_dir / "handlers.json", json_bytes(handlers))
    manifest = {
        "zip": zip_path.name,
        "sha256": digest,
        "size_bytes": len(data),
        "file_count": file_count,
        "python_runtime": runtime,
        "architecture": arch,
        "architecture_neutral": not ties,
        "architecture_ties": ties,
        "chalice_version": chalice_version(),
        "stage": stage,
        "handlers": handlers,
    }
    write_if_changed(out_dir / "manifest.json", json_bytes(manifest))
    return BuildResult(
        zip_path=zip_path,
        sha256=digest,
        size=len(data),
        file_count=file_count,
        handlers=handlers,
        changed=changed,
        seconds=time.perf_counter() - started,
    )


def summary_line(result: BuildResult) -> str:
    mib = result.size / (1024 * 1024)
    state = "updated" if result.changed else "unchanged"
    return (
        f"{result.zip_path} {result.size} bytes ({mib:.2f} MiB) sha256={result.sha256} "
        f"files={result.file_count} handlers={len(result.handlers)} {state} in {result.seconds:.1f}s"
    )


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--app", type=Path, default=Path("chalice_app"), help="Chalice project directory")
    parser.add_argument("--out", type=Path, default=Path("build/lambda"), help="output directory")
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument(
        "--wheel-cache",
        type=Path,
        default=None,
        help="wheelhouse root (default: $BUILD_LAMBDA_WHEEL_CACHE or ~/.cache/events-service/wheelhouse)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show chalice's output")
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = build(args.app.resolve(), args.out, args.stage, args.wheel_cache, args.verbose)
    except BuildError as exc:
        print(f"build_lambda: error: {exc}", file=sys.stderr)
        return 1
    print(summary_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
