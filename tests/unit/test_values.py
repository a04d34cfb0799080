"""Timestamps and cursors: properties over generated values."""

from __future__ import annotations

import base64
import re
import string
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


subjects = st.text(min_size=1, max_size=128)
positions = st.integers(min_value=0, max_value=10**12)
cursor_keys = st.binary(min_size=32, max_size=32)


@given(cursor_keys, subjects, positions)
def test_cursor_round_trip_is_compact_and_url_safe(key: bytes, subject: str, position: int) -> None:
    cursor = encode_cursor(key, subject, position)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", cursor)
    assert decode_cursor(key, subject, cursor) == position


@given(cursor_keys, subjects, positions, st.data())
def test_an_altered_cursor_is_rejected(key: bytes, subject: str, position: int, data: st.DataObject) -> None:
    cursor = encode_cursor(key, subject, position)
    index = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1))
    other = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_").filter(lambda c: c != cursor[index]))
    with pytest.raises(BadRequestError):
        decode_cursor(key, subject, cursor[:index] + other + cursor[index + 1 :])


@given(cursor_keys, cursor_keys, subjects, subjects, positions)
def test_a_cursor_is_valid_only_for_its_subject_and_key(
    key: bytes, other_key: bytes, subject: str, other_subject: str, position: int
) -> None:
    cursor = encode_cursor(key, subject, position)
    if other_subject != subject:
        with pytest.raises(BadRequestError):
            decode_cursor(key, other_subject, cursor)
    if other_key != key:
        with pytest.raises(BadRequestError):
            decode_cursor(other_key, subject, cursor)


@given(cursor_keys, subjects, st.text(max_size=64))
def test_arbitrary_cursors_are_rejected(key: bytes, subject: str, cursor: str) -> None:
    with pytest.raises(BadRequestError):
        decode_cursor(key, subject, cursor)


def test_a_cursor_of_the_old_unsigned_form_is_rejected() -> None:
    unsigned = base64.urlsafe_b64encode(b'{"s":"0123456789abcdef","p":2}').decode().rstrip("=")
    with pytest.raises(BadRequestError):
        decode_cursor(bytes(32), "order-1", unsigned)
