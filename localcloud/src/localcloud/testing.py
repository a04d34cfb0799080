"""Helpers for tests that drive a local cloud: a handle with boto3 clients and
function deployment, deployment packages from source files, polling and free ports.

Used by the package's own tests; usable by any test that starts a LocalCloud
(``running_cloud``) in its process. ``wait_for`` and ``free_port`` are the repository's
only helpers of their kind: the project's tooling, its tests and its end-to-end tests use
them too. Importing this module does not import moto; ``running_cloud`` does.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

import boto3
from botocore.config import Config

from localcloud.daemon import free_port
from localcloud.settings import DEFAULT_REGION, HOST, Settings

if TYPE_CHECKING:
    from localcloud.server import LocalCloud

__all__ = [
    "ROLE_POLICY",
    "Cloud",
    "aws_client",
    "dummy_aws_environment",
    "free_port",
    "function_zip",
    "read_records",
    "running_cloud",
    "stock_moto",
    "wait_for",
    "wait_until_active",
]

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


# Inherited, these would let a test reach a real account or another endpoint: `make` exports
# AWS_ENDPOINT_URL for ENV=local (moto-mocked clients would go to whatever listens there), a
# profile that does not exist here fails every client, and MOTO_IAM_LOAD_MANAGED_POLICIES makes
# every fresh moto account load about a thousand IAM policies (tests that need them set it).
_INHERITED_AWS_SETTINGS = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_IAM_LOAD_MANAGED_POLICIES")


@contextlib.contextmanager
def dummy_aws_environment() -> Iterator[None]:
    """Dummy credentials and region in ``os.environ`` while it lasts, nothing inherited that could
    reach a real account or another endpoint; the previous environment comes back afterwards.
    Test suites enter it in a session-wide autouse fixture, before any other fixture runs."""
    with mock.patch.dict(os.environ):
        for name in _INHERITED_AWS_SETTINGS:
            os.environ.pop(name, None)
        os.environ.update(
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",  # noqa: S106  (the emulator's dummy credentials)
            AWS_DEFAULT_REGION=DEFAULT_REGION,
            AWS_REGION=DEFAULT_REGION,
        )
        yield


def aws_client(service: str, endpoint_url: str, config: Config | None = None) -> Any:
    """A boto3 client for the local cloud at ``endpoint_url``, dummy credentials."""
    return boto3.client(
        cast(Any, service),
        endpoint_url=endpoint_url,
        region_name=DEFAULT_REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106  (the emulator's dummy credentials)
        config=config,
    )


def function_zip(directory: Path, *modules: str, extra: dict[str, str] | None = None) -> bytes:
    """A deployment package holding <directory>/<module>.py for each module,
    plus ``extra`` files given as {path in the zip: source text}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for module in modules:
            archive.write(directory / f"{module}.py", f"{module}.py")
        for path, text in (extra or {}).items():
            archive.writestr(path, text)
    return buffer.getvalue()


