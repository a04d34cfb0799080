"""The local cloud in one process: moto's server plus the pieces moto lacks.

Request path: ControlApp (/_localcloud/*, /_localstack/chaos/*) -> API Gateway
data plane (/restapis/<id>/<stage>/_user_request_/...) -> fault injection
(chaos; AWS API requests only) -> moto's own dispatcher. Beside it run the
executor (warm Lambda workers, which also applies Lambda faults), the event
source mapping pollers, the scheduler and the log shipper.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from typing import Any

from moto import __version__ as moto_version
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localcloud import motopatch
from localcloud.apigateway import install_import_fidelity, wrap_wsgi_app
from localcloud.apigw_invoke import make_proxy_invoke
from localcloud.asyncfailure import route_failed_event
from localcloud.asyncinvoke import AsyncInvoker
from localcloud.chaos import ChaosControl, FaultRegistry
from localcloud.chaos import wrap_wsgi_app as wrap_with_faults
from localcloud.codecache import CodeCache
from localcloud.control import ControlApp
from localcloud.executor import LambdaExecutor
from localcloud.lambdalogs import LogShipper
from localcloud.layers import resolve_layer
from localcloud.mappings import MappingSupervisor
from localcloud.scheduler import Scheduler
from localcloud.serialize import serialize_services
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
        iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
        ec2_backends[DEFAULT_ACCOUNT_ID][DEFAULT_REGION]
        dispatcher = _moto_dispatcher()
        for service in PREWARM_SERVICES:
            if service not in dispatcher.app_instances:
                app = create_backend_app(service)  # type: ignore[arg-type]
                with dispatcher.lock:
                    dispatcher.app_instances.setdefault(service, app)
    except Exception:  # only an optimisation
        log.exception("prewarming moto failed")


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
        motopatch.install(motopatch.Hooks(self.executor, self.async_invoker, self.mappings.reconcile))
        install_import_fidelity()

        # Faults sit inside the gateway: its data plane is never faulted by a request
        # rule (its functions can be, by a Lambda fault in the executor).
        aws_apis = wrap_with_faults(serialize_services(_moto_dispatcher()), self.faults)
        gateway = wrap_wsgi_app(aws_apis, make_proxy_invoke(self.executor))
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
        motopatch.uninstall()
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
