"""Who may reach the local cloud: requests naming another host, or made by a browser page, are
refused before anything runs; the SDKs, the data plane and the local cloud's own clients get through.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
import requests
from botocore.exceptions import ClientError

from localcloud.guard import Guard, refusal
from localcloud.settings import Settings
from localcloud.testing import Cloud, free_port

PORT = 4611
ALLOWED = Settings(port=PORT).allowed_hosts
FAULTS = "/_localcloud/chaos/faults"
# How a page on a hostile name reaches the local cloud once that name resolves to 127.0.0.1.
REBOUND = "evil.example"
BROWSER_PAGE = {"Origin": "https://evil.example"}


def _environ(**headers: str) -> WSGIEnvironment:
    environ: WSGIEnvironment = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "wsgi.input": io.BytesIO(b"")}
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return environ


def test_the_allowed_hosts_are_the_loopback_names_on_the_port() -> None:
    assert {"127.0.0.1:4611", "localhost:4611", "[::1]:4611"} == ALLOWED
    # HTTP clients leave the default port out of Host.
    assert Settings(port=80).allowed_hosts == {
        "127.0.0.1:80",
        "localhost:80",
        "[::1]:80",
        "127.0.0.1",
        "localhost",
        "[::1]",
    }


@pytest.mark.parametrize("host", ["127.0.0.1:4611", "localhost:4611", "[::1]:4611", "LocalHost:4611"])
def test_a_loopback_name_on_the_port_is_served(host: str) -> None:
    assert refusal(_environ(host=host), ALLOWED) is None
    # A URL the user typed: the browser marks it, and it is served (the health page opens in a tab).
    assert refusal(_environ(host=host, sec_fetch_site="none"), ALLOWED) is None


@pytest.mark.parametrize(
    "host",
    [
        f"{REBOUND}:4611",
        REBOUND,
        "127.0.0.1:4612",  # relayed from another port
        "127.0.0.1",  # port 80, not this one
        "bucket.localhost:4611",  # S3 virtual-hosted addressing: no client here sends it
        "127.0.0.1.evil.example:4611",
        "127.0.0.1:4611,evil.example:4611",  # two Host headers, joined by the server
        "",
    ],
)
def test_any_other_host_is_refused(host: str) -> None:
    reason = refusal(_environ(host=host), ALLOWED)
    assert reason is not None
    assert "is not this local cloud" in reason
    assert "127.0.0.1:4611" in reason  # says what to use


def test_a_request_without_host_is_refused() -> None:
    assert refusal(_environ(), ALLOWED) == "no Host header; this local cloud answers only requests that name it"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "http://127.0.0.1:4611", ""],
)
def test_any_origin_is_refused(origin: str) -> None:
    assert refusal(_environ(host="127.0.0.1:4611", origin=origin), ALLOWED) == (
        f"a browser page (Origin {origin!r}) may not call this local cloud"
    )


@pytest.mark.parametrize("site", ["cross-site", "same-site", "same-origin"])
def test_a_request_a_page_made_is_refused_even_without_origin(site: str) -> None:
    """The GET of an <img> or <script> carries no Origin, only Sec-Fetch-Site."""
    reason = refusal(_environ(host="127.0.0.1:4611", sec_fetch_site=site), ALLOWED)
    assert reason == f"a browser page (Sec-Fetch-Site {site!r}) may not call this local cloud"


def test_a_refused_request_reaches_nothing_and_its_body_is_not_read() -> None:
    called: list[WSGIEnvironment] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        called.append(environ)
        start_response("200 OK", [])
        return [b"served"]

    class Unread(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("the guard read the body of a refused request")

    answered: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        answered.append((status, headers))
        return lambda data: None

    environ = _environ(host=f"{REBOUND}:4611")
    environ["wsgi.input"] = Unread()

    body = b"".join(Guard(app, ALLOWED)(environ, start_response))

    assert called == []
    ((status, headers),) = answered
    assert status == "403 Forbidden"
    assert dict(headers) == {"Content-Type": "application/json", "Content-Length": str(len(body))}
    assert json.loads(body) == {"message": refusal(environ, ALLOWED)}


def test_a_long_header_is_cut_short_in_the_answer() -> None:
    reason = refusal(_environ(host="x" * 10_000), ALLOWED)
    assert reason is not None
    assert len(reason) < 250


# Through a running local cloud.


def _forging(client: Any, headers: dict[str, str]) -> Any:
    """The client, sending ``headers`` on each request in place of its own."""

    def forge(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            if name in request.headers:
                del request.headers[name]
            request.headers[name] = value

    client.meta.events.register("before-send", forge)
    return client


def _hostile_hosts(cloud: Cloud) -> list[str]:
    return [f"{REBOUND}:{cloud.server.port}", f"127.0.0.1:{free_port()}"]


def _assert_refused(response: requests.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["message"]
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def _proxy_api(cloud: Cloud) -> str:
    """A deployed REST API whose POST /echo runs the proxy function; its stage URL."""
    _, function_arn = cloud.function("proxy")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    operation = {
        "responses": {"201": {"description": "created"}},
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri},
    }
    body = {"openapi": "3.0.1", "info": {"title": "guard", "version": "1"}, "paths": {"/echo": {"post": operation}}}
    apigateway = cloud.client("apigateway")
    api = apigateway.import_rest_api(body=json.dumps(body).encode())
    apigateway.create_deployment(restApiId=api["id"], stageName="local")
    return f"{cloud.endpoint_url}/restapis/{api['id']}/local/_user_request_"


def test_a_foreign_host_is_refused_by_every_part_and_changes_nothing(cloud: Cloud) -> None:
    stage = _proxy_api(cloud)
    sqs = cloud.client("sqs")
    for host in _hostile_hosts(cloud):
        forged = {"Host": host}
        # moto: the SDK's own request, with the name a rebound page would give.
        with pytest.raises(ClientError) as raised:
            _forging(cloud.client("sqs"), forged).create_queue(QueueName="rebound")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        # The local cloud's own endpoints, the Chaos API, the API Gateway data plane.
        _assert_refused(requests.get(f"{cloud.endpoint_url}/_localcloud/health", headers=forged, timeout=10))
        _assert_refused(requests.post(f"{cloud.endpoint_url}/_localcloud/tick", headers=forged, timeout=10))
        _assert_refused(requests.post(cloud.endpoint_url + FAULTS, json=[{}], headers=forged, timeout=10))
        _assert_refused(requests.post(f"{stage}/echo", json={"a": 1}, headers=forged, timeout=10))

    assert "QueueUrls" not in sqs.list_queues()
    assert requests.get(cloud.endpoint_url + FAULTS, timeout=10).json() == []  # no fault was added
    served = requests.post(f"{stage}/echo", json={"a": 1}, timeout=10)
    assert served.status_code == 201
    assert served.json()["body"] == '{"a": 1}'


@pytest.mark.parametrize(
    "forged",
    [{"Host": f"{REBOUND}:PORT"}, BROWSER_PAGE, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["rebound-host", "origin", "null-origin", "no-cors-page"],
)
def test_a_refused_create_or_update_function_leaves_the_functions_as_they_were(
    cloud: Cloud, forged: dict[str, str]
) -> None:
    forged = {name: value.replace("PORT", str(cloud.server.port)) for name, value in forged.items()}
    name, _ = cloud.function("echo")
    before = cloud.client("lambda").get_function(FunctionName=name)["Configuration"]
    hostile = _forging(cloud.client("lambda"), forged)

    with pytest.raises(ClientError) as update:
        hostile.update_function_code(FunctionName=name, ZipFile=cloud.zip("proxy"))
    with pytest.raises(ClientError) as create:
        hostile.create_function(
            FunctionName=f"{name}-planted",
            Runtime="python3.13",
            Role=cloud.role(),
            Handler="proxy.handler",
            Code={"ZipFile": cloud.zip("proxy")},
        )

    assert update.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert create.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    lambda_ = cloud.client("lambda")
    after = lambda_.get_function(FunctionName=name)["Configuration"]
    assert (after["CodeSha256"], after["Handler"]) == (before["CodeSha256"], "echo.handler")
    assert json.loads(lambda_.invoke(FunctionName=name, Payload=b'{"a": 1}')["Payload"].read())["event"] == {"a": 1}
    assert [f["FunctionName"] for f in lambda_.list_functions()["Functions"]] == [name]


def test_a_browser_page_is_refused_and_its_preflight_allows_nothing(cloud: Cloud) -> None:
    stage = _proxy_api(cloud)
    for url in (
        f"{cloud.endpoint_url}/_localcloud/health",
        f"{stage}/echo",
        f"{cloud.endpoint_url}/?Action=ListQueues",
    ):
        _assert_refused(requests.get(url, headers=BROWSER_PAGE, timeout=10))
    # What a browser asks before a page may send UpdateFunctionCode.
    preflight = {
        **BROWSER_PAGE,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization",
    }
    for url in (f"{cloud.endpoint_url}/2015-03-31/functions/any/code", f"{stage}/echo", cloud.endpoint_url + FAULTS):
        _assert_refused(requests.options(url, headers=preflight, timeout=10))


def test_sdk_calls_get_through_and_moto_sends_no_cors_headers(cloud: Cloud) -> None:
    """moto's flask-cors answers every response with Access-Control-Allow-Origin: *; it is off."""
    sqs = cloud.client("sqs")
    answers: list[dict[str, str]] = []
    sqs.meta.events.register("after-call", lambda http_response, **_: answers.append(dict(http_response.headers)))

    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hello"]
    assert len(answers) == 3
    assert [name for headers in answers for name in headers if name.lower().startswith("access-control-")] == []
    # An OPTIONS without Origin is no browser's preflight: it reaches moto (S3, for an unsigned
    # request to /), which allows nothing either.
    plain = requests.options(f"{cloud.endpoint_url}/", timeout=10)
    assert plain.status_code == 200, plain.text
    assert not [name for name in plain.headers if name.lower().startswith("access-control-")]
