"""What the test_chaos_* modules share: the Chaos API over HTTP, a client that counts its
attempts under botocore's standard retry mode, a ClientError's fields, a table to fault.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.testing import Cloud

FAULTS = "/_localcloud/chaos/faults"
EFFECTS = "/_localcloud/chaos/effects"


def faults(cloud: Cloud, method: str, body: Any = None, path: str = FAULTS) -> Any:
    """One call of the Chaos API (the fault rules, or the effects at EFFECTS); its JSON answer."""
    response = requests.request(method, cloud.endpoint_url + path, json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def counting_client(cloud: Cloud, service: str, attempts: int = 1) -> tuple[Any, list[str]]:
    """A client with botocore's standard retry mode and the list of attempts it sends."""
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    client = cloud.client(service, config)
    sent: list[str] = []
    client.meta.events.register("before-send", lambda **kwargs: sent.append(kwargs["request"].url))
    return client, sent


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    response: Any = raised.value.response
    return {**response["Error"], "status": response["ResponseMetadata"]["HTTPStatusCode"]}


def create_table(cloud: Cloud, name: str) -> None:
    cloud.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def put(table: str, item_id: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"id": {"S": item_id}}}}
