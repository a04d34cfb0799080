"""A small client of an emulator's fault-injection API, for end-to-end tests.

The local cloud serves LocalStack's Chaos API at /_localcloud/chaos/* and at
LocalStack's own /_localstack/chaos/*; LocalStack serves the latter. The client
finds whichever the target answers, so a test that injects faults runs against
either emulator. Only LocalStack's verbs are used (POST replaces, PATCH adds),
so clearing works on both; the local cloud's extensions (count, resource,
phase, seed, Lambda effects) are simply members of the rules a test passes.
"""

from __future__ import annotations

from typing import Any

import requests

# Tried in this order: the local cloud's own path first.
CHAOS_PATHS = ("/_localcloud/chaos", "/_localstack/chaos")
TIMEOUT_SECONDS = 10


class FaultInjection:
    def __init__(self, http: requests.Session, base_url: str) -> None:
        self._http = http
        self.base_url = base_url

    @property
    def extensions(self) -> bool:
        """Whether the target takes the local cloud's extensions (count, phase, resource, seed, effect)."""
        return self.base_url.endswith(CHAOS_PATHS[0])

    @classmethod
    def find(cls, http: requests.Session, endpoint_url: str) -> FaultInjection | None:
        """The chaos API of the emulator at ``endpoint_url``, or None if it has none."""
        for path in CHAOS_PATHS:
            base = endpoint_url.rstrip("/") + path
            try:
                response = http.get(f"{base}/faults", timeout=TIMEOUT_SECONDS)
            except requests.RequestException:
                return None
            if response.status_code == 200 and isinstance(_json_or_none(response), list):
                return cls(http, base)
        return None

    def rules(self) -> list[dict[str, Any]]:
        return self._rules("GET")

    def add(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        """Add rules to those in force; returns the rules now in force."""
        return self._rules("PATCH", list(rules))

    def set(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace every rule with ``rules``."""
        return self._rules("POST", rules)

    def effects(self, latency_ms: float) -> dict[str, Any]:
        """Add ``latency_ms`` to every AWS API call; 0 removes it."""
        effects = self._call("POST", "effects", {"latency": latency_ms})
        assert isinstance(effects, dict), effects
        return effects

    def clear(self) -> None:
        """No rule and no latency."""
        self.set([])
        self.effects(0)

    def _rules(self, method: str, body: Any = None) -> list[dict[str, Any]]:
        """A call on the rules; every verb answers with the rules now in force."""
        rules = self._call(method, "faults", body)
        assert isinstance(rules, list), rules
        return rules

    def _call(self, method: str, endpoint: str, body: Any = None) -> Any:
        response = self._http.request(method, f"{self.base_url}/{endpoint}", json=body, timeout=TIMEOUT_SECONDS)
        assert response.status_code == 200, (method, endpoint, response.status_code, response.text)
        return response.json()


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
