"""Who may reach the local cloud: the developer's own tools on this machine, and no web page.

The server binds 127.0.0.1, so only this machine connects. But the developer's browser runs
on this machine too, and whatever reaches the local cloud may replace a function's code and
run it as the developer's own Python, on a workstation that holds real credentials. A page
the developer visits has two ways in, and ``Guard`` closes both before anything else runs:

- **DNS rebinding.** A hostile name (``evil.example``) resolves first to the attacker's
  server, which serves the page, then to 127.0.0.1: the page's requests to its own origin
  arrive here with ``Host: evil.example:<port>``. So the Host header must name this server:
  ``127.0.0.1:<port>``, ``localhost:<port>`` or ``[::1]:<port>`` (``Settings.allowed_hosts``),
  and nothing else. Every client of the local cloud sends the first: botocore and the AWS
  provider use the host of ``AWS_ENDPOINT_URL``, which ``make`` sets to
  ``http://127.0.0.1:<port>``; localstack-client is given that host and port; the Lambda
  workers, ``localcloud`` commands and tests use ``Settings.endpoint_url``. No subdomain is
  accepted: an S3 client forced to virtual-hosted addressing against ``localhost`` would send
  ``<bucket>.localhost:<port>``, which moto would serve, but nothing here does that (against
  an IP endpoint the SDKs address buckets by path), and a name under ``.localhost`` is
  loopback only where the resolver says so. The port counts too: a request that names
  another port was relayed here by something else (a development server's proxy).
- **Cross-origin requests.** Any page may send requests to ``http://127.0.0.1:<port>``
  itself. Browsers mark them, and SDKs, Terraform, curl and the local cloud's own clients send
  neither mark. ``Origin``: on every CORS request (so on every preflight ``OPTIONS``) and on
  every request that is not GET or HEAD, form posts included. Any ``Origin`` is refused,
  ``null`` too: a sandboxed frame, a ``file:`` or ``data:`` page and a cross-origin redirect
  send ``null``, contexts as hostile as any named origin; and a same-origin one could only
  come from a page a function served here. ``Sec-Fetch-Site``: on every request of current
  browsers, including the GETs of ``<img>`` and ``<script>`` that carry no ``Origin`` (a GET
  with ``Action=...`` in its query is an SQS SendMessage or an SNS Publish to moto). Refused
  unless ``none``: a URL the user typed or bookmarked, so ``/_localcloud/health`` still opens
  in a tab.

A refused request is answered 403 with a JSON ``{"message": ...}`` saying why, without
reading its body; no control or chaos endpoint, gateway route or AWS API behind the guard
runs. Nothing answers with ``Access-Control-Allow-*``: a preflight is refused like any request
with an ``Origin``, and moto's own CORS is off (``server.py``), so a page cannot read even a
refusal.

Not covered: request signatures are not checked (moto ignores them), so any process on this
machine that can connect may call anything; a browser that sends neither ``Origin`` on a
simple GET nor ``Sec-Fetch-Site`` (Safari before 16.4) can still make such GETs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# The one Sec-Fetch-Site a browser sends for a request no page made: the user typed the URL.
USER_INITIATED = "none"
# Enough of a refused header to recognise it in the answer and the log.
_SHOWN_CHARS = 100


def refusal(environ: WSGIEnvironment, allowed_hosts: frozenset[str]) -> str | None:
    """Why the request must not be served, or None to serve it."""
    host = environ.get("HTTP_HOST")
    if host is None:
        return "no Host header; this local cloud answers only requests that name it"
    if host.lower() not in allowed_hosts:
        expected = ", ".join(sorted(allowed_hosts))
        return f"Host {_shown(host)} is not this local cloud; use one of: {expected}"
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None:
        return f"a browser page (Origin {_shown(origin)}) may not call this local cloud"
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site is not None and site != USER_INITIATED:
        return f"a browser page (Sec-Fetch-Site {_shown(site)}) may not call this local cloud"
    return None


class Guard:
    """The outermost WSGI layer: serves ``app`` only what ``refusal`` lets through."""

    def __init__(self, app: WSGIApplication, allowed_hosts: frozenset[str]) -> None:
        self._app = app
        self._allowed_hosts = allowed_hosts

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        reason = refusal(environ, self._allowed_hosts)
        if reason is None:
            return self._app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        log.warning("refused %s %s: %s", method, _shown(path), reason)
        body = json.dumps({"message": reason}).encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def _shown(value: str) -> str:
    """A header value quoted for the answer and the log, cut short."""
    return repr(value[:_SHOWN_CHARS] + ("..." if len(value) > _SHOWN_CHARS else ""))
