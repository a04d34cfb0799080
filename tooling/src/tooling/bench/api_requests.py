"""Warm per-request CPU time of the API, in-process.

The app runs through ``chalice.test.Client`` against moto's ``mock_aws``
with the events table created as Terraform creates it. Three views of each
request are reported:

- ``cpu_ms``: all CPU of the request, moto's in-process DynamoDB included.
  moto's transact_write_items deep-copies the table for every item of the
  transaction, so this part grows with the table and, by the end of the
  run, dwarfs the app.
- ``app_cpu_ms``: the same minus the CPU spent inside moto. This is the
  app's own cost (routing, validation, serialisation, building the boto3
  call) and the figure to watch for regressions.
- ``wall_ms``: wall clock, for completeness.

``baseline_moto`` (bare put_item/get_item against the same mock) shows what
one moto call costs by itself. None of this is Lambda's billed duration:
real DynamoDB costs the function network wait, not CPU.

It lives apart from the other sections because it imports moto and the app, which they
must not need.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from chalice.test import Client
from moto import mock_aws

from tooling.bench.stats import summarize

# The unit tests' table definition (as Terraform defines it) is the one the bench uses too.
from tooling.moto_stack import create_table
from tooling.repository import import_service_code

# (metric, value, budget, ok): the sections turn these into table rows. The
# issue sets no per-request budget, so ok is always None (reported only).
RowTuple = tuple[str, str, str, bool | None]

_EVENT_ID_PATH = re.compile(r"^(?P<base>.*/events)/\{(?P<param>[^}]+)\}$")


class RequestsBenchError(Exception):
    """The requests cannot be measured (app missing, route missing, wrong status)."""


@contextlib.contextmanager
def patched_environ(env: Mapping[str, str]) -> Iterator[None]:
    """Use ``env`` as os.environ for the duration; restore it afterwards."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send fd 1 to /dev/null while requests run.

    The app logs structured JSON per request. We keep the cost of writing it,
    because Lambda pays it too, but not the 600 lines in the bench output. This
    works at the fd level because a logger may hold the original sys.stdout.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def find_routes(app: Any) -> tuple[str, str, str]:
    """(POST events path, GET one-event path template, its parameter name).

    The paths are found from the app's routes rather than hard-coded, so a
    change in the contract's version prefix does not break the bench.
    """
    routes: Mapping[str, Mapping[str, Any]] = app.routes
    posts = [p for p, methods in routes.items() if p.endswith("/events") and "POST" in methods]
    gets = [(p, m) for p in routes if "GET" in routes[p] and (m := _EVENT_ID_PATH.match(p))]
    if len(posts) != 1 or len(gets) != 1:
        raise RequestsBenchError(
            "expected one POST .../events and one GET .../events/{id} route; "
            f"the app has: {', '.join(f'{m} {p}' for p in sorted(routes) for m in sorted(routes[p]))}"
        )
    get_path, match = gets[0]
    if match.group("base") != posts[0]:
        raise RequestsBenchError(f"POST {posts[0]} and GET {get_path} do not share a prefix")
    return posts[0], get_path, match.group("param")


@dataclass
class MotoMeter:
    """CPU seconds spent inside moto's request handling, accumulated."""

    cpu: float = 0.0


@contextlib.contextmanager
def metered_moto() -> Iterator[MotoMeter | None]:
    """Count the CPU that moto spends serving each AWS call.

    moto's DynamoDB emulation is far from free: transact_write_items
    deep-copies the whole table once per item of the transaction, so its
    cost grows with every event written. Real DynamoDB costs the Lambda only
    network wait. Subtracting moto's share gives the app's own CPU.
    BotocoreStubber.process_request is the single entry point of every
    mocked call. If a moto upgrade moves it, we yield None and report only
    the totals rather than a wrong split.
    """
    try:
        stubber = importlib.import_module("moto.core.botocore_stubber").BotocoreStubber
    except (ImportError, AttributeError):
        stubber = None
    original = getattr(stubber, "process_request", None)
    if original is None:
        yield None
        return
    meter = MotoMeter()

    @functools.wraps(original)
    def process_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            meter.cpu += time.process_time() - c0

    setattr(stubber, "process_request", process_request)  # noqa: B010 - mypy rejects assigning a method
    try:
        yield meter
    finally:
        setattr(stubber, "process_request", original)  # noqa: B010


