"""Control-plane answers of moto made to match AWS, so that Terraform reads back
what it wrote and a second plan of an unchanged stack is empty.

- Lambda: moto drops a function's DeadLetterConfig; it is kept, returned by
  GetFunction(Configuration) and changed by UpdateFunctionConfiguration (the
  async invoker sends failed events to it).
- SQS: moto returns RedrivePolicy re-serialised with spaces; AWS (and
  Terraform's jsonencode) write it compact.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.sqs.models import Queue


def dead_letter_target(fn: Any) -> str | None:
    """The TargetArn of a function's DeadLetterConfig, if it has one."""
    config = getattr(fn, "dead_letter_config", None) or {}
    return config.get("TargetArn") or None


def _keep_dead_letter_config(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None  # type: ignore[attr-defined]

    return __init__


def _report_dead_letter_config(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        target = dead_letter_target(self)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    return get_configuration


def _update_dead_letter_config(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            # An empty TargetArn removes it, as on AWS.
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None  # type: ignore[attr-defined]
        return original(self, config_updates)

    return update_configuration


def _compact_redrive_policy(original: property) -> property:
    getter = original.fget
    assert getter is not None

    @functools.wraps(getter)
    def attributes(self: Queue) -> dict[str, Any]:
        result: dict[str, Any] = getter(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    return property(attributes)


def apply() -> None:
    """Install the changes (once per process; motopatch calls this)."""
    LambdaFunction.__init__ = _keep_dead_letter_config(LambdaFunction.__init__)  # type: ignore[method-assign]
    LambdaFunction.get_configuration = _report_dead_letter_config(  # type: ignore[method-assign]
        LambdaFunction.get_configuration
    )
    LambdaFunction.update_configuration = _update_dead_letter_config(  # type: ignore[method-assign]
        LambdaFunction.update_configuration
    )
    Queue.attributes = _compact_redrive_policy(vars(Queue)["attributes"])  # type: ignore[assignment,method-assign]
