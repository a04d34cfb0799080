"""The ``invoke`` callable the API Gateway data plane calls for AWS_PROXY
integrations: it runs the function through the executor in-process (no HTTP
round trip through the Invoke API) and returns (payload JSON text, is_error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localcloud.awslambda.executor import LambdaExecutor
from localcloud.moto_patches.internals import find_function

ProxyInvoke = Callable[[str, dict[str, Any]], tuple[str, bool]]


def make_proxy_invoke(executor: LambdaExecutor) -> ProxyInvoke:
    def invoke(function_arn: str, event: dict[str, Any]) -> tuple[str, bool]:
        """``function_arn`` may also be the integration URI that wraps it."""
        try:
            fn = find_function(function_arn)
        except Exception as exc:
            error = {
                "errorMessage": f"Function not found: {function_arn} ({exc})",
                "errorType": "ResourceNotFoundException",
            }
            return json.dumps(error), True
        result = executor.invoke(fn, json.dumps(event).encode())
        return result.payload, result.is_error

    return invoke
