"""What AWS refuses, the local cloud refuses too: with AWS's error code and message.

moto accepts what AWS checks against the account and across services (a stage that logs before
the account has a CloudWatch role, a log group whose KMS key does not admit CloudWatch Logs, a
reservation of concurrency the account cannot spare, a batch over its byte limit). A stack that
deploys here and then fails on AWS's first apply is the failure this package exists to prevent.
Each module holds the rules of one service, each rule beside the sentence of AWS's documentation
it comes from; the local cloud's README lists them all.

The rules hold while a local cloud is running in this process (``enable``, from the server's
start); other users of moto in the process (unit tests under ``mock_aws``, ``testing.stock_moto``)
see moto's own behaviour, and ``LOCALCLOUD_AWS_RULES=0`` turns them off for a whole local cloud.
The account's own settings (what a new AWS account starts with) live in ``Account``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

# A new account's Lambda concurrent executions quota: see ``awslambda``.
NEW_ACCOUNT_LAMBDA_CONCURRENCY = 1000


@dataclass(frozen=True)
class Account:
    """The settings AWS keeps for an account and region that no API of this stack writes."""

    lambda_concurrency_limit: int = NEW_ACCOUNT_LAMBDA_CONCURRENCY


class _Rules:
    def __init__(self) -> None:
        self.active = False
        self.account = Account()


RULES = _Rules()
_applied = threading.Lock()


def active() -> bool:
    """Whether the rules hold now (a local cloud is running in this process with them on)."""
    return RULES.active


def account() -> Account:
    return RULES.account


def enable(settings: Account) -> None:
    apply()
    RULES.account = settings
    RULES.active = True


def disable() -> None:
    RULES.active = False


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """moto's own behaviour while it lasts, as with LOCALCLOUD_AWS_RULES=0 (for tests that need it)."""
    was_active, settings = RULES.active, RULES.account
    disable()
    try:
        yield
    finally:
        if was_active:
            enable(settings)


def apply() -> None:
    """Install every service's rules on moto's classes, once per process; inert until ``enable``."""
    if not _applied.acquire(blocking=False):
        return
    # Here, not at the top: settings.py reads this package's defaults, and reading settings loads no moto.
    from localcloud.aws_rules import (  # noqa: PLC0415  # moto on install only
        apigateway,
        awslambda,
        batch_limits,
        event_source_mappings,
        kms_key_policies,
        openapi_import,
        service_quotas,
    )

    for module in (
        apigateway,
        openapi_import,
        kms_key_policies,
        awslambda,
        batch_limits,
        service_quotas,
        event_source_mappings,
    ):
        module.apply()
