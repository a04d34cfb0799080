"""EventBridge targets: what a Lambda target receives, and everything else.

moto's Rule.send_to_targets has no Lambda target (it raises
NotImplementedError for one) and ignores a target's Input and InputPath. Lambda
targets are handled here; other targets still go through moto.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any, cast

from jsonpath_ng.ext.parser import parse as parse_jsonpath

from localcloud.moto_patches.internals import EventTemplateParser, LambdaFunction, find_function

# moto's own delivery of a rule's event: (rule, event).
SendWithMoto = Callable[[Any, dict[str, Any]], None]
# The asynchronous invoker's submit: (finds the function when it runs, payload).
SubmitAsync = Callable[[Callable[[], LambdaFunction], bytes], None]


def is_lambda_target(target: dict[str, Any]) -> bool:
    return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]


def target_payload(target: dict[str, Any], event: dict[str, Any]) -> bytes:
    """The event a target receives: Input, InputPath, InputTransformer or all."""
    if target.get("Input") is not None:
        return str(target["Input"]).encode()
    if target.get("InputPath"):
        matches = [m.value for m in parse_jsonpath(target["InputPath"]).find(event)]
        return json.dumps(matches[0] if matches else None).encode()
    transformer = target.get("InputTransformer")
    if transformer:
        shaped = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            # moto's parser needs ingestion-time, which only PutEvents sets.
            event=cast(Any, {"ingestion-time": event.get("time", ""), **event}),
        )
        return (shaped if isinstance(shaped, str) else json.dumps(shaped)).encode()
    return json.dumps(event).encode()


def send_to_other_targets(rule: Any, event: dict[str, Any], send_with_moto: SendWithMoto) -> None:
    """Deliver to the rule's non-Lambda targets through moto's own delivery."""
    others = [t for t in rule.targets if not is_lambda_target(t)]
    if others:
        shallow = copy.copy(rule)
        shallow.targets = others
        send_with_moto(shallow, event)


def send_to_targets(rule: Any, event: dict[str, Any], send_with_moto: SendWithMoto, submit: SubmitAsync) -> None:
    """A rule's event to every target: Lambda targets asynchronously through ``submit``,
    as EventBridge invokes them, the others through moto."""
    if not any(is_lambda_target(t) for t in rule.targets):
        send_with_moto(rule, event)
        return
    if not rule.event_pattern.matches_event(event):
        return
    send_to_other_targets(rule, event, send_with_moto)
    for target in rule.targets:
        if is_lambda_target(target):
            submit(functools.partial(find_function, target["Arn"]), target_payload(target, event))
