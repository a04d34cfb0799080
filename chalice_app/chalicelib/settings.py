"""The one place that reads the environment.

Terraform sets these variables per function; each function needs only some of
them, so a missing one is reported when a component first asks for it, with
the variable's name, rather than as a KeyError deep in a handler.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class MissingSettingError(RuntimeError):
    """A component needs an environment variable that is not set."""


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(dict(os.environ if environ is None else environ))

    def _require(self, name: str) -> str:
        value = self.values.get(name, "").strip()
        if not value:
            raise MissingSettingError(
                f"environment variable {name} is not set; Terraform sets it on every function that needs it"
            )
        return value

    def _positive_int(self, name: str, default: int) -> int:
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise MissingSettingError(f"environment variable {name} must be a whole number, got {raw!r}") from exc
        if value <= 0:
            raise MissingSettingError(f"environment variable {name} must be positive, got {value}")
        return value

    @property
    def events_table_name(self) -> str:
        return self._require("EVENTS_TABLE_NAME")

    @property
    def standard_topic_arn(self) -> str:
        return self._require("STANDARD_TOPIC_ARN")

    @property
    def fifo_topic_arn(self) -> str:
        return self._require("FIFO_TOPIC_ARN")

    @property
    def events_stream_name(self) -> str:
        return self._require("EVENTS_STREAM_NAME")

    @property
    def dlq_urls(self) -> list[str]:
        return [url.strip() for url in self.values.get("DLQ_URLS", "").split(",") if url.strip()]

    @property
    def reconcile_after_seconds(self) -> int:
        return self._positive_int("RECONCILE_AFTER_SECONDS", 300)

    @property
    def max_receive_count(self) -> int:
        """The work queues' maxReceiveCount: on that receive a transiently failing record is left to the reconciler."""
        return self._positive_int("MAX_RECEIVE_COUNT", 3)

    @property
    def idempotency_ttl_seconds(self) -> int:
        return self._positive_int("IDEMPOTENCY_TTL_SECONDS", 86_400)
