"""A retried SDK call is answered once: the rules of ``retried_calls``, then real SDK calls whose
first answer a proxy loses (each fails without the layer: the retry meets the first attempt's result)."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from chaos_support import faults
from localcloud.lossy_proxy import LossyProxy
from localcloud.retried_calls import RetriedCalls, answer_retries_once, attempt_number
from localcloud.testing import Cloud, aws_client

# -- the rules, over a counting application ----------------------------------------------------


class Service:
    """A WSGI app that counts the requests it served and answers with the count."""

    def __init__(self, status: str = "200 OK", delay: float = 0.0) -> None:
        self.served = 0
        self.status = status
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        time.sleep(self.delay)
        with self._lock:
            self.served += 1
            served = self.served
        start_response(self.status, [("Content-Type", "application/json")])
        return [json.dumps({"served": served, "body": body.decode()}).encode()]


def call(
    app: Callable[..., Iterable[bytes]],
    invocation_id: str | None,
    attempt: int,
    body: bytes = b"{}",
    method: str = "POST",
    path: str = "/",
) -> tuple[str, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=3",
    }
    if invocation_id:
        environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation_id
    answered: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        answered["status"] = status
        return lambda _: None

    body_out = b"".join(app(environ, start_response))
    return answered["status"], body_out


def test_a_repeated_attempt_of_a_completed_call_gets_its_answer_without_running_again() -> None:
    service = Service()
    calls = RetriedCalls()
    app = answer_retries_once(service, calls)
    first = call(app, "id-1", 1, b'{"n": 1}')
    again = call(app, "id-1", 2, b'{"n": 1}')
    assert again == first
    assert service.served == 1
    assert calls.replayed == 1


def test_another_call_or_another_request_under_the_same_id_runs() -> None:
    service = Service()
    app = answer_retries_once(service, RetriedCalls())
    call(app, "id-1", 1, b'{"n": 1}')
    call(app, "id-2", 1, b'{"n": 1}')  # another call
    call(app, "id-1", 2, b'{"n": 2}')  # the id of another request
    call(app, None, 1, b'{"n": 1}')  # no id at all
    assert service.served == 4


@pytest.mark.parametrize("status", ["500 Internal Server Error", "503 Service Unavailable", "400 Bad Request"])
def test_an_error_answer_is_never_replayed(status: str) -> None:
    service = Service(status)
    app = answer_retries_once(service, RetriedCalls())
    call(app, "id-1", 1)
    call(app, "id-1", 2)
    assert service.served == 2  # the SDK retries errors on purpose: the retry reaches the service


def test_reads_are_not_kept() -> None:
    service = Service()
    calls = RetriedCalls()
    app = answer_retries_once(service, calls)
    call(app, "id-1", 1, b"", method="GET")
    call(app, "id-1", 2, b"", method="GET")
    assert service.served == 2
    assert len(calls) == 0


def test_a_concurrent_repeat_waits_for_the_first_attempt_and_takes_its_answer() -> None:
    service = Service(delay=0.3)
    app = answer_retries_once(service, RetriedCalls())
    answers: list[tuple[str, bytes]] = []
    first = threading.Thread(target=lambda: answers.append(call(app, "id-1", 1)))
    first.start()
    time.sleep(0.1)  # the first attempt is running
    answers.append(call(app, "id-1", 2))
    first.join()
    assert service.served == 1
    assert answers[0] == answers[1]


def test_kept_answers_are_bounded_in_count_and_age() -> None:
    now = [0.0]
    calls = RetriedCalls(max_answers=3, ttl_seconds=60, clock=lambda: now[0])
    service = Service()
    app = answer_retries_once(service, calls)
    for n in range(5):
        call(app, f"id-{n}", 1)
    assert len(calls) == 3  # the oldest two went
    call(app, "id-0", 2)
    assert service.served == 6  # id-0 was forgotten: its repeat ran
    now[0] = 61.0
    call(app, "id-9", 1)
    assert len(calls) == 1  # everything older than the TTL went


def test_the_attempt_number_is_read_from_the_sdk_header() -> None:
    assert attempt_number({"HTTP_AMZ_SDK_REQUEST": "attempt=3; max=5"}) == 3
    assert attempt_number({"HTTP_AMZ_SDK_REQUEST": "ttl=20261207T000000Z; attempt=2; max=3"}) == 2
    assert attempt_number({}) == 1


# -- real SDK calls whose first answer is lost in transport ---------------------------------------


@pytest.fixture
def lossy(cloud: Cloud) -> Iterator[LossyProxy]:
    with LossyProxy(cloud.endpoint_url) as proxy:
        yield proxy


def through(proxy: LossyProxy, service: str) -> Any:
    # Standard retries, as Terraform's SDK and the workers' boto3 use.
    return aws_client(service, proxy.url, Config(retries={"mode": "standard", "max_attempts": 3}))


def test_creates_whose_answer_is_lost_succeed_on_the_retry(cloud: Cloud, lossy: LossyProxy) -> None:
    name = f"t-{uuid.uuid4().hex[:6]}"
    dynamodb = through(lossy, "dynamodb")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    iam = through(lossy, "iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
    lambda_ = through(lossy, "lambda")
    lambda_.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="echo.handler",
        Code={"ZipFile": cloud.zip("echo")},
    )
    for source in ("edge", "regional"):
        lambda_.add_permission(
            FunctionName=name, StatementId=source, Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com"
        )
    ec2 = through(lossy, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName=name, Description="t", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
    )
    apigateway = through(lossy, "apigateway")
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigateway.create_deployment(restApiId=api)["id"]
    apigateway.create_stage(restApiId=api, stageName="local", deploymentId=deployment)

    assert lossy.lost == [
        "CreateTable",
        "CreateRole",
        "CreateFunction",
        "AddPermission",
        "AddPermission",
        "CreateVpc",
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupEgress",
        "CreateRestApi",
        "PutMethod",
        "PutIntegration",
        "CreateDeployment",
        "CreateStage",
    ]
    # Each exists once, as one successful call would have left it.
    policy = json.loads(cloud.client("lambda").get_policy(FunctionName=name)["Policy"])
    assert sorted(s["Sid"] for s in policy["Statement"]) == ["edge", "regional"]
    assert [s["stageName"] for s in cloud.client("apigateway").get_stages(restApiId=api)["item"]] == ["local"]
    assert len(cloud.client("apigateway").get_deployments(restApiId=api)["items"]) == 1
    assert len([v for v in cloud.client("ec2").describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.9.0.0/16"]) == 1
    assert cloud.server.retried_calls.replayed == len(lossy.lost)


def test_a_reply_the_fault_api_loses_on_purpose_stays_lost(cloud: Cloud, lossy: LossyProxy) -> None:
    """The fault API's lost reply is AWS's kind: the retry is a new request, and meets the first one's table."""
    name = f"t-{uuid.uuid4().hex[:6]}"
    rule = {"service": "dynamodb", "operation": "CreateTable", "phase": "response", "count": 1}
    faults(cloud, "PATCH", [{**rule, "error": {"statusCode": 503, "code": "ServiceUnavailable"}}])
    dynamodb = aws_client("dynamodb", cloud.endpoint_url, Config(retries={"mode": "standard", "max_attempts": 3}))
    with pytest.raises(ClientError) as raised:
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert raised.value.response["Error"]["Code"] == "ResourceInUseException"
    assert cloud.server.retried_calls.replayed == 0
