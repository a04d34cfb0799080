"""RFC 3339 timestamps: strict parsing, one canonical UTC form for storage and responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware datetime; ValueError if it is not one.

    A leap second (``:60``) is valid RFC 3339 but not a Python time, so it is
    read as the first instant of the next minute rather than rejected.
    """
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    leap = second == 60
    if leap:
        second = 59
    microsecond = int((fraction[1:] + "000000")[:6]) if fraction else 0
    if offset in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} has an invalid UTC offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    parsed = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)
    if leap:
        parsed = parsed.replace(microsecond=0) + timedelta(seconds=1)
    return parsed


def is_rfc3339(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        parse_rfc3339(text)
    except (ValueError, OverflowError):
        return False
    return True


def format_rfc3339(moment: datetime) -> str:
    """Canonical form: UTC, ``Z`` suffix, microseconds fixed-width so strings sort as times."""
    # isoformat, unlike strftime("%Y"), zero-pads years before 1000.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def utc_now() -> datetime:
    return datetime.now(UTC)
