"""Opaque pagination cursors, signed and bound to the subject they were issued for.

A cursor is 32 URL-safe characters: unpadded base64url of the position after which the next page
starts (8 bytes, big-endian) and a tag, the first 16 bytes of HMAC-SHA256 under the cursor key
(``keys``) of that position and the subject. So a cursor cannot be forged or altered, nor
replayed for another subject: anything but a cursor this service issued for this subject is a
400 before any query runs. The tag is compared in constant time. A cursor issued under an
earlier key version fails the same way; the client lists again without it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from chalicelib.errors import BadRequestError

_POSITION_BYTES = 8
# 128 bits: guessing a tag is hopeless, and the cursor stays short.
_TAG_BYTES = 16
# base64 of 24 bytes is 32 characters with no padding.
_CURSOR = re.compile(r"[A-Za-z0-9_-]{32}")
_INVALID = "cursor is not valid for this subject; pass next_cursor from a previous page unchanged, or list again"


def _tag(key: bytes, subject: str, position: bytes) -> bytes:
    # The position has a fixed width, so position and subject cannot be shifted into one another.
    return hmac.new(key, position + subject.encode("utf-8"), hashlib.sha256).digest()[:_TAG_BYTES]


def encode_cursor(key: bytes, subject: str, after_position: int) -> str:
    position = after_position.to_bytes(_POSITION_BYTES, "big")
    return base64.urlsafe_b64encode(position + _tag(key, subject, position)).decode("ascii")


def decode_cursor(key: bytes, subject: str, cursor: str) -> int:
    """The position after which the next page starts; 400 for anything not issued for this subject."""
    if not _CURSOR.fullmatch(cursor):
        raise BadRequestError(_INVALID)
    try:
        raw = base64.urlsafe_b64decode(cursor)
    except (ValueError, binascii.Error):
        raise BadRequestError(_INVALID) from None
    position, tag = raw[:_POSITION_BYTES], raw[_POSITION_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, subject, position)):
        raise BadRequestError(_INVALID)
    return int.from_bytes(position, "big")
