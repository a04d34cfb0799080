"""Returns the event, its environment and its context; fails or sleeps on request."""

import os
import time
from typing import Any


def handler(event: Any, context: Any) -> Any:
    print("echo got", event)
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError(event["fail"])
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(event["sleep"])
    return {
        "event": event,
        "pid": os.getpid(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("GREETING", "AWS_", "LAMBDA_", "_HANDLER"))},
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
