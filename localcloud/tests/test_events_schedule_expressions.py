"""Parsing EventBridge schedule expressions and finding their next firing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localcloud.events.schedule_expressions import Cron, Rate, parse

MOMENT = datetime(2025, 3, 14, 10, 17, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(2 hours)", timedelta(hours=2)),
        ("rate(1 day)", timedelta(days=1)),
    ],
)
def test_rate(expression: str, interval: timedelta) -> None:
    schedule = parse(expression)
    assert isinstance(schedule, Rate)
    assert schedule.next_after(MOMENT) == MOMENT + interval


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0/15 * * * ? *)", datetime(2025, 3, 14, 10, 30, tzinfo=UTC)),
        ("cron(0 12 * * ? *)", datetime(2025, 3, 14, 12, 0, tzinfo=UTC)),
        ("cron(0 8 * * MON-FRI *)", datetime(2025, 3, 17, 8, 0, tzinfo=UTC)),
        ("cron(0 8 ? * 1 *)", datetime(2025, 3, 16, 8, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(30 9 L * ? *)", datetime(2025, 3, 31, 9, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN,JUL ? 2026)", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(18 10 14 3 ? *)", datetime(2025, 3, 14, 10, 18, tzinfo=UTC)),
    ],
)
def test_cron_next_firing(expression: str, expected: datetime) -> None:
    schedule = parse(expression)
    assert isinstance(schedule, Cron)
    assert schedule.next_after(MOMENT) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 8 * *)",
        "cron(0 8 ? * 2#1 *)",
        "cron(0 8 15W * ? *)",
        "at(2025-01-01T00:00:00)",
    ],
)
def test_unsupported_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError, match=r"unsupported|cron|rate"):
        parse(expression)


def test_cron_that_never_matches_has_no_next_firing() -> None:
    schedule = parse("cron(0 0 31 2 ? *)")  # 31 February
    assert isinstance(schedule, Cron)
    assert schedule.next_after(MOMENT) is None