def measure(
    call: Callable[[int], Any],
    check: Callable[[Any], None],
    start: int,
    count: int,
    meter: MotoMeter | None = None,
) -> dict[str, Any]:
    """Time ``count`` calls. CPU (process_time) and wall clock, in ms, per call.

    The response check runs outside the timed region. It makes sure that
    every timed request really succeeded, so an error path is never
    reported as the fast path. With a meter, moto's share is also reported
    and subtracted (``app_cpu_ms``).
    """
    cpu: list[float] = []
    wall: list[float] = []
    moto: list[float] = []
    for i in range(start, start + count):
        m0 = meter.cpu if meter else 0.0
        c0 = time.process_time()
        w0 = time.perf_counter()
        response = call(i)
        w1 = time.perf_counter()
        c1 = time.process_time()
        m1 = meter.cpu if meter else 0.0
        check(response)
        cpu.append((c1 - c0) * 1000.0)
        wall.append((w1 - w0) * 1000.0)
        moto.append((m1 - m0) * 1000.0)
    result: dict[str, Any] = {"cpu_ms": summarize(cpu), "wall_ms": summarize(wall)}
    if meter is not None:
        result["moto_cpu_ms"] = summarize(moto)
        result["app_cpu_ms"] = summarize([c - m for c, m in zip(cpu, moto, strict=True)])
    return result


def _expect(statuses: tuple[int, ...], what: str) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        if response.status_code not in statuses:
            body = response.body.decode(errors="replace")[:500]
            raise RequestsBenchError(f"{what} answered {response.status_code}, expected {statuses}: {body}")

    return check


def _event_id(response: Any) -> str:
    body = response.json_body or {}
    event_id = body.get("id") if isinstance(body, dict) else None
    if isinstance(event_id, str):
        return event_id
    location = response.headers.get("Location") or response.headers.get("location") or ""
    if location:
        return str(location.rstrip("/").rsplit("/", 1)[-1])
    raise RequestsBenchError(f"POST response carries no event id: {response.body[:300]!r}")


def run(
    app_dir: Path, stage: str, warmup: int, count: int, env: Mapping[str, str]
) -> tuple[dict[str, Any], list[RowTuple]]:
    """Measure POST and GET of one event; returns (section data, table rows)."""
    if not (app_dir / "app.py").is_file():
        raise RequestsBenchError(f"{app_dir / 'app.py'} not found: the app must exist to be measured")
    table = env.get("EVENTS_TABLE_NAME") or "bench-events"
    with patched_environ({**env, "EVENTS_TABLE_NAME": table}), mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_table(dynamodb, table)
        # Imported inside the mock, so that even a client built at import
        # time talks to moto.
        app = load_app(app_dir)
        with (
            Client(app, stage_name=stage, project_dir=str(app_dir)) as client,
            metered_moto() as meter,
            quiet_stdout(),
        ):
            api = _measure_api(client, app, warmup, count, meter)
            baseline = _baseline(dynamodb, table, warmup, count)
    data: dict[str, Any] = {
        "warmup": warmup,
        "measured": count,
        **api,
        "baseline_moto": baseline,
        "note": (
            "in-process chalice.test.Client + moto mock_aws; cpu_ms includes moto's DynamoDB emulation, "
            "app_cpu_ms subtracts the CPU spent inside moto (the app's own cost)"
        ),
    }
    return data, _rows(data)


