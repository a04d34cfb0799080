"""make logs: the functions' CloudWatch logs, interleaved in time order, the function on each line.

Every function writes to its own log group (``/aws/lambda/<name>``), so finding why an event did
not arrive means reading seven groups side by side. Here each group is read with
FilterLogEvents from ``since`` on, the lines of all groups are merged by timestamp, and each is
printed with the function's short name (``api``, ``publisher``, ...) from ``outputs.json``. The
same calls run against the local cloud, LocalStack and AWS.

``follow`` keeps reading: every ``poll`` seconds it asks each group again from the newest
timestamp it printed (inclusive, since several lines can share a millisecond) and skips the
event ids it has printed already. A group that does not exist yet (a function never invoked)
reads as empty.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from tooling.ops.target import Target, TargetError

_DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class LogLine:
    timestamp_ms: int
    function: str  # the short name: api, publisher, ...
    message: str
    event_id: str

    def render(self) -> str:
        at = datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return f"{at} {self.function:<11} {self.message.rstrip()}"


def parse_duration(text: str) -> timedelta:
    """``10m``, ``90s``, ``2h``, ``1d``: how far back to read."""
    match = _DURATION.match(text.strip())
    if not match:
        raise TargetError(f"cannot read the duration {text!r}: write it as 30s, 10m, 2h or 1d")
    return timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})


def log_groups(target: Target, only: str | None = None) -> dict[str, str]:
    """Short function name -> log group, for every function or the one named (short or full name)."""
    names: dict[str, str] = target.output("function_names")
    if only is not None:
        chosen = {short: full for short, full in names.items() if only in (short, full)}
        if not chosen:
            raise TargetError(f"no function {only!r}: FN is one of {', '.join(sorted(names))}")
        names = chosen
    return {short: f"/aws/lambda/{full}" for short, full in names.items()}


def _group_lines(
    logs: Any, function: str, group: str, start_ms: int, end_ms: int | None, term: str | None
) -> Iterator[LogLine]:
    request: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if end_ms is not None:
        request["endTime"] = end_ms
    if term is not None:
        request["filterPattern"] = f'"{term}"'  # CloudWatch Logs matches a quoted term as it is
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**request):
            for event in page.get("events", []):
                yield LogLine(int(event["timestamp"]), function, str(event["message"]), str(event["eventId"]))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise


def read(
    logs: Any, groups: dict[str, str], start_ms: int, end_ms: int | None = None, term: str | None = None
) -> list[LogLine]:
    """Every line of the groups from ``start_ms`` (to ``end_ms``; holding ``term``), in time order.

    The term is matched by CloudWatch Logs itself, so a search reads only the matching lines."""
    lines = [
        line
        for function, group in groups.items()
        for line in _group_lines(logs, function, group, start_ms, end_ms, term)
    ]
    return sorted(lines, key=lambda line: (line.timestamp_ms, line.function, line.event_id))


def follow(
    logs: Any,
    groups: dict[str, str],
    start_ms: int,
    emit: Callable[[LogLine], None],
    poll: float = 1.0,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print the lines as they arrive, until interrupted (or after ``rounds`` reads, for tests)."""
    printed: set[str] = set()
    newest = start_ms
    done = 0
    while rounds is None or done < rounds:
        for line in read(logs, groups, newest):
            if line.event_id not in printed:
                printed.add(line.event_id)
                newest = max(newest, line.timestamp_ms)
                emit(line)
        done += 1
        if rounds is None or done < rounds:
            sleep(poll)


def since_ms(window: timedelta, now: datetime | None = None) -> int:
    return int(((now or datetime.now(UTC)) - window).timestamp() * 1000)


def render_all(lines: Iterable[LogLine]) -> str:
    return "\n".join(line.render() for line in lines)
