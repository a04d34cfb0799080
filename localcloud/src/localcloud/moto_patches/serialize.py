"""Run the calls of thread-unsafe moto services one at a time.

moto's IAM backend keeps roles and policies in plain dicts that its handlers
iterate while other request threads insert into them; under Terraform's
parallel creates that can fail a request after its effect happened, and the
SDK's retry then meets its own result (EntityAlreadyExists). IAM is low-rate
control plane, so serialising it costs nothing measurable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SERIALISED_SERVICES = ("iam",)


def _service(environ: dict[str, Any]) -> str | None:
    """The signing service of a SigV4 request: `Credential=<key>/<date>/<region>/<service>/aws4_request`."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    marker = authorization.find("Credential=")
    if marker < 0:
        return None
    scope = authorization[marker + len("Credential=") :].split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def serialize_services(app: WSGIApp, services: tuple[str, ...] = SERIALISED_SERVICES) -> WSGIApp:
    locks = {service: threading.Lock() for service in services}

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        lock = locks.get(_service(environ) or "")
        if lock is None:
            return app(environ, start_response)
        with lock:
            # Materialise the body inside the lock: the work may happen while it is iterated.
            return list(app(environ, start_response))

    return serialised
