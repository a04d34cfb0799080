"""The local cloud in one process: moto's server plus the pieces moto lacks.

Request path: Guard (only this machine's tools: no foreign Host, no browser
page) -> ControlApp (/_localcloud/*, /_localstack/chaos/*) -> user pool token
endpoint (/_aws/cognito-idp/oauth2/token) -> API Gateway data plane
(/restapis/<id>/<stage>/_user_request_/...) -> fault injection (chaos; AWS API
requests only) -> moto's own dispatcher, CORS off. Beside it run the
executor (warm Lambda workers, which also applies Lambda faults), the event
source mapping pollers, the scheduler and the log shipper.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto import __version__ as moto_version
from moto.moto_server import werkzeug_app
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)

from localcloud import aws_rules, snapshots
from localcloud.apigateway.data_plane import install_import_fidelity, wrap_wsgi_app
from localcloud.apigateway.invoke import make_proxy_invoke
from localcloud.awslambda.async_failure import route_failed_event
from localcloud.awslambda.async_invoke import AsyncInvoker
from localcloud.awslambda.code_cache import CodeCache
from localcloud.awslambda.executor import Invocation, LambdaExecutor
from localcloud.awslambda.logs import LogShipper
from localcloud.awslambda.payloads import sns_event
from localcloud.chaos.faults import ChaosControl, FaultRegistry
from localcloud.chaos.faults import wrap_wsgi_app as wrap_with_faults
from localcloud.cognitoidp.token_endpoint import wrap_wsgi_app as wrap_with_token_endpoint
from localcloud.control import ControlApp
from localcloud.event_sources.mappings import MappingSupervisor
from localcloud.events.scheduler import Scheduler
from localcloud.events.targets import send_to_targets
from localcloud.guard import Guard
from localcloud.http_servers import HttpServer, make_server
from localcloud.moto_patches.install import activate, install, uninstall
from localcloud.moto_patches.internals import (
    LambdaFunction,
    Rule,
    deployed_functions,
    find_function,
    prewarm_backends,
    resolve_layer,
)
from localcloud.moto_patches.serial import MOTO, serialized
from localcloud.retried_calls import RetriedCalls, answer_retries_once
from localcloud.settings import DEFAULT_REGION, HOST, Settings
from localcloud.unemulated import Reporter

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 30.0
# moto builds a service's Flask app on its first request (0.2 s for IAM or
# Lambda) and IAM's backend loads ~1,600 managed policies (about 1 s); doing
# both in the background at start keeps the first `terraform apply` brisk.
PREWARM_SERVICES = (
    "iam",
    "sts",
    "lambda",
    "sqs",
    "sns",
    "dynamodb",
    "dynamodbstreams",
    "kinesis",
    "events",
    "scheduler",
    "logs",
    "apigateway",
    "ec2",
    "s3",
    "cloudwatch",
)


@functools.cache
def _moto_dispatcher() -> DomainDispatcherApplication:
    """One per process: it caches the per-service Flask apps it builds.

    moto puts flask-cors on each of them, answering every origin, unless
    MOTO_DISABLE_GLOBAL_CORS was set when moto was imported; this sets that same
    switch before the first app is built, without touching the environment. The
    local cloud serves no browser page (``guard``); no header may suggest it does.
    """
    # The module's own name for moto.settings' value, read by create_backend_app on each call.
    werkzeug_app.DISABLE_GLOBAL_CORS = True  # type: ignore[attr-defined]  # imported there, not re-exported
    return DomainDispatcherApplication(create_backend_app)


def _prewarm() -> None:
    try:
        prewarm_backends(DEFAULT_REGION)
        dispatcher = _moto_dispatcher()
        for service in PREWARM_SERVICES:
            if service not in dispatcher.app_instances:
                app = create_backend_app(service)  # type: ignore[arg-type]
                with dispatcher.lock:
                    dispatcher.app_instances.setdefault(service, app)
        snapshots.prewarm()
    except Exception:  # only an optimisation
        log.exception("prewarming moto failed")


class _MotoHooks:
    """What the patched moto calls (moto_patches.install.Hooks), served by this local cloud."""

    def __init__(self, executor: LambdaExecutor, async_invoker: AsyncInvoker, mappings: MappingSupervisor) -> None:
        self._executor = executor
        self._async = async_invoker
        self._mappings = mappings

    def invoke(self, fn: LambdaFunction, payload: bytes) -> Invocation:
        return self._executor.invoke(fn, payload)

    def invoke_async(self, fn: LambdaFunction, payload: bytes) -> None:
        self._async.submit(lambda: fn, payload)

    def function_created(self, fn: LambdaFunction) -> None:
        threading.Thread(target=self._activate, args=(fn,), name="localcloud-activate", daemon=True).start()

    def _activate(self, fn: LambdaFunction) -> None:
        try:
            self._executor.prepare(fn)
        except Exception:  # a bad package: the invocation reports it, as AWS reports it at init
            log.exception("could not prepare %s; it is made Active all the same", fn.function_name)
        activate(fn)

    def function_deleted(self, function_arn: str) -> None:
        self._executor.retire_function(function_arn)

    def mappings_changed(self) -> None:
        self._mappings.reconcile()

    def sns_to_lambda(
        self,
        subscription: Any,
        message: str,
        message_id: str,
        subject: str | None,
        message_attributes: dict[str, Any] | None,
    ) -> None:
        topic_arn = subscription.topic.arn
        region = topic_arn.split(":")[3]
        event = sns_event(subscription.arn, topic_arn, region, message, message_id, subject, message_attributes)
        self._async.submit(functools.partial(find_function, subscription.endpoint), json.dumps(event).encode())

    def rule_to_targets(
        self, rule: Rule, event: dict[str, Any], send_with_moto: Callable[[Rule, dict[str, Any]], None]
    ) -> None:
        send_to_targets(rule, event, send_with_moto, self._async.submit)


class LocalCloud:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server: HttpServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._started_at = 0.0
        self._changed = threading.Event()  # a request came since the last snapshot
        self._last_request = time.monotonic()
        self._snapshot_lock = threading.Lock()
        self.restored_from: str | None = None
        # The saves of the state (not of named ones): a failing save is reported, never only logged.
        self.saves = snapshots.SaveRecord(settings.state_dir)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        # Bind first: with port 0 (tests) the real port is known only now, and
        # the workers' AWS_ENDPOINT_URL needs it.
        server = make_server(self.settings.http_server, HOST, self.settings.port, _not_ready)
        self._server = server
        self.settings = self.settings.with_port(int(server.server_port))
        settings = self.settings

        self.logs = LogShipper()
        self.unemulated = Reporter()
        # In memory like everything else: a restart starts with no fault.
        self.faults = FaultRegistry()
        self.executor = LambdaExecutor(
            CodeCache(settings.code_dir),
            self.logs,
            settings.endpoint_url,
            settings.max_workers_per_function,
            resolve_layer,
            self.faults.lambda_fault,
        )
        self.async_invoker = AsyncInvoker(self.executor.invoke, settings.async_retry_delay, route_failed_event)
        self.mappings = MappingSupervisor(self.executor.invoke, settings)
        self.scheduler = Scheduler(self.executor.invoke, self.async_invoker, settings.schedule_resolution)
        install(_MotoHooks(self.executor, self.async_invoker, self.mappings), settings.iam_managed_policies)
        install_import_fidelity()
        if settings.aws_rules:
            aws_rules.enable(aws_rules.Account(lambda_concurrency_limit=settings.lambda_concurrency_limit))
        if settings.persist and settings.snapshot_path.is_file():
            # Before anything serves or polls; an incompatible snapshot stops the start here.
            snapshots.restore(settings.snapshot_path.read_bytes(), str(settings.snapshot_path))
            self.restored_from = str(settings.snapshot_path)
            _activate_restored()

        # Faults sit inside the gateway: its data plane is never faulted by a request
        # rule (its functions can be, by a Lambda fault in the executor).
        # Retried calls outside the faults: a reply the fault API loses on purpose stays lost.
        self.retried_calls = RetriedCalls()
        moto_apis = wrap_with_faults(serialized(_moto_dispatcher()), self.faults)
        aws_apis = answer_retries_once(moto_apis, self.retried_calls)
        gateway = wrap_with_token_endpoint(wrap_wsgi_app(aws_apis, make_proxy_invoke(self.executor)))
        control = ControlApp(gateway, self.health, self.scheduler.tick, ChaosControl(self.faults), self.snapshot)
        server.app = Guard(self._noting_changes(control), settings.allowed_hosts)

        self._started_at = time.time()
        # A short poll interval makes stop() quick; idle cost is negligible.
        self._spawn(functools.partial(server.serve_forever, poll_interval=0.1), "localcloud-http")
        self._spawn(self._housekeeping, "localcloud-housekeeping")
        if settings.persist and settings.snapshot_interval > 0:
            self._spawn(self._save_periodically, "localcloud-snapshots")
        if settings.prewarm:
            self._spawn(_prewarm, "localcloud-prewarm")
        self.mappings.start()
        self.scheduler.start()
        log.info("local cloud listening on %s (moto %s)", self.endpoint_url, moto_version)

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
        self.scheduler.stop()
        self.mappings.stop()
        self.async_invoker.close()
        self.executor.close()
        self.logs.close()
        if self.settings.persist:
            try:
                self._save(self.settings.snapshot_path)  # everything has stopped: a consistent state
            except Exception:  # the previous snapshot stays whole (written atomically)
                log.exception("could not save the state on stop; the last saved one is kept")
        uninstall()
        aws_rules.disable()
        for thread in self._threads:
            thread.join(5)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "service": "localcloud",
            "pid": os.getpid(),
            "port": self.port,
            "endpoint_url": self.endpoint_url,
            "moto_version": moto_version,
            "uptime_seconds": round(time.time() - self._started_at, 1),
            "lambda_workers": self.executor.worker_count(),
            "event_source_mappings": self.mappings.count(),
            "unemulated": [item.as_json() for item in self.unemulated.last],
            "restored_from": self.restored_from,
            "snapshot": {"persist": self.settings.persist, **self.saves.as_json()},
            "retried_calls_replayed": self.retried_calls.replayed,
        }

    # -- snapshots ------------------------------------------------------------------

    def snapshot(self, action: str, name: str) -> dict[str, Any]:
        """``save`` or ``load`` the named state (``localcloud snapshot``); what was done, timed."""
        path = snapshots.named(self.settings.state_dir, name)
        started = time.perf_counter()
        if action == "save":
            size = self._save(path)
        elif action == "load":
            if not path.is_file():
                raise snapshots.SnapshotError(f"no snapshot named {name!r} (saved ones are in {path.parent})")
            data = path.read_bytes()
            with self._snapshot_lock, MOTO:
                snapshots.restore(data, str(path))
            _activate_restored()
            self.mappings.restart_all()  # the pollers held the replaced mappings
            self._changed.set()
            size = len(data)
        else:
            raise snapshots.SnapshotError(f"unknown snapshot action {action!r}: save or load")
        return {"action": action, "name": name, "bytes": size, "seconds": round(time.perf_counter() - started, 3)}

    def _save(self, path: Path) -> int:
        state = path == self.settings.snapshot_path
        try:
            with self._snapshot_lock:
                with MOTO:  # a consistent state: no request or poller writes while it is pickled
                    data = snapshots.capture()
                snapshots.write(path, data)
        except Exception as error:
            if state:
                self.saves.failed(snapshots.describe(error))
            raise
        if state:
            self.saves.succeeded()
        return len(data)

    def _save_periodically(self) -> None:
        """After a change, save from a forked copy when ``snapshots.periodic_save_due`` says so."""
        interval = self.settings.snapshot_interval
        last_save = time.monotonic()
        while not self._stopped.wait(min(interval, snapshots.QUIET_SECONDS)):
            now = time.monotonic()
            if not self._changed.is_set() or not snapshots.periodic_save_due(
                now - last_save, now - self._last_request, interval
            ):
                continue
            self._changed.clear()
            last_save = now
            try:
                with self._snapshot_lock:
                    snapshots.save_in_child(self.settings.snapshot_path)
            except Exception as error:  # the child's error, or a fork that failed; the next interval tries again
                reason = str(error) if isinstance(error, snapshots.SaveFailed) else snapshots.describe(error)
                self.saves.failed(reason)
                log.error("could not save the state (%s); the last saved one is kept", reason)
                self._changed.set()
            else:
                self.saves.succeeded()

    def _noting_changes(self, app: Any) -> Any:
        def noting(environ: dict[str, Any], start_response: Any) -> Any:
            if not str(environ.get("PATH_INFO", "")).startswith("/_localcloud/health"):
                self._last_request = time.monotonic()
                self._changed.set()
            return app(environ, start_response)

        return noting

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _housekeeping(self) -> None:
        while not self._stopped.wait(HOUSEKEEPING_SECONDS):
            self.executor.reap_idle(self.settings.worker_idle_seconds)
            self.unemulated.check()


def _activate_restored() -> None:
    # A function saved while Pending had its activation in a thread the snapshot does not hold.
    with MOTO:
        for fn in list(deployed_functions()):
            activate(fn)


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]
