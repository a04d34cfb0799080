"""Runtime settings of the local cloud: the only module that reads its environment variables.

Reading them changes nothing: no module of the local cloud sets an environment
variable when it is imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from localcloud.aws_rules import NEW_ACCOUNT_LAMBDA_CONCURRENCY

DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
HOST = "127.0.0.1"
# The names a request may give in its Host header, each with the port (guard.py says why no others):
# what every client of the local cloud sends (HOST, as in ``endpoint_url``) and the two other
# spellings of this machine's loopback address.
LOOPBACK_NAMES = (HOST, "localhost", "[::1]")
# The HTTP servers ``http_servers.make_server`` builds: werkzeug's (the home-made keep-alive server of
# ``http_server.py``), waitress and cheroot.
HTTP_SERVERS = ("werkzeug", "waitress", "cheroot")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from exc


def _optional_int(name: str) -> int | None:
    raw = os.environ.get(name)
    return None if raw is None or raw == "" else _int(name, 0)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw.strip().lower()


def default_port() -> int:
    return _int("LOCALCLOUD_PORT", DEFAULT_PORT)


@dataclass(frozen=True)
class Settings:
    """Every knob of the local cloud; each field names its environment variable."""

    port: int = DEFAULT_PORT
    state_dir: Path = Path("build/local")
    # LOCALCLOUD_POLL_INTERVAL: how long an idle SQS or stream poller sleeps.
    poll_interval: float = 0.2
    # LOCALCLOUD_SQS_RETRY_VISIBILITY: None keeps AWS behaviour (a failed message
    # stays invisible for the queue's visibility timeout); a number of seconds
    # makes failed messages visible again after that long instead.
    sqs_retry_visibility: int | None = None
    # LOCALCLOUD_STREAM_RETRY_DELAY: pause before retrying a failed stream batch.
    stream_retry_delay: float = 0.5
    # LOCALCLOUD_ASYNC_RETRY_DELAY: pause before retrying a failed asynchronous
    # invocation (AWS waits about 1 and then 2 minutes).
    async_retry_delay: float = 1.0
    # LOCALCLOUD_MAX_WORKERS: warm worker processes per function at most.
    max_workers_per_function: int = 4
    # LOCALCLOUD_WORKER_IDLE_SECONDS: an idle worker is stopped after this long.
    worker_idle_seconds: float = 900.0
    # LOCALCLOUD_SCHEDULE_RESOLUTION: how often the scheduler checks for due rules.
    schedule_resolution: float = 1.0
    # LOCALCLOUD_IAM_MANAGED_POLICIES: moto builds IAM with AWS's ~1,600 managed
    # policies (Terraform attaches AWSLambdaBasicExecutionRole and the like by ARN).
    iam_managed_policies: bool = True
    # LOCALCLOUD_VERBOSE: log every HTTP request.
    verbose: bool = False
    # Build moto's IAM/EC2 backends and service apps in the background at start
    # (about 2 s of work a first `terraform apply` would otherwise wait for).
    prewarm: bool = True
    # LOCALCLOUD_PERSIST: keep the state in <state_dir>/state.pickle across restarts (snapshots).
    persist: bool = True
    # LOCALCLOUD_SNAPSHOT_INTERVAL: while running, save the state this often if anything changed.
    snapshot_interval: float = 30.0
    # LOCALCLOUD_HTTP_SERVER: which of HTTP_SERVERS serves the port.
    http_server: str = "werkzeug"
    # LOCALCLOUD_AWS_RULES: refuse what AWS refuses (aws_rules); 0 gives moto's own behaviour.
    aws_rules: bool = True
    # LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT: the account's Lambda concurrent executions quota
    # (GetAccountSettings); reservations must leave Lambda's minimum of it unreserved.
    lambda_concurrency_limit: int = NEW_ACCOUNT_LAMBDA_CONCURRENCY

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """The Host headers the local cloud answers: a loopback name with its port, or alone on
        port 80, where HTTP clients leave the port out."""
        named = {f"{name}:{self.port}" for name in LOOPBACK_NAMES}
        return frozenset(named | set(LOOPBACK_NAMES) if self.port == 80 else named)

    @property
    def code_dir(self) -> Path:
        return self.state_dir / "lambda-code"

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / "state.pickle"

    @classmethod
    def from_env(cls, port: int | None = None, state_dir: Path | None = None) -> Settings:
        base = cls(
            port=port if port is not None else default_port(),
            state_dir=state_dir if state_dir is not None else Path("build/local"),
            poll_interval=_float("LOCALCLOUD_POLL_INTERVAL", cls.poll_interval),
            sqs_retry_visibility=_optional_int("LOCALCLOUD_SQS_RETRY_VISIBILITY"),
            stream_retry_delay=_float("LOCALCLOUD_STREAM_RETRY_DELAY", cls.stream_retry_delay),
            async_retry_delay=_float("LOCALCLOUD_ASYNC_RETRY_DELAY", cls.async_retry_delay),
            max_workers_per_function=_int("LOCALCLOUD_MAX_WORKERS", cls.max_workers_per_function),
            worker_idle_seconds=_float("LOCALCLOUD_WORKER_IDLE_SECONDS", cls.worker_idle_seconds),
            schedule_resolution=_float("LOCALCLOUD_SCHEDULE_RESOLUTION", cls.schedule_resolution),
            iam_managed_policies=_flag("LOCALCLOUD_IAM_MANAGED_POLICIES", cls.iam_managed_policies),
            verbose=_flag("LOCALCLOUD_VERBOSE", cls.verbose),
            persist=_flag("LOCALCLOUD_PERSIST", cls.persist),
            snapshot_interval=_float("LOCALCLOUD_SNAPSHOT_INTERVAL", cls.snapshot_interval),
            http_server=_choice("LOCALCLOUD_HTTP_SERVER", cls.http_server, HTTP_SERVERS),
            aws_rules=_flag("LOCALCLOUD_AWS_RULES", cls.aws_rules),
            lambda_concurrency_limit=_int("LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT", cls.lambda_concurrency_limit),
        )
        if base.max_workers_per_function < 1:
            raise ValueError("LOCALCLOUD_MAX_WORKERS must be at least 1")
        if base.lambda_concurrency_limit < 1:
            raise ValueError("LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT must be at least 1")
        return base

    def with_port(self, port: int) -> Settings:
        return replace(self, port=port)
