"""The local cloud in one process: moto's server plus the pieces moto lacks.

Request path: ControlApp (/_localcloud/*, /_localstack/chaos/*) -> user pool
token endpoint (/_aws/cognito-idp/oauth2/token) -> API Gateway data plane
(/restapis/<id>/<stage>/_user_request_/...) -> fault injection
(chaos; AWS API requests only) -> moto's own dispatcher. Beside it run the
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
from typing import Any

from moto import __version__ as moto_version
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

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
from localcloud.moto_patches.install import install, uninstall
from localcloud.moto_patches.internals import LambdaFunction, Rule, find_function, prewarm_backends, resolve_layer
from localcloud.moto_patches.serialize import serialize_services
from localcloud.settings import DEFAULT_REGION, HOST, Settings

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
    """One per process: it caches the per-service Flask apps it builds."""
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
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._started_at = 0.0

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
        server = make_server(HOST, self.settings.port, _not_ready, threaded=True, request_handler=MotoRequestHandler)
        self._server = server
        self.settings = self.settings.with_port(int(server.server_port))
        settings = self.settings

        self.logs = LogShipper()
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

        # Faults sit inside the gateway: its data plane is never faulted by a request
        # rule (its functions can be, by a Lambda fault in the executor).
        aws_apis = wrap_with_faults(serialize_services(_moto_dispatcher()), self.faults)
        gateway = wrap_with_token_endpoint(wrap_wsgi_app(aws_apis, make_proxy_invoke(self.executor)))
        server.app = ControlApp(gateway, self.health, self.scheduler.tick, ChaosControl(self.faults))

        self._started_at = time.time()
        # A short poll interval makes stop() quick; idle cost is negligible.
        self._spawn(functools.partial(server.serve_forever, poll_interval=0.1), "localcloud-http")
        self._spawn(self._housekeeping, "localcloud-housekeeping")
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
        self.scheduler.stop()
        self.mappings.stop()
        self.async_invoker.close()
        self.executor.close()
        self.logs.close()
        uninstall()
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
        }

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _housekeeping(self) -> None:
        while not self._stopped.wait(HOUSEKEEPING_SECONDS):
            self.executor.reap_idle(self.settings.worker_idle_seconds)


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]