def wait_for[T](
    condition: Callable[[], T | None], what: str = "the condition", timeout: float = 10.0, interval: float = 0.05
) -> T:
    """Poll until ``condition()`` returns something truthy and return it; after ``timeout``
    seconds fail (AssertionError) naming ``what`` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; last seen: {value!r}")
        time.sleep(interval)


def wait_until_active(lambda_client: Any, name: str, timeout: float = 30.0) -> None:
    """Wait for a new function to leave ``Pending``, as AWS's ``function_active_v2`` waiter does (polling faster)."""

    def active() -> str | None:
        state = str(lambda_client.get_function_configuration(FunctionName=name).get("State"))
        if state == "Failed":
            raise AssertionError(f"function {name} failed to become active")
        return state if state == "Active" else None

    wait_for(active, f"function {name} to become Active", timeout)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines a recording test function appended to ``path``."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Cloud:
    """A running local cloud (``server``) and helpers to build resources in it."""

    server: LocalCloud
    tmp: Path
    functions_dir: Path
    _role: str = ""

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def client(self, service: str, config: Config | None = None) -> Any:
        return aws_client(service, self.endpoint_url, config)

    def role(self) -> str:
        if not self._role:
            name = f"role-{uuid.uuid4().hex[:8]}"
            created = self.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)
            self._role = str(created["Role"]["Arn"])
        return self._role

    def zip(self, *modules: str, extra: dict[str, str] | None = None) -> bytes:
        return function_zip(self.functions_dir, *modules, extra=extra)

    def function(
        self,
        module: str,
        *,
        name: str | None = None,
        env: dict[str, str] | None = None,
        timeout: int = 5,
        handler: str | None = None,
    ) -> tuple[str, str]:
        """Create a function from <functions_dir>/<module>.py; returns (name, ARN)."""
        name = name or f"{module}-{uuid.uuid4().hex[:6]}"
        response = self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=self.role(),
            Handler=handler or f"{module}.handler",
            Code={"ZipFile": self.zip(module)},
            Timeout=timeout,
            Environment={"Variables": env or {}},
        )
        wait_until_active(self.client("lambda"), name)
        return name, str(response["FunctionArn"])

    def record_file(self) -> Path:
        return self.tmp / f"records-{uuid.uuid4().hex[:6]}.jsonl"


# Rebuilding IAM costs time, so clouds started one after another in a process share it
# (every role has a unique name) and reset every other service.
_SHARED_SERVICES = frozenset({"iam", "sts"})


@contextlib.contextmanager
def running_cloud(
    tmp: Path,
    functions_dir: Path,
    persist: bool = False,
    snapshot_interval: float = Settings.snapshot_interval,
    lambda_concurrency_limit: int = Settings.lambda_concurrency_limit,
) -> Iterator[Cloud]:
    """A local cloud in this process on a free port, with fresh moto state and fast pollers.

    IAM is built without AWS's managed policies (a second per build); nothing a test
    creates needs them. With ``persist`` it keeps its state in ``tmp/state`` as ``localcloud
    run`` does: saved when it stops (and while it runs, ``snapshot_interval``), restored by the
    next one started on the same ``tmp``. ``lambda_concurrency_limit``: the account's, as a new
    account or one whose quota was raised.
    """
    # moto loads here, not when a test module imports the helpers above.
    from localcloud.moto_patches.internals import reset_backends  # noqa: PLC0415
    from localcloud.server import LocalCloud  # noqa: PLC0415

    reset_backends(keep=_SHARED_SERVICES)
    settings = Settings(
        port=0,
        state_dir=tmp / "state",
        poll_interval=0.05,
        stream_retry_delay=0.05,
        async_retry_delay=0.1,
        schedule_resolution=0.2,
        iam_managed_policies=False,
        prewarm=False,
        persist=persist,
        snapshot_interval=snapshot_interval,
        lambda_concurrency_limit=lambda_concurrency_limit,
    )
    local = LocalCloud(settings)
    local.start()
    try:
        yield Cloud(local, tmp, functions_dir)
    finally:
        local.stop()


@contextlib.contextmanager
def stock_moto(port: int = 0) -> Iterator[str]:
    """moto's own server, as ``ThreadedMotoServer`` runs it, behind the local cloud's retry safety.

    Stock moto's behaviour with two things in front: a retried SDK call is answered once
    (``retried_calls``) and requests reach moto one at a time (``moto_patches.serial``), so a
    Terraform apply meets neither a lost answer's retry nor a race inside moto. Yields the URL.
    """
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    from localcloud.moto_patches.serial import serialized  # noqa: PLC0415
    from localcloud.retried_calls import RetriedCalls, answer_retries_once  # noqa: PLC0415

    app = answer_retries_once(serialized(DomainDispatcherApplication(create_backend_app)), RetriedCalls())
    server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="stock-moto", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
