"""``localcloud chaos {add,list,clear}``: the fault-injection API from a shell.

It talks to the running local cloud over HTTP (/_localcloud/chaos/*) with the
standard library only, like the other commands that do not start a server:
no moto import, so it answers at once.

    chaos add '<rule or list of rules>'   PATCH: adds them; prints the rules in force
    chaos list                            the rules and effects in force
    chaos clear                           removes every rule and the latency effect

Exit status: 0 done, 1 the local cloud refused the rule (its message is
printed), 2 the argument is not JSON or no local cloud answers on the port.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any

from localcloud.settings import HOST

ACTIONS = ("add", "list", "clear")
TIMEOUT_SECONDS = 10


class _Refused(Exception):
    """The local cloud answered 4xx: a rule it does not accept."""


def _call(port: int, endpoint: str, method: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{HOST}:{port}/_localcloud/chaos/{endpoint}",
        method=method,
        data=data,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (fixed http URL)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            try:
                message = json.loads(exc.read()).get("message", "")
            except ValueError:
                message = ""
            raise _Refused(message or f"HTTP {exc.code}") from exc
        raise


def main(port: int, action: str, rules: str | None) -> int:
    try:
        if action == "add":
            if not rules:
                print('chaos add needs a rule: chaos add \'{"service": "sqs"}\'', file=sys.stderr)
                return 2
            try:
                parsed = json.loads(rules)
            except ValueError as exc:
                print(f"the rule is not JSON: {exc}", file=sys.stderr)
                return 2
            in_force = _call(port, "faults", "PATCH", parsed if isinstance(parsed, list) else [parsed])
            print(json.dumps(in_force, indent=2))
        elif action == "list":
            listing = {"faults": _call(port, "faults", "GET"), "effects": _call(port, "effects", "GET")}
            print(json.dumps(listing, indent=2))
        else:
            removed = len(_call(port, "faults", "GET"))
            _call(port, "faults", "DELETE")
            _call(port, "effects", "POST", {"latency": 0})
            print(f"cleared {removed} fault rule(s) and the latency effect")
    except _Refused as exc:
        print(f"the local cloud refused it: {exc}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"localcloud is not running on port {port}: {exc}", file=sys.stderr)
        return 2
    return 0
