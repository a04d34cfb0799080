"""Cold start and warm duration of every Lambda handler, from the deployment zip.

For each function in ``build/lambda/handlers.json`` this starts fresh Python
processes in the unpacked zip (``handler_child``) against a moto server
on a free port holding the resources Terraform creates, and measures:

- **init**: importing the handler's module in a fresh process, which is what
  Lambda's init phase runs. The zip ships no bytecode and Lambda's
  ``/var/task`` is read-only, so the zip's modules are compiled on every cold
  start there too; boto3 comes precompiled with the runtime, as in the venv.
- **first invocation**: the call right after init, which pays the lazy
  imports and the first boto3 clients (``chalicelib.components`` defers both).
- **warm invocations** with a representative event: a ``POST /v1/events``
  proxy event for ``api``; for the batch consumers, batches of 1 and of 10
  records made from events really accepted into the table (the publisher gets
  the table stream's own records, the processor, sequencer, analytics and
  notifier the fan-out message of those events); a scheduled event for the
  reconciler with pending events in the table.

Each invocation reports wall and CPU milliseconds, log bytes, AWS calls by
operation and DynamoDB request units (see the child). The events are made by
this process before the child starts, so nothing warms the child's imports
ahead of the measured init. CPU time is the figure the cost model scales by
Lambda's memory-to-CPU allocation; wall time here includes moto's own work,
which real services do not charge to the function's CPU.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from tooling.bench.api_requests import patched_environ
from tooling.bench.stats import summarize

# The unit tests' resources are the bench's too.
from tooling.moto_stack import (
    MotoStack,
    api_event,
    create_moto_stack,
    kinesis_record,
    sns_event,
    sqs_event_from_bodies,
)
from tooling.repository import import_service_code

# Run by path, as a script: the child imports nothing of this package (see its docstring).
CHILD = Path(__file__).resolve().with_name("handler_child.py")

BATCH_CONSUMERS = ("publisher", "processor", "sequencer", "analytics")
BATCH_SIZES = (1, 10)
CHILD_TIMEOUT_S = 300
# The level prod runs at; the log bytes measured depend on it.
LOG_LEVEL = "INFO"

Row = tuple[str, str, str, "bool | None"]
Invocation = tuple[str, dict[str, Any]]


class HandlerBenchError(Exception):
    """A handler could not be measured; the message says which and why."""


@dataclass(frozen=True)
class Options:
    zip_path: Path
    app_dir: Path
    init_runs: int
    warm_invocations: int
    env: dict[str, str]


# -- the resources and the events ------------------------------------------------------------


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 (only this section needs moto's server)

    # werkzeug logs every request at INFO; the bench's output is its table.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class EventFactory:
    """Accepts events into the table through the app's own service, and shapes them as each source delivers them."""

    def __init__(self, cloud: MotoStack, app_dir: Path) -> None:
        import_service_code(app_dir)
        from chalicelib.events import NewEvent, canonical_json  # noqa: PLC0415 (the app under test)
        from chalicelib.keys import KeyStore  # noqa: PLC0415
        from chalicelib.publishing import message_group_id  # noqa: PLC0415
        from chalicelib.repository import EventsRepository  # noqa: PLC0415
        from chalicelib.service import EventService  # noqa: PLC0415

        self._cloud = cloud
        self._new_event = NewEvent
        self._canonical = canonical_json
        self._group = message_group_id
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        self._service = EventService(
            EventsRepository(dynamodb, cloud.table), KeyStore(dynamodb, cloud.table), idempotency_ttl_seconds=86_400
        )
        self._streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        self._seen_stream_records: set[str] = set()
        self._count = 0

    @staticmethod
    def body(index: int, subject: str, event_type: str = "order.created") -> dict[str, Any]:
        return {
            "type": event_type,
            "subject": subject,
            "source": "bench",
            "data": {"order": index, "total": 12.5, "currency": "EUR", "items": [{"sku": "A-1", "qty": 2}]},
        }

    def accept(self, count: int, subject: str | None = None, event_type: str = "order.created") -> list[str]:
        """Accept ``count`` events (one subject when given) and return their fan-out messages."""
        subject = subject or f"bench-{uuid.uuid4().hex[:8]}"
        messages = []
        for _ in range(count):
            self._count += 1
            new = self._new_event.from_body(self.body(self._count, subject, event_type))
            event, _created = self._service.create(new, None)
            messages.append(self._canonical(event.to_message()))
        return messages

    def new_stream_records(self) -> list[dict[str, Any]]:
        """The table stream's records not handed out yet, as the publisher's mapping delivers them."""
        arn = self._cloud.table_stream_arn
        records = []
        for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for record in self._streams.get_records(ShardIterator=iterator)["Records"]:
                number = record["dynamodb"]["SequenceNumber"]
                if number in self._seen_stream_records:
                    continue
                self._seen_stream_records.add(number)
                record["dynamodb"].pop("ApproximateCreationDateTime", None)
                record["eventSourceARN"] = arn
                records.append(record)
        return records

    def group(self, subject: str) -> str:
        return str(self._group(subject))


