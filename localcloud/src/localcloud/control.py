"""The local cloud's own endpoints, on the same port as the AWS APIs.

GET  /_localcloud/health  JSON status; what ``up`` and ``status`` poll.
POST /_localcloud/tick    fire every enabled schedule now; JSON results.
POST /_localcloud/snapshot/save?name=N, /_localcloud/snapshot/load?name=N
                          save the whole state under a name, or replace it with a saved one.
     /_localcloud/chaos/*  the fault-injection API (``localcloud.chaos``), also at
     /_localstack/chaos/*  LocalStack's path, so suites written for it run here.

Everything else passes to the wrapped application untouched; one prefix
check is the only per-request cost this layer adds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

PREFIX = "/_localcloud/"
CHAOS_PREFIXES = ("/_localcloud/chaos/", "/_localstack/chaos/")
_PREFIXES = (PREFIX, *CHAOS_PREFIXES)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ControlApp:
    def __init__(
        self,
        app: WSGIApp,
        health: Callable[[], dict[str, Any]],
        tick: Callable[[], list[dict[str, Any]]],
        chaos: WSGIApp | None = None,
        snapshot: Callable[[str, str], dict[str, Any]] | None = None,
    ) -> None:
        self._app = app
        self._health = health
        self._tick = tick
        self._chaos = chaos
        self._snapshot = snapshot

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(_PREFIXES):
            return self._app(environ, start_response)
        if self._chaos is not None and path.startswith(CHAOS_PREFIXES):
            return self._chaos(environ, start_response)
        if not path.startswith(PREFIX):  # LocalStack's other endpoints: not ours
            return self._app(environ, start_response)
        return self._own(path, environ, start_response)

    def _own(self, path: str, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if path == PREFIX + "health" and method in ("GET", "HEAD"):
            return _json(start_response, "200 OK", self._health())
        if path == PREFIX + "tick" and method == "POST":
            return _json(start_response, "200 OK", {"fired": self._tick()})
        if self._snapshot is not None and path.startswith(PREFIX + "snapshot/") and method == "POST":
            return self._snapshot_call(path.removeprefix(PREFIX + "snapshot/"), environ, start_response)
        return _json(start_response, "404 Not Found", {"message": f"no local cloud endpoint {method} {path}"})

    def _snapshot_call(self, action: str, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        assert self._snapshot is not None
        name = parse_qs(environ.get("QUERY_STRING", "")).get("name", [""])[0]
        try:
            return _json(start_response, "200 OK", self._snapshot(action, name))
        except Exception as error:  # a refusal (SnapshotError) says what to do; anything else, what broke
            return _json(start_response, "400 Bad Request", {"message": str(error)})


def _json(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