def load_app(app_dir: Path) -> Any:
    """Import app.py from ``app_dir`` and return its Chalice object."""
    import_service_code(app_dir)
    try:
        module = importlib.import_module("app")
    except Exception as exc:
        raise RequestsBenchError(f"importing {app_dir / 'app.py'} failed: {type(exc).__name__}: {exc}") from exc
    # Another module called `app` already imported (tests, a plugin) would
    # be silently measured instead.
    if Path(getattr(module, "__file__", "") or "").resolve() != (app_dir / "app.py").resolve():
        raise RequestsBenchError(f"imported the wrong `app` module: {getattr(module, '__file__', None)}")
    return module.app


def _measure_api(client: Any, app: Any, warmup: int, count: int, meter: MotoMeter | None) -> dict[str, Any]:
    post_path, get_template, param = find_routes(app)
    headers = {"content-type": "application/json", "x-api-key": "bench"}
    ids: list[str] = []

    def post(i: int) -> Any:
        body = {"type": "order.created", "subject": f"order-{i % 10}", "source": "bench", "data": {"n": i}}
        response = client.http.post(post_path, headers=headers, body=json.dumps(body).encode())
        if response.status_code in (200, 201):
            ids.append(_event_id(response))
        return response

    def get(i: int) -> Any:
        path = get_template.replace("{" + param + "}", ids[i % len(ids)])
        return client.http.get(path, headers={"x-api-key": "bench"})

    check_post = _expect((201,), f"POST {post_path}")
    check_get = _expect((200,), f"GET {get_template}")
    measure(post, check_post, 0, warmup)
    post_stats = measure(post, check_post, warmup, count, meter)
    measure(get, check_get, 0, warmup)
    get_stats = measure(get, check_get, warmup, count, meter)
    return {
        "post_event": {"method": "POST", "path": post_path, **post_stats},
        "get_event": {"method": "GET", "path": get_template, **get_stats},
    }


def _rows(data: Mapping[str, Any]) -> list[RowTuple]:
    rows: list[RowTuple] = []
    for key in ("post_event", "get_event"):
        label = f"{data[key]['method']} {data[key]['path']}"
        cpu = data[key]["cpu_ms"]
        wall = data[key]["wall_ms"]
        rows.append((f"{label} CPU median / p99", f"{cpu['median']:.2f} / {cpu['p99']:.2f} ms", "-", None))
        if "app_cpu_ms" in data[key]:
            app = data[key]["app_cpu_ms"]
            rows.append((f"{label} CPU excl. moto", f"{app['median']:.2f} / {app['p99']:.2f} ms", "-", None))
        rows.append((f"{label} wall median / p99", f"{wall['median']:.2f} / {wall['p99']:.2f} ms", "-", None))
    for op in ("put_item", "get_item"):
        cpu = data["baseline_moto"][op]["cpu_ms"]
        rows.append((f"baseline moto {op} CPU median", f"{cpu['median']:.2f} ms", "-", None))
    return rows


def _baseline(dynamodb: Any, table: str, warmup: int, count: int) -> dict[str, Any]:
    """Bare boto3 calls against the same mock: the floor under the figures above."""

    def put(i: int) -> Any:
        return dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": f"bench-baseline#{i}"}, "sk": {"S": "event"}, "n": {"N": str(i)}},
        )

    def get(i: int) -> Any:
        return dynamodb.get_item(TableName=table, Key={"pk": {"S": f"bench-baseline#{i}"}, "sk": {"S": "event"}})

    def ok(response: Any) -> None:
        if response["ResponseMetadata"]["HTTPStatusCode"] != 200:
            raise RequestsBenchError(f"baseline call failed: {response}")

    measure(put, ok, 0, warmup)
    put_stats = measure(put, ok, warmup, count)
    measure(get, ok, 0, warmup)
    get_stats = measure(get, ok, warmup, count)
    return {"put_item": put_stats, "get_item": get_stats}
