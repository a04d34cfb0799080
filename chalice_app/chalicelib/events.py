"""The event: what a client sends, what is stored, and the message fanned out to consumers."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import contract
from chalicelib.errors import (
    PayloadTooLargeError,
    PoisonMessageError,
    ValidationError,
)
from chalicelib.timefmt import format_rfc3339, parse_rfc3339

MAX_DATA_BYTES = 64 * 1024
STATUS_ACCEPTED = "accepted"
STATUS_PROCESSED = "processed"


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON: the form that is measured, stored and fingerprinted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(raw: bytes | str) -> Any:
    """json.loads that refuses NaN, Infinity and numbers that overflow a double."""
    return json.loads(raw, parse_float=_finite_float, parse_constant=_reject_constant)


@dataclass(frozen=True)
class NewEvent:
    type: str
    subject: str
    source: str
    data: dict[str, Any]
    occurred_at: datetime | None
    fingerprint: str

    @classmethod
    def from_body(cls, body: Any) -> NewEvent:
        """Validate a parsed request body against the contract's NewEvent schema and the size limit."""
        contract.validate_schema("NewEvent", body)
        data_bytes = len(canonical_json(body["data"]).encode("utf-8"))
        if data_bytes > MAX_DATA_BYTES:
            raise PayloadTooLargeError(f"body.data is {data_bytes} bytes serialized; the limit is {MAX_DATA_BYTES}")
        occurred_at = None
        if "occurred_at" in body:
            try:
                occurred_at = parse_rfc3339(body["occurred_at"])
                format_rfc3339(occurred_at)
            except (ValueError, OverflowError) as exc:
                raise ValidationError(f"body.occurred_at: {exc}") from None
        return cls(
            type=body["type"],
            subject=body["subject"],
            source=body["source"],
            data=body["data"],
            occurred_at=occurred_at,
            fingerprint=hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest(),
        )


@dataclass(frozen=True)
class StoredEvent:
    id: str
    type: str
    subject: str
    source: str
    data: dict[str, Any]
    occurred_at: str
    received_at: str
    status: str
    sequence: int | None
    position: int

    def _facts(self) -> dict[str, Any]:
        """What the client sent and when it was received: never changes after acceptance."""
        return {
            "id": self.id,
            "type": self.type,
            "subject": self.subject,
            "source": self.source,
            "data": self.data,
            "occurred_at": self.occurred_at,
            "received_at": self.received_at,
        }

    def to_api(self) -> dict[str, Any]:
        return {**self._facts(), "status": self.status, "sequence": self.sequence}

    def to_message(self) -> dict[str, Any]:
        """The fan-out message: the immutable facts plus the per-subject position."""
        return {**self._facts(), "position": self.position}


@dataclass(frozen=True)
class EventMessage:
    """A fan-out message as a consumer receives it (SQS body, SNS message, Kinesis data)."""

    id: str
    type: str
    subject: str
    occurred_at: str
    position: int

    @classmethod
    def parse(cls, raw: str | bytes) -> EventMessage:
        """Read a message; anything malformed is a poison message (it will never succeed)."""
        try:
            body = loads_strict(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PoisonMessageError(f"message is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise PoisonMessageError("message is not a JSON object")
        try:
            message = cls(
                id=body["id"],
                type=body["type"],
                subject=body["subject"],
                occurred_at=body["occurred_at"],
                position=body["position"],
            )
        except KeyError as exc:
            raise PoisonMessageError(f"message lacks {exc.args[0]!r}") from None
        if not all(isinstance(v, str) and v for v in (message.id, message.type, message.subject, message.occurred_at)):
            raise PoisonMessageError("message fields id, type, subject and occurred_at must be non-empty strings")
        if isinstance(message.position, bool) or not isinstance(message.position, int) or message.position < 1:
            raise PoisonMessageError("message position must be a positive integer")
        return message
