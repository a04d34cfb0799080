"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)``, in UTC.

cron has AWS's six fields (minutes hours day-of-month month day-of-week year),
with ``*``, ``?``, lists, ranges, steps, month and day names, and ``L`` alone
in day-of-month; ``W``, ``#`` and ``L`` in day-of-week are rejected as
unsupported. Day-of-week counts from SUN=1 to SAT=7, as in AWS.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
# Looking further ahead than this for a cron match means it never fires.
_SEARCH_DAYS = 366 * 5


@dataclass(frozen=True)
class Rate:
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int] | None  # None: any
    last_day_of_month: bool
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None: any
    years: frozenset[int] | None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.last_day_of_month:
            if day.day != calendar.monthrange(day.year, day.month)[1]:
                return False
        elif self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        aws_weekday = day.isoweekday() % 7 + 1
        return self.days_of_week is None or aws_weekday in self.days_of_week

    def next_after(self, moment: datetime) -> datetime | None:
        start = (moment + timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


Schedule = Rate | Cron


def parse(expression: str) -> Schedule:
    """A schedule from an expression; ValueError if it is not supported."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if amount < 1:
            raise ValueError(f"rate must be positive: {expression}")
        return Rate(timedelta(seconds=amount * _UNIT_SECONDS[unit]))
    cron = _CRON.match(text)
    if cron:
        return _parse_cron(cron.group(1).split(), expression)
    raise ValueError(f"unsupported schedule expression: {expression}")


def _parse_cron(fields: list[str], expression: str) -> Cron:
    if len(fields) != 6:
        raise ValueError(f"cron needs 6 fields: {expression}")
    minutes, hours, dom, months, dow, years = fields
    if "W" in dom or "#" in dow or "L" in dow or (dom.upper() != "L" and "L" in dom):
        raise ValueError(f"unsupported cron feature in {expression}")
    return Cron(
        minutes=tuple(sorted(_values(minutes, 0, 59, {}) or range(60))),
        hours=tuple(sorted(_values(hours, 0, 23, {}) or range(24))),
        days_of_month=None if dom.upper() == "L" else _values(dom, 1, 31, {}),
        last_day_of_month=dom.upper() == "L",
        months=_values(months, 1, 12, _MONTHS) or frozenset(range(1, 13)),
        days_of_week=_values(dow, 1, 7, _DAYS),
        years=_values(years, 1970, 2199, {}),
    )


def _values(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int] | None:
    """The values a field allows; None for ``*`` and ``?`` (anything)."""
    if field in ("*", "?"):
        return None
    allowed: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(base, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ValueError(f"cron field out of range: {field}")
        allowed.update(range(start, end + 1, step))
    return frozenset(allowed)


def _number(text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    return names[upper] if upper in names else int(text)
