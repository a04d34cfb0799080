"""Timestamps and cursors: properties over generated values."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.cursor import decode_cursor, encode_cursor
from chalicelib.errors import BadRequestError
from chalicelib.timefmt import format_rfc3339, is_rfc3339, parse_rfc3339

moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


@given(moments)
def test_canonical_form_round_trips_and_sorts_as_time(moment: datetime) -> None:
    text = format_rfc3339(moment)
    assert parse_rfc3339(text) == moment
    assert format_rfc3339(parse_rfc3339(text)) == text


@given(moments, moments)
def test_canonical_strings_sort_like_the_times(a: datetime, b: datetime) -> None:
    assert (format_rfc3339(a) < format_rfc3339(b)) == (a < b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.000000Z"),
        ("2026-11-27t10:00:00.5z", "2026-11-27T10:00:00.500000Z"),
        ("2026-11-27T10:00:00-05:30", "2026-11-27T15:30:00.000000Z"),
        ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000000Z"),
    ],
)
def test_accepted_rfc3339_forms(text: str, expected: str) -> None:
    assert format_rfc3339(parse_rfc3339(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27",
        "2026-11-27T10:00:00",
        "2026-13-01T00:00:00Z",
        "2026-11-27 10:00:00Z",
        "2026-11-27T10:00:00+24:00",
        5,
    ],
)
def test_rejected_forms(text: object) -> None:
    assert not is_rfc3339(text)


@given(st.text(min_size=1, max_size=128), st.integers(min_value=0, max_value=10**12))
def test_cursor_round_trip(subject: str, position: int) -> None:
    assert decode_cursor(subject, encode_cursor(subject, position)) == position


@given(st.text(min_size=1, max_size=128), st.text(max_size=64))
def test_arbitrary_cursors_are_rejected_cleanly(subject: str, cursor: str) -> None:
    with contextlib.suppress(BadRequestError):
        decode_cursor(subject, cursor)
