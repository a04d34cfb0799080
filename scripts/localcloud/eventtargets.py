"""EventBridge targets: what a Lambda target receives, and everything else.

moto's Rule.send_to_targets has no Lambda target (it raises
NotImplementedError for one) and ignores a target's Input and InputPath. Lambda
targets are handled here; other targets still go through moto.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, cast

from jsonpath_ng.ext.parser import parse as parse_jsonpath
from moto.events.utils import EventTemplateParser


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


def send_to_other_targets(
    rule: Any, event: dict[str, Any], send: Callable[..., None], transform_input: bool = True
) -> None:
    """Deliver to the rule's non-Lambda targets through moto's own ``send``."""
    others = [t for t in rule.targets if not is_lambda_target(t)]
    if others:
        shallow = copy.copy(rule)
        shallow.targets = others
        send(shallow, event, transform_input)
