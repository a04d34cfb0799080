"""An API Gateway proxy integration: answers with what it received."""

import json
from typing import Any


def handler(event: Any, context: Any) -> Any:
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {"path": event["path"], "resource": event["resource"], "method": event["httpMethod"], "body": event["body"]}
        ),
    }
