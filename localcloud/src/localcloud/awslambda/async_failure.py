"""Where an asynchronous invocation goes once its retries are used up: the
function's dead-letter queue (DeadLetterConfig) and the on-failure destination
of its event invoke configuration, with the shapes AWS sends to each."""

from __future__ import annotations

import json
from typing import Any

from localcloud.awslambda.destinations import send_to_destination
from localcloud.awslambda.executor import FunctionLike, Invocation
from localcloud.awslambda.payloads import iso_millis
from localcloud.moto_patches.fidelity import dead_letter_target

# AWS cuts the ErrorMessage attribute of a dead-lettered event.
ERROR_MESSAGE_LIMIT = 1000


def _on_failure_destination(fn: FunctionLike) -> str | None:
    for config in reversed(getattr(fn, "event_invoke_config", None) or []):
        destination = ((config.config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination:
            return str(destination)
    return None


def _error_message(result: Invocation) -> str:
    try:
        body: Any = json.loads(result.payload)
    except ValueError:
        return result.payload[:ERROR_MESSAGE_LIMIT]
    message = body.get("errorMessage", "") if isinstance(body, dict) else ""
    return str(message)[:ERROR_MESSAGE_LIMIT]


def route_failed_event(fn: FunctionLike, payload: bytes, result: Invocation, invocations: int) -> None:
    dead_letter = dead_letter_target(fn)
    if dead_letter:
        attributes = {"RequestID": result.request_id, "ErrorCode": "200", "ErrorMessage": _error_message(result)}
        send_to_destination(dead_letter, payload.decode(), attributes)
    destination = _on_failure_destination(fn)
    if destination:
        record = {
            "version": "1.0",
            "timestamp": iso_millis(),
            "requestContext": {
                "requestId": result.request_id,
                "functionArn": fn.function_arn,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": invocations,
            },
            "requestPayload": json.loads(payload),
            "responseContext": {"statusCode": 200, "executedVersion": str(fn.version), "functionError": "Unhandled"},
            "responsePayload": json.loads(result.payload) if result.payload else None,
        }
        send_to_destination(destination, json.dumps(record))
