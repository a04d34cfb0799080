"""make logs: every function's lines from its log group, merged in time order, the function on each line."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from localcloud.testing import Cloud, wait_for
from tooling.ops.logs import LogLine, follow, log_groups, parse_duration, read, since_ms
from tooling.ops.target import Target, TargetError


def _deployed(cloud: Cloud) -> Target:
    names = {short: cloud.function("echo", name=f"stack-{short}")[0] for short in ("api", "worker")}
    return Target({"aws_endpoint_url": cloud.endpoint_url, "region": "us-east-1", "function_names": names})


def _invoke(cloud: Cloud, name: str, marker: str) -> None:
    cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"marker": marker}))


def _echoed(lines: list[LogLine]) -> list[tuple[str, str]]:
    return [(line.function, line.message.split("'marker': ")[1][1:-2]) for line in lines if "echo got" in line.message]


def test_lines_of_every_function_come_merged_in_time_order(cloud: Cloud) -> None:
    target = _deployed(cloud)
    start = since_ms(timedelta(minutes=1))
    for name, marker in (("stack-api", "one"), ("stack-worker", "two"), ("stack-api", "three")):
        _invoke(cloud, name, marker)
    groups = log_groups(target)

    def all_three() -> list[LogLine] | None:
        found = read(target.client("logs"), groups, start)
        return found if len(_echoed(found)) == 3 else None

    lines = wait_for(all_three)

    assert _echoed(lines) == [("api", "one"), ("worker", "two"), ("api", "three")]
    assert [line.timestamp_ms for line in lines] == sorted(line.timestamp_ms for line in lines)
    assert any(line.message.startswith("REPORT RequestId:") for line in lines)
    assert lines[0].render().split()[1] == lines[0].function


def test_one_function_is_chosen_by_its_short_or_full_name_and_a_wrong_name_lists_the_valid_ones(cloud: Cloud) -> None:
    target = _deployed(cloud)

    assert log_groups(target, "api") == log_groups(target, "stack-api") == {"api": "/aws/lambda/stack-api"}
    with pytest.raises(TargetError, match="one of api, worker"):
        log_groups(target, "nope")


def test_a_function_never_invoked_reads_as_no_lines(cloud: Cloud) -> None:
    target = _deployed(cloud)

    assert read(target.client("logs"), log_groups(target), since_ms(timedelta(minutes=5))) == []


def test_follow_prints_each_new_line_once(cloud: Cloud) -> None:
    target = _deployed(cloud)
    start = since_ms(timedelta(seconds=5))
    printed: list[LogLine] = []
    logs = target.client("logs")
    _invoke(cloud, "stack-api", "before")
    wait_for(lambda: _echoed(read(logs, log_groups(target), start)))

    def between_reads(_: float) -> None:
        if not any("after" in line.message for line in printed):
            _invoke(cloud, "stack-worker", "after")
            wait_for(lambda: len(_echoed(read(logs, log_groups(target), start))) == 2)

    follow(logs, log_groups(target), start, printed.append, rounds=3, sleep=between_reads)

    assert _echoed(printed) == [("api", "before"), ("worker", "after")]
    assert len({line.event_id for line in printed}) == len(printed)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400)])
def test_durations_read_as_written(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_an_unreadable_duration_says_how_to_write_it() -> None:
    with pytest.raises(TargetError, match="30s, 10m, 2h or 1d"):
        parse_duration("ten minutes")