def plan(name: str, factory: EventFactory, cloud: MotoStack, warm: int) -> list[Invocation]:
    """The first (cold) invocation and the warm ones, each with an event of its own."""
    makers: dict[str, Callable[[int], dict[str, Any]]] = {
        "api": lambda _n: api_event(factory.body(0, f"bench-{uuid.uuid4().hex[:4]}")),
        "publisher": lambda n: (factory.accept(n), {"Records": factory.new_stream_records()})[1],
        "processor": lambda n: sqs_event_from_bodies(cloud.standard_queue_arn, factory.accept(n)),
        "sequencer": lambda n: _fifo_event(factory, cloud, n),
        "analytics": lambda n: _kinesis_event(factory, n),
        "notifier": lambda _n: sns_event(
            cloud.standard_topic_arn, factory.accept(1, event_type="alert.fraud")[0], {"type": "alert.fraud"}
        ),
        "reconciler": lambda _n: _scheduled_event(factory),
    }
    if name not in makers:
        raise HandlerBenchError(
            f"no representative event for function {name!r}; add one to tooling.bench.handlers.plan"
        )
    make = makers[name]
    sizes = BATCH_SIZES if name in BATCH_CONSUMERS else (1,)
    invocations: list[Invocation] = [("first", make(1))]
    for size in sizes:
        invocations += [(f"records={size}", make(size)) for _ in range(warm)]
    return invocations


def _fifo_event(factory: EventFactory, cloud: MotoStack, count: int) -> dict[str, Any]:
    subject = f"bench-{uuid.uuid4().hex[:8]}"
    return sqs_event_from_bodies(cloud.fifo_queue_arn, factory.accept(count, subject), group=factory.group(subject))


def _kinesis_event(factory: EventFactory, count: int) -> dict[str, Any]:
    subject = f"bench-{uuid.uuid4().hex[:8]}"
    messages = factory.accept(count, subject)
    return {
        "Records": [kinesis_record(m.encode(), subject, f"{index:056d}") for index, m in enumerate(messages, start=1)]
    }


def _scheduled_event(factory: EventFactory) -> dict[str, Any]:
    # Recent, still pending events: the reconciler looks at them and leaves them alone.
    factory.accept(5)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench-reconciler"],
        "detail": {},
    }


# -- running the children ----------------------------------------------------------------------


def run_child(task_root: Path, handler: str, invocations: list[Invocation], env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-handler-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"handler": handler, "invocations": invocations}))
        proc = subprocess.run(
            [sys.executable, "-I", str(CHILD), str(job), str(result)],
            cwd=task_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0 or not result.is_file():
            raise HandlerBenchError(f"{handler} failed in its bench process:\n{(proc.stderr or proc.stdout)[-2000:]}")
        loaded: dict[str, Any] = json.loads(result.read_text())
    return loaded


def _check(name: str, invocation: dict[str, Any]) -> None:
    if invocation["failures"] or invocation["status"] not in (None, 201):
        raise HandlerBenchError(
            f"{name}'s representative event failed ({invocation['label']}: status {invocation['status']}, "
            f"{invocation['failures']} batch item failures): the figures would measure an error path"
        )


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3)


