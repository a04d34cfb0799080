"""The API Gateway data plane on the local cloud's port, invoking real functions
through the executor (the data plane itself: the other test_apigateway_* modules)."""

from __future__ import annotations

import json

import requests

from localcloud.testing import Cloud


def _openapi(function_arn: str) -> str:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    return json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "wiring", "version": "1"},
            "paths": {
                "/events": {
                    "post": {
                        "responses": {"201": {"description": "created"}},
                        "x-amazon-apigateway-integration": integration,
                    }
                }
            },
        }
    )


def test_a_proxy_route_runs_the_real_function(cloud: Cloud) -> None:
    _, function_arn = cloud.function("proxy")
    apigateway = cloud.client("apigateway")
    api = apigateway.import_rest_api(body=_openapi(function_arn).encode())
    apigateway.create_deployment(restApiId=api["id"], stageName="local")

    url = f"{cloud.endpoint_url}/restapis/{api['id']}/local/_user_request_/events"
    response = requests.post(url, json={"subject": "s1"}, timeout=10)

    assert response.status_code == 201
    assert response.json() == {"path": "/events", "resource": "/events", "method": "POST", "body": '{"subject": "s1"}'}
