"""The bench's sections: each measures one group of figures and says which hold their budget.

A section is a function that takes the options and returns its data (the JSON object stored
under its name in the results file) and its table rows. To add one, write ``def my_section(opts:
Options) -> SectionResult`` (in its own module of this package if it is large) and add it to
``SECTIONS``. The table, the results file and the exit status pick it up with no other change.

``zip`` and ``import`` are here; ``requests`` (``api_requests``), ``handlers`` (``handlers`` and
its child process ``handler_child``), ``executor`` and ``localcloud`` (``local_cloud``) and
``reload`` (``hot_reload``) live in their own modules, imported only when their section runs
(they pull in moto and the app).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.bench.stats import added_ratio, median, summarize

MIB = 1024 * 1024
# What moto and the AWS test tooling conventionally accept; never a real secret.
DUMMY_CREDENTIAL = "testing"


class SectionError(Exception):
    """A section cannot produce its figures; the message says why and what to do."""


@dataclass(frozen=True)
class Row:
    """One line of the printed table."""

    metric: str
    value: str
    budget: str = "-"
    ok: bool | None = None  # None: the figure has no budget


@dataclass
class SectionResult:
    data: dict[str, Any]
    rows: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool | None:
        verdicts = [row.ok for row in self.rows if row.ok is not None]
        return all(verdicts) if verdicts else None


@dataclass(frozen=True)
class Options:
    zip_path: Path
    app_dir: Path
    stage: str
    import_runs: int
    warmup: int
    requests: int
    zip_budget_mib: float
    import_budget_percent: float
    cache_dir: Path
    init_runs: int = 5
    warm_invocations: int = 20


Section = Callable[[Options], SectionResult]


def bench_env(environ: Mapping[str, str], **settings: str) -> dict[str, str]:
    """An environment in which the app imports and runs with no real AWS.

    Dummy credentials and region, no custom endpoint, no profile, no
    metadata probe. A bench must never reach an account, and a credential
    lookup would add network time to the figures. ``settings`` adds the app's
    own variables.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIAL,
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIAL,
        AWS_SESSION_TOKEN=DUMMY_CREDENTIAL,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    env.update(settings)
    return env


# The app reads its settings lazily, so importing it needs none of them. We
# still set the obvious ones so that a future eager read is measured rather
# than crashing the bench.
APP_SETTINGS = {
    "EVENTS_TABLE_NAME": "bench-events",
    "POWERTOOLS_SERVICE_NAME": "events",
}


# ---------------------------------------------------------------------------
# zip: size of the Lambda package against the budget
# ---------------------------------------------------------------------------


def zip_section(opts: Options) -> SectionResult:
    path = opts.zip_path
    if not path.is_file():
        raise SectionError(f"{relative(path)} not found: run `make build` first")
    size = path.stat().st_size
    mib = size / MIB
    ok = mib <= opts.zip_budget_mib
    data: dict[str, Any] = {
        "path": relative(path),
        "bytes": size,
        "mib": round(mib, 3),
        "budget_mib": opts.zip_budget_mib,
        "ok": ok,
    }
    manifest = path.with_name("manifest.json")
    if manifest.is_file():
        # The build's own record ties these figures to one exact zip.
        recorded = json.loads(manifest.read_text())
        data.update({k: recorded[k] for k in ("sha256", "file_count") if k in recorded})
    row = Row("zip size", f"{mib:.2f} MiB ({size} B)", f"<= {opts.zip_budget_mib:g} MiB", ok)
    return SectionResult(data, [row])


# ---------------------------------------------------------------------------
# import: cost of importing the app module on top of boto3 alone
# ---------------------------------------------------------------------------

# perf_counter around the import inside a fresh interpreter: this is the cold
# start cost as Lambda pays it (interpreter start-up excluded). It is more
# robust than summing -X importtime lines, which double-count nested imports
# and add their own overhead. The marker line keeps anything the app prints
# from being parsed as the figure. The app's directory goes first on sys.path,
# as Lambda puts the function's code first.
_IMPORT_CHILD = """\
import sys, time
sys.path.insert(0, {path!r})
c0 = time.process_time()
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
c1 = time.process_time()
print("BENCH_IMPORT_SECONDS=%r %r" % (t1 - t0, c1 - c0))
"""
_MARKER = "BENCH_IMPORT_SECONDS="


