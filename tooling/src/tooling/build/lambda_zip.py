"""The build, step by step: staging, wheelhouse, ``chalice package``, repack, handlers, manifest.

``build()`` runs the steps of the package docstring in order and writes deployment.zip,
handlers.json and manifest.json, each only when its content changed.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tooling.build import Log
from tooling.build.chalice_package import chalice_version, discover_handlers, run_chalice_package, sandboxed_aws_env
from tooling.build.reproducible_zip import (
    architecture_ties,
    json_bytes,
    repack,
    sha256_bytes,
    write_if_changed,
    zip_date_time,
)
from tooling.build.staging import default_wheel_cache, ensure_wheelhouse, lambda_architecture, stage_app


@dataclass(frozen=True)
class BuildResult:
    zip_path: Path
    sha256: str
    size: int
    file_count: int
    handlers: dict[str, str]
    changed: bool
    seconds: float


def build(
    app_dir: Path,
    out_dir: Path,
    stage: str = "dev",
    wheel_cache: Path | None = None,
    verbose: bool = False,
    environ: Mapping[str, str] | None = None,
) -> BuildResult:
    started = time.perf_counter()
    log = Log(verbose)
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
