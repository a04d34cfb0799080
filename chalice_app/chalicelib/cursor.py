"""Opaque pagination cursors, bound to the subject they were issued for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from chalicelib.errors import BadRequestError


def _subject_tag(subject: str) -> str:
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()[:16]


def encode_cursor(subject: str, after_position: int) -> str:
    payload = json.dumps({"s": _subject_tag(subject), "p": after_position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(subject: str, cursor: str) -> int:
    """The position after which the next page starts; 400 for anything not issued for this subject."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        tag, position = payload["s"], payload["p"]
    except (ValueError, UnicodeError, binascii.Error, KeyError, TypeError):
        raise BadRequestError("cursor is not valid; pass next_cursor from a previous page unchanged") from None
    if tag != _subject_tag(subject) or isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise BadRequestError("cursor is not valid for this subject")
    return position
