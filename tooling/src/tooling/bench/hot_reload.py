"""The hot-reload figure for `make bench`: from a save to the new code answering.

A local cloud in this process (its own free port) gets the seven functions of the stack, made
from the built zip with a copy of the app to which a small handler is added (it answers a marker
string and the process id of its init). ``make watch``'s own loop (``tooling.watch``) watches the
copy at its default poll interval. Each round writes a new marker into ``app.py`` and invokes the
``api`` function until it answers that marker: the time from the write to that answer is the
figure (detection, the zip, seven UpdateFunctionCode calls, a new worker and its init).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from localcloud.testing import running_cloud, wait_until_active
from tooling.bench.stats import summarize
from tooling.repository import APP_DIR
from tooling.watch.__main__ import watch
from tooling.watch.reload import Reloader, app_zip, snapshot

BUDGET_SECONDS = 2.0
ROUNDS = 5
POLL_SECONDS = 0.2  # make watch's default
FUNCTIONS = ("analytics", "api", "notifier", "processor", "publisher", "reconciler", "sequencer")
MARKER_HANDLER = """

import os as _bench_os
_BENCH_INIT_PID = _bench_os.getpid()
_BENCH_MARKER = "{marker}"


def bench_marker(event, context):
    return {{"marker": _BENCH_MARKER, "init_pid": _BENCH_INIT_PID}}
"""

Row = tuple[str, str, str, "bool | None"]


def _write_marker(app_dir: Path, marker: str) -> None:
    source = (APP_DIR / "app.py").read_text(encoding="utf-8")
    (app_dir / "app.py").write_text(source + MARKER_HANDLER.format(marker=marker), encoding="utf-8")


def _answer(lambda_client: Any, name: str) -> dict[str, Any]:
    reply = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    answer: dict[str, Any] = json.loads(reply["Payload"].read())
    return answer


def reload_rows(zip_path: Path) -> tuple[dict[str, Any], list[Row]]:
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp_name:
        tmp = Path(tmp_name)
        app_dir = tmp / "chalice_app"
        shutil.copytree(APP_DIR, app_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (tmp / "contracts").mkdir()
        _write_marker(app_dir, "start")
        with running_cloud(tmp, tmp) as cloud:
            lambda_client = cloud.client("lambda")
            names = {short: f"bench-{short}" for short in FUNCTIONS}
            code = app_zip(app_dir, zip_path)
            for name in names.values():
                lambda_client.create_function(
                    FunctionName=name,
                    Runtime="python3.13",
                    Role=cloud.role(),
                    Handler="app.bench_marker",
                    Code={"ZipFile": code},
                    Timeout=30,
                )
                wait_until_active(lambda_client, name)
                _answer(lambda_client, name)  # warm, as a deployed stack in use is
            reloader = Reloader(app_dir, tmp / "contracts", zip_path, lambda_client, names)
            lines: list[str] = []
            stop = threading.Event()
            rounds = int(60 / POLL_SECONDS)
            loop = threading.Thread(
                target=watch, args=(reloader, POLL_SECONDS, lines.append, rounds, snapshot(reloader.roots()), stop)
            )
            loop.start()
            seconds = []
            try:
                for n in range(ROUNDS):
                    marker = f"round-{n}"
                    started = time.perf_counter()
                    _write_marker(app_dir, marker)
                    while _answer(lambda_client, names["api"]).get("marker") != marker:
                        if time.perf_counter() - started > 30:
                            raise RuntimeError(f"the new code did not answer within 30 s: {lines[-1:]}")
                        time.sleep(0.02)
                    seconds.append(time.perf_counter() - started)
                    time.sleep(POLL_SECONDS * 2)  # let the loop take its snapshot of this save
            finally:
                stop.set()
                loop.join(10)
    stats = summarize([s * 1000 for s in seconds])
    data = {"rounds": ROUNDS, "functions": len(FUNCTIONS), "poll_seconds": POLL_SECONDS, "save_to_answer_ms": stats}
    worst = max(seconds)
    rows: list[Row] = [
        (
            "hot reload, save to new code answering (median)",
            f"{stats['median']:.0f} ms",
            f"< {BUDGET_SECONDS:g} s",
            stats["median"] < BUDGET_SECONDS * 1000,
        ),
        (f"hot reload, worst of {ROUNDS} ({len(FUNCTIONS)} functions)", f"{worst * 1000:.0f} ms", "-", None),
    ]
    return data, rows
