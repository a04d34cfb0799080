#!/usr/bin/env python3
"""Measure the deployment's cost figures and check them against their budgets.

    python scripts/bench.py --out build/bench/results.json [--sections zip,import]

Each figure belongs to a *section*. A section is a function that takes the
options and returns its data (the JSON object stored under its name in the
results file) and its table rows. To add one (issue 4's local-cloud
figures, for example), write ``def my_section(opts: Options) ->
SectionResult`` (in its own ``scripts/bench_<name>.py`` if it is large) and
add it to ``SECTIONS``. The table, the results file and the exit status pick
it up with no other change.

Exit status: 0 when every budget holds, 1 when a budget is exceeded, 2 when
a section could not be measured (its error is in the table and the file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_stats import added_ratio, median, summarize

REPO = Path(__file__).resolve().parent.parent
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
        raise SectionError(f"{_rel(path)} not found: run `make build` first")
    size = path.stat().st_size
    mib = size / MIB
    ok = mib <= opts.zip_budget_mib
    data: dict[str, Any] = {
        "path": _rel(path),
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
# from being parsed as the figure.
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
        raise SectionError(f"{_rel(opts.app_dir / 'app.py')} not found: the app module must exist to be measured")
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
    import bench_requests  # noqa: PLC0415

    try:
        data, rows = bench_requests.run(
            app_dir=opts.app_dir,
            stage=opts.stage,
            warmup=opts.warmup,
            count=opts.requests,
            env=bench_env(os.environ, **APP_SETTINGS),
        )
    except bench_requests.RequestsBenchError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in rows])


def handlers_section(opts: Options) -> SectionResult:
    import bench_handlers  # noqa: PLC0415 (imports moto and the app)

    try:
        data = bench_handlers.measure(
            bench_handlers.Options(
                zip_path=opts.zip_path,
                app_dir=opts.app_dir,
                init_runs=opts.init_runs,
                warm_invocations=opts.warm_invocations,
                env=bench_env(os.environ),
            )
        )
    except bench_handlers.HandlerBenchError as exc:
        raise SectionError(str(exc)) from exc
    return SectionResult(data, [Row(*row) for row in bench_handlers.rows(data)])


def executor_section(opts: Options) -> SectionResult:
    import bench_localcloud  # noqa: PLC0415 (imports moto through the local cloud)

    data, rows = bench_localcloud.executor_rows()
    return SectionResult(data, [Row(*row) for row in rows])


def localcloud_section(opts: Options) -> SectionResult:
    import bench_localcloud  # noqa: PLC0415

    try:
        data, rows = bench_localcloud.deploy_and_load_rows()
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
}


# ---------------------------------------------------------------------------
# Running, printing, writing
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


def render_table(results: Mapping[str, SectionResult | str]) -> str:
    header = Row("metric", "value", "budget", None)
    lines: list[tuple[str, str, str, str]] = [(header.metric, header.value, header.budget, "ok")]
    for name, result in results.items():
        if isinstance(result, str):
            first = result.splitlines()[0] if result else "failed"
            lines.append((f"{name}: ERROR", first, "-", "ERROR"))
            continue
        for row in result.rows:
            verdict = "-" if row.ok is None else ("yes" if row.ok else "NO")
            lines.append((row.metric, row.value, row.budget, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = []
    for idx, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if idx == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def results_document(results: Mapping[str, SectionResult | str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "meta": {
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
        }
    }
    for name, result in results.items():
        doc[name] = {"error": result} if isinstance(result, str) else result.data
    return doc


def exit_status(results: Mapping[str, SectionResult | str]) -> int:
    if any(isinstance(r, str) for r in results.values()):
        return 2
    if any(r.ok is False for r in results.values() if isinstance(r, SectionResult)):
        return 1
    return 0


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Atomic write, so a reader never sees a half-written results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(doc, handle, indent=2, sort_keys=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Measure zip size, import time and per-request CPU against budgets.")
    parser.add_argument("--out", type=Path, default=REPO / "build/bench/results.json", help="results JSON path")
    parser.add_argument("--zip", type=Path, default=REPO / "build/lambda/deployment.zip", help="the built Lambda zip")
    parser.add_argument("--app", type=Path, default=REPO / "chalice_app", help="Chalice project directory")
    parser.add_argument("--stage", default="dev", help="Chalice stage for the test client (default: dev)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of: {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--import-runs", type=int, default=15, help="fresh interpreters per module (default: 15)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per endpoint (default: 20)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint (default: 300)")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes per handler for init (default: 5)")
    parser.add_argument(
        "--warm-invocations", type=int, default=20, help="warm invocations per handler and batch size (default: 20)"
    )
    parser.add_argument("--zip-budget-mib", type=float, default=5.0)
    parser.add_argument("--import-budget-percent", type=float, default=50.0)
    args = parser.parse_args(None if argv is None else list(argv))
    unknown = [s for s in args.sections.split(",") if s and s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    for name in ("import_runs", "requests", "init_runs", "warm_invocations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    opts = Options(
        zip_path=args.zip,
        app_dir=args.app.resolve(),
        stage=args.stage,
        import_runs=args.import_runs,
        warmup=max(0, args.warmup),
        requests=args.requests,
        zip_budget_mib=args.zip_budget_mib,
        import_budget_percent=args.import_budget_percent,
        cache_dir=out.resolve().parent / ".cache",
        init_runs=args.init_runs,
        warm_invocations=args.warm_invocations,
    )
    names = [s for s in args.sections.split(",") if s]
    results = run_sections(names, opts)
    print(render_table(results))
    write_json(out, results_document(results))
    status = exit_status(results)
    for name, result in results.items():
        if isinstance(result, str):
            print(f"\n{name}: {result}", file=sys.stderr)
    print(f"\nwrote {_rel(out)}", "(a budget is exceeded)" if status == 1 else "", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