def time_import(module: str, app_dir: Path, env: Mapping[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds to import ``module`` in a fresh interpreter (cwd = app dir).

    Wall time (perf_counter) is the budgeted figure: it is what a cold start
    waits for. CPU time is reported beside it because it barely moves when
    other jobs share the machine, so it tells noise from a real regression.
    """
    code = _IMPORT_CHILD.format(path=str(app_dir), module=module)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=app_dir, env=dict(env), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SectionError(f"`import {module}` failed in a fresh interpreter:\n{proc.stderr.strip()}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_MARKER):
            wall, cpu = line[len(_MARKER) :].split()
            return float(wall), float(cpu)
    raise SectionError(f"`import {module}` printed no timing line:\n{proc.stdout.strip()}")


def import_section(opts: Options) -> SectionResult:
    if not (opts.app_dir / "app.py").is_file():
        raise SectionError(f"{relative(opts.app_dir / 'app.py')} not found: the app module must exist to be measured")
    # A private bytecode cache, shared by both measurements: Lambda's runtime
    # ships boto3 compiled, so the app must not be charged for compiling
    # either. Keeping it out of chalice_app/ also avoids writing __pycache__
    # into a directory the build packages.
    env = bench_env(os.environ, **APP_SETTINGS, PYTHONPYCACHEPREFIX=str(opts.cache_dir / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    modules = ("boto3", "app")
    for module in modules:  # untimed: compile bytecode, warm the page cache
        time_import(module, opts.app_dir, env)
    wall: dict[str, list[float]] = {m: [] for m in modules}
    cpu: dict[str, list[float]] = {m: [] for m in modules}
    for i in range(opts.import_runs):
        # Interleave the two and swap their order every round, so drift in
        # machine load hits both alike.
        order = modules if i % 2 == 0 else modules[::-1]
        for module in order:
            wall_s, cpu_s = time_import(module, opts.app_dir, env)
            wall[module].append(wall_s * 1000.0)
            cpu[module].append(cpu_s * 1000.0)
    boto3_ms, app_ms = median(wall["boto3"]), median(wall["app"])
    added = added_ratio(boto3_ms, app_ms)
    added_cpu = added_ratio(median(cpu["boto3"]), median(cpu["app"]))
    budget = opts.import_budget_percent / 100.0
    ok = added <= budget
    data = {
        "runs": opts.import_runs,
        "boto3_ms": summarize(wall["boto3"]),
        "app_ms": summarize(wall["app"]),
        "added_ratio": round(added, 4),
        "budget_added_ratio": budget,
        "ok": ok,
        "cpu": {
            "boto3_ms": summarize(cpu["boto3"]),
            "app_ms": summarize(cpu["app"]),
            "added_ratio": round(added_cpu, 4),
        },
        "samples_ms": {m: [round(v, 3) for v in wall[m]] for m in modules},
    }
    rows = [
        Row(f"import boto3 (median of {opts.import_runs})", f"{boto3_ms:.1f} ms"),
        Row(f"import app (median of {opts.import_runs})", f"{app_ms:.1f} ms"),
        Row("import app added over boto3", f"{added * 100:+.1f} %", f"<= {opts.import_budget_percent:g} %", ok),
        Row("import app added over boto3 (CPU time)", f"{added_cpu * 100:+.1f} %"),
    ]
    return SectionResult(data, rows)


# ---------------------------------------------------------------------------
# requests: warm per-request CPU time in-process (moto + chalice.test.Client)
# ---------------------------------------------------------------------------


def requests_section(opts: Options) -> SectionResult:
    # Imported here because it pulls in moto and the app; the other sections
    # should run (and fail clearly) without them.
    from tooling.bench import api_requests  # noqa: PLC0415

    try:
        data, rows = api_requests.run(
            app_dir=opts.app_dir,
            stage=opts.stage,
            warmup=opts.warmup,
            count=opts.requests,
            env=bench_env(os.environ, **APP_SETTINGS),
        )
    except api_requests.RequestsBenchError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in rows])


def handlers_section(opts: Options) -> SectionResult:
    from tooling.bench import handlers  # noqa: PLC0415 (imports moto and the app)

    try:
        data = handlers.measure(
            handlers.Options(
                zip_path=opts.zip_path,
                app_dir=opts.app_dir,
                init_runs=opts.init_runs,
                warm_invocations=opts.warm_invocations,
                env=bench_env(os.environ),
            )
        )
    except handlers.HandlerBenchError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in handlers.rows(data)])


def executor_section(opts: Options) -> SectionResult:
    from tooling.bench import local_cloud  # noqa: PLC0415 (imports moto through the local cloud)

    data, rows = local_cloud.executor_rows()
    return SectionResult(data, [Row(*row) for row in rows])


def localcloud_section(opts: Options) -> SectionResult:
    from tooling.bench import local_cloud  # noqa: PLC0415

    try:
        data, rows = local_cloud.deploy_and_load_rows()
    except RuntimeError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in rows])


def reload_section(opts: Options) -> SectionResult:
    from tooling.bench import hot_reload  # noqa: PLC0415 (starts a local cloud; only this section needs it)

    if not opts.zip_path.is_file():
        raise SectionError(f"{opts.zip_path} is missing: make build first")
    try:
        data, rows = hot_reload.reload_rows(opts.zip_path)
    except RuntimeError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in rows])


SECTIONS: dict[str, Section] = {
    "zip": zip_section,
    "import": import_section,
    "requests": requests_section,
    "handlers": handlers_section,
    "executor": executor_section,
    "localcloud": localcloud_section,
    "reload": reload_section,
}


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def run_sections(names: Iterable[str], opts: Options) -> dict[str, SectionResult | str]:
    """Run each section; a failure becomes its error message, never a fake figure."""
    results: dict[str, SectionResult | str] = {}
    for name in names:
        started = time.perf_counter()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = SECTIONS[name](opts)
        except SectionError as exc:
            results[name] = str(exc)
        except Exception as exc:  # one broken section must not hide the others' figures
            traceback.print_exc()
            results[name] = f"{type(exc).__name__}: {exc}"
        print(f"bench: {name} done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return results


def relative(path: Path) -> str:
    """``path`` relative to the working directory when it is under it, for messages and the results file."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
