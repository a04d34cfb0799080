"""make status: one screen for a deployed environment, and an exit code cron and CI can use.

What it shows, all read from the environment's own APIs through ``outputs.json`` (so the same
for the local cloud, LocalStack and AWS):

- **functions**: invocations in the window (the ``REPORT`` lines Lambda writes once per
  invocation), errors, and the last error line. Read from the logs rather than CloudWatch
  metrics because every target writes logs while emulators publish no Lambda metrics.
- **queues**: each work queue and dead-letter queue, messages waiting and in flight, and the
  age of the oldest (SQS publishes that as a CloudWatch metric only; "-" where there is none).
- **event source mappings**: state and last processing result, and the stream mappings'
  iterator age (a metric too).
- **alarms** of this stack in state ALARM, and **the reconciler's last run** (its last START line).
- **not emulated**: against the project's local cloud, the deployed settings it stores but does
  not act on (its health answer lists them), so a difference from AWS is never silent.
- **state saves**: against the project's local cloud, whether it can save its state (its health
  answer counts the saves that failed in a row): if not, a restart brings back an older state.

The exit code is 1 when a dead-letter queue (or the stream mappings' failure queue) holds
messages, an alarm of this stack fires or the local cloud cannot save its state: something needs
an operator (``make redrive``, ``make replay-failures``, the local cloud's log). Otherwise 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from localcloud.daemon import health
from tooling.ops.logs import LogLine, log_groups, read, since_ms
from tooling.ops.target import Target, TargetError

# outputs.json key -> (label, is a dead-letter queue)
QUEUES = {
    "standard_queue_url": ("processor queue", False),
    "fifo_queue_url": ("sequencer queue", False),
    "standard_dlq_url": ("processor DLQ", True),
    "fifo_dlq_url": ("sequencer DLQ", True),
    "function_dlq_url": ("function DLQ", True),
    "stream_failure_queue_url": ("stream failures", True),
}
# The first line of each error record: Powertools' JSON error records (their traceback inside), the
# runtime's unhandled exception ("[ERROR] <type>: ...", its traceback on the lines after), a timeout
# or a crash. Traceback lines themselves are not counted, so one failure is one error.
_ERROR_MARKS = ('"level":"ERROR"', '"level": "ERROR"', "[ERROR]", "Task timed out", "Runtime exited")
METRIC_LOOKBACK = timedelta(minutes=5)


@dataclass
class FunctionStatus:
    name: str
    invocations: int = 0
    errors: int = 0
    last_error: LogLine | None = None
    last_start: LogLine | None = None


@dataclass(frozen=True)
class QueueStatus:
    label: str
    name: str
    dead_letter: bool
    waiting: int
    in_flight: int
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class MappingStatus:
    function: str
    source: str
    state: str
    last_result: str
    iterator_age_ms: float | None


@dataclass
class Status:
    window: timedelta
    functions: list[FunctionStatus] = field(default_factory=list)
    queues: list[QueueStatus] = field(default_factory=list)
    mappings: list[MappingStatus] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    unemulated: list[dict[str, str]] = field(default_factory=list)
    # The local cloud's saves of its state (its health answer's "snapshot"); None elsewhere.
    state_saves: dict[str, Any] | None = None

    def problems(self) -> list[str]:
        found = [
            f"{queue.label} holds {queue.waiting + queue.in_flight} message(s)"
            for queue in self.queues
            if queue.dead_letter and queue.waiting + queue.in_flight
        ]
        found += [f"alarm {name} is in ALARM" for name in self.alarms]
        saves = self.state_saves or {}
        if saves.get("consecutive_failures"):
            found.append(
                f"the local cloud cannot save its state ({saves['consecutive_failures']} save(s) failed in a row "
                f"since {saves.get('failing_since')}: {saves.get('last_error')}); a restart brings back an older one"
            )
        return found

    @property
    def reconciler_last_run(self) -> LogLine | None:
        return next((f.last_start for f in self.functions if f.name == "reconciler"), None)


def is_error_line(message: str) -> bool:
    return any(mark in message for mark in _ERROR_MARKS)


def function_statuses(lines: list[LogLine], names: list[str]) -> list[FunctionStatus]:
    by_name = {name: FunctionStatus(name) for name in names}
    for line in lines:  # in time order: the last seen is the latest
        status = by_name[line.function]
        if line.message.startswith("REPORT RequestId:"):
            status.invocations += 1
        elif line.message.startswith("START RequestId:"):
            status.last_start = line
        elif is_error_line(line.message):
            status.errors += 1
            status.last_error = line
    return [by_name[name] for name in names]


def _latest_metric(cloudwatch: Any, namespace: str, metric: str, dimension: tuple[str, str]) -> float | None:
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": dimension[0], "Value": dimension[1]}],
        StartTime=now - METRIC_LOOKBACK,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )
    points = sorted(answer.get("Datapoints", []), key=lambda point: point["Timestamp"])
    return float(points[-1]["Maximum"]) if points else None


def queue_statuses(target: Target) -> list[QueueStatus]:
    sqs, cloudwatch = target.client("sqs"), target.client("cloudwatch")
    found = []
    for key, (label, dead_letter) in QUEUES.items():
        url = target.outputs.get(key)
        if not url:
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        name = str(url).rsplit("/", 1)[-1]
        found.append(
            QueueStatus(
                label,
                name,
                dead_letter,
                int(attributes.get("ApproximateNumberOfMessages", 0)),
                int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                _latest_metric(cloudwatch, "AWS/SQS", "ApproximateAgeOfOldestMessage", ("QueueName", name)),
            )
        )
    return found


def mapping_statuses(target: Target) -> list[MappingStatus]:
    lambda_client, cloudwatch = target.client("lambda"), target.client("cloudwatch")
    found = []
    for short, full in sorted(target.output("function_names").items()):
        pages = lambda_client.get_paginator("list_event_source_mappings").paginate(FunctionName=full)
        for mapping in (m for page in pages for m in page.get("EventSourceMappings", [])):
            source = str(mapping.get("EventSourceArn", ""))
            is_stream = ":kinesis:" in source or ":dynamodb:" in source
            age = _latest_metric(cloudwatch, "AWS/Lambda", "IteratorAge", ("FunctionName", full)) if is_stream else None
            found.append(
                MappingStatus(
                    short,
                    source.split(":", 5)[-1],
                    str(mapping.get("State", "?")),
                    str(mapping.get("LastProcessingResult", "-")),
                    age,
                )
            )
    return found


def stack_prefix(target: Target) -> str:
    """The name every resource of the stack starts with (``events-local-``): each function is ``<stack>-<short>``."""
    names: dict[str, str] = target.output("function_names")
    stacks = {full.removesuffix(short) for short, full in names.items()}
    if len(stacks) != 1:
        raise TargetError(f"function names do not share one stack name: {sorted(names.values())}")
    return stacks.pop()


def alarms_firing(target: Target) -> list[str]:
    prefix = stack_prefix(target)
    pages = target.client("cloudwatch").get_paginator("describe_alarms").paginate(StateValue="ALARM")
    return sorted(
        alarm["AlarmName"]
        for page in pages
        for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
        if alarm["AlarmName"].startswith(prefix)
    )


def local_cloud_health(target: Target) -> dict[str, Any]:
    """The project's local cloud's health answer; empty for AWS or another emulator."""
    endpoint = target.outputs.get("aws_endpoint_url")
    port = urlparse(str(endpoint)).port if endpoint else None
    # None from LocalStack or another emulator (no health document of ours): not ours to ask.
    return (health(port) if port else None) or {}


def collect(target: Target, window: timedelta) -> Status:
    groups = log_groups(target)
    lines = read(target.client("logs"), groups, since_ms(window))
    local = local_cloud_health(target)
    return Status(
        window=window,
        functions=function_statuses(lines, sorted(groups)),
        queues=queue_statuses(target),
        mappings=mapping_statuses(target),
        alarms=alarms_firing(target),
        unemulated=local.get("unemulated", []),
        state_saves=local.get("snapshot"),
    )


def _ago(line: LogLine | None, now: datetime) -> str:
    if line is None:
        return "-"
    seconds = max(0.0, now.timestamp() - line.timestamp_ms / 1000)
    return f"{seconds:.0f}s ago" if seconds < 120 else f"{seconds / 60:.0f}m ago"


def _or_dash(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.0f}{unit}"


def render(status: Status, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    window = f"{status.window.total_seconds() / 60:.0f}m"
    out = [f"functions (last {window})        invocations  errors  last error"]
    for f in status.functions:
        error = "-" if f.last_error is None else f"{_ago(f.last_error, now)}: {f.last_error.message.strip()[:80]}"
        out.append(f"  {f.name:<28} {f.invocations:>11}  {f.errors:>6}  {error}")
    out.append("queues                          waiting  in flight  oldest")
    for q in status.queues:
        mark = " (DLQ)" if q.dead_letter else ""
        out.append(f"  {q.label + mark:<28} {q.waiting:>9}  {q.in_flight:>9}  {_or_dash(q.oldest_age_seconds, 's')}")
    out.append("event source mappings           state      last result        iterator age")
    for m in status.mappings:
        source = f"{m.function} <- {m.source}"
        out.append(f"  {source[:40]:<40} {m.state:<10} {m.last_result[:18]:<18} {_or_dash(m.iterator_age_ms, 'ms')}")
    out.append(f"alarms in ALARM: {', '.join(status.alarms) or 'none'}")
    out.append(f"reconciler last run: {_ago(status.reconciler_last_run, now)}")
    for item in status.unemulated:
        out.append(f"not emulated here: {item['resource']} sets {item['setting']}: {item['instead']}")
    saves = status.state_saves
    if saves is not None and not saves.get("persist", True):
        out.append("local cloud state saves: none (kept in memory only)")
    elif saves is not None:
        failing = f"FAILING since {saves.get('failing_since')}" if saves.get("consecutive_failures") else "ok"
        out.append(f"local cloud state saves: {failing} (last saved {saves.get('last_saved_at') or 'not yet'})")
    problems = status.problems()
    out.append("needs attention: " + ("; ".join(problems) if problems else "nothing"))
    return "\n".join(out)