def aggregate(name: str, handler: str, inits: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    for invocation in run["invocations"]:
        _check(name, invocation)
    first = run["invocations"][0]
    batches = []
    labels = sorted({i["label"] for i in run["invocations"][1:]}, key=lambda label: int(label.split("=")[1]))
    for label in labels:
        group = [i for i in run["invocations"][1:] if i["label"] == label]
        operations = sorted({op for i in group for op in i["calls"]})
        batches.append(
            {
                "records": int(label.split("=")[1]),
                "wall_ms": summarize([i["wall_ms"] for i in group]),
                "cpu_ms": summarize([i["cpu_ms"] for i in group]),
                "log_bytes": _mean([i["log_bytes"] for i in group]),
                "calls": {op: _mean([i["calls"].get(op, 0) for i in group]) for op in operations},
                "dynamodb_units": {
                    kind: _mean([i["dynamodb_units"][kind] for i in group]) for kind in ("read", "write")
                },
            }
        )
    return {
        "handler": handler,
        "init": {
            "wall_ms": summarize([i["wall_ms"] for i in inits]),
            "cpu_ms": summarize([i["cpu_ms"] for i in inits]),
        },
        "first_invocation": {"wall_ms": summarize([first["wall_ms"]]), "cpu_ms": summarize([first["cpu_ms"]])},
        "batches": batches,
    }


def measure(opts: Options) -> dict[str, Any]:
    handlers_file = opts.zip_path.with_name("handlers.json")
    if not opts.zip_path.is_file() or not handlers_file.is_file():
        raise HandlerBenchError(f"{opts.zip_path} or its handlers.json is missing: run `make build` first")
    handlers: dict[str, str] = json.loads(handlers_file.read_text())
    functions: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-task-") as task, moto_server() as endpoint:
        task_root = Path(task)
        with zipfile.ZipFile(opts.zip_path) as zf:
            zf.extractall(task_root)
        for name, handler in handlers.items():
            requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
            with patched_environ({**opts.env, "AWS_ENDPOINT_URL": endpoint}):
                cloud = create_moto_stack()
                factory = EventFactory(cloud, opts.app_dir)
                invocations = plan(name, factory, cloud, opts.warm_invocations)
            child_env = {
                **opts.env,
                **cloud.environment(),
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": f"bench-{name}",
                "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
                "PYTHONDONTWRITEBYTECODE": "1",
            }
            child_env.pop("PYTHONPYCACHEPREFIX", None)
            inits = [run_child(task_root, handler, [], child_env)["init"] for _ in range(opts.init_runs)]
            run = run_child(task_root, handler, invocations, child_env)
            functions[name] = aggregate(name, handler, [*inits, run["init"]], run)
    return {"python": ".".join(map(str, sys.version_info[:3])), "log_level": LOG_LEVEL, "functions": functions}


def rows(data: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for name, figures in data["functions"].items():
        init = figures["init"]
        out.append((f"{name}: init (import), median", f"{init['wall_ms']['median']:.0f} ms", "-", None))
        out.append(
            (f"{name}: first invocation", f"{figures['first_invocation']['wall_ms']['median']:.1f} ms", "-", None)
        )
        for batch in figures["batches"]:
            out.append(
                (
                    f"{name}: warm, {batch['records']} record(s), median / p99",
                    f"{batch['wall_ms']['median']:.1f} / {batch['wall_ms']['p99']:.1f} ms "
                    f"(CPU {batch['cpu_ms']['median']:.1f} ms)",
                    "-",
                    None,
                )
            )
    return out
