"""Lambda refuses what AWS refuses: a reservation that leaves less than the minimum unreserved,
a VPC function whose execution role cannot manage its network interfaces; GetAccountSettings
answers the account's limit."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.settings import DEFAULT_REGION, Settings
from localcloud.testing import ROLE_POLICY, Cloud, aws_client, function_zip, wait_until_active

FUNCTIONS = Path(__file__).with_name("functions")
VPC_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


def _refusal(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as refused:
        call()
    return dict(refused.value.response)


def _below_minimum(minimum: int) -> str:
    return (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
    )


# -- Reserved concurrency -----------------------------------------------------------------------


def test_reservations_leave_100_unreserved_of_1000_and_account_settings_report_them(cloud: Cloud) -> None:
    lam = cloud.client("lambda")
    first, _ = cloud.function("empty")
    second, _ = cloud.function("empty")

    at_limit = lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=900)
    # Replacing a function's own reservation frees the old one: 900 again still leaves 100.
    replaced = lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=900)
    over = _refusal(lambda: lam.put_function_concurrency(FunctionName=second, ReservedConcurrentExecutions=1))
    settings = lam.get_account_settings()

    assert at_limit["ReservedConcurrentExecutions"] == replaced["ReservedConcurrentExecutions"] == 900
    assert over["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert over["Error"]["Code"] == "InvalidParameterValueException"
    assert over["Error"]["Message"] == _below_minimum(100)
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    assert settings["AccountUsage"]["FunctionCount"] == 2


def test_rules_off_reservations_and_account_settings_are_moto_s(cloud: Cloud) -> None:
    lam = cloud.client("lambda")
    name, _ = cloud.function("empty")

    refused = _refusal(lambda: lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=901))
    with aws_rules.suspended():
        accepted = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=901)
        unrouted = _refusal(lam.get_account_settings)

    assert refused["Error"]["Code"] == "InvalidParameterValueException"
    assert accepted["ReservedConcurrentExecutions"] == 901
    assert unrouted["ResponseMetadata"]["HTTPStatusCode"] == 404


@contextlib.contextmanager
def _cloud_from_env(tmp: Path) -> Iterator[str]:
    """A local cloud whose settings come from the environment, as ``localcloud run`` reads them."""
    from localcloud.moto_patches.internals import reset_backends  # moto loads here, not at import
    from localcloud.server import LocalCloud

    reset_backends(keep=frozenset({"iam", "sts"}))
    settings = dataclasses.replace(
        Settings.from_env(port=0, state_dir=tmp / "state"), iam_managed_policies=False, prewarm=False, persist=False
    )
    local = LocalCloud(settings)
    local.start()
    try:
        yield local.endpoint_url
    finally:
        local.stop()


def test_a_cloud_with_a_limit_of_50_reports_it_and_keeps_all_50_unreserved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT", "50")
    with _cloud_from_env(tmp_path) as url:
        lam = aws_client("lambda", url)
        role = aws_client("iam", url).create_role(
            RoleName=f"role-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=ROLE_POLICY
        )["Role"]["Arn"]
        name = f"small-{uuid.uuid4().hex[:6]}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler="empty.handler",
            Code={"ZipFile": function_zip(FUNCTIONS, "empty")},
        )
        wait_until_active(lam, name)

        settings = lam.get_account_settings()["AccountLimit"]
        # The minimum is min(100, limit): on an account of 50 every unit must stay unreserved.
        refused = _refusal(lambda: lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1))
        throttled = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

    assert settings["ConcurrentExecutions"] == 50
    assert settings["UnreservedConcurrentExecutions"] == 50
    assert refused["Error"]["Code"] == "InvalidParameterValueException"
    assert refused["Error"]["Message"] == _below_minimum(50)
    assert throttled["ReservedConcurrentExecutions"] == 0


# -- VPC execution role -------------------------------------------------------------------------


@dataclasses.dataclass
class Network:
    subnet: str
    group: str
    prefix: str  # arn:aws:ec2:<region>:<account>


def _network(cloud: Cloud) -> Network:
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"fn-{uuid.uuid4().hex[:6]}", Description="fn", VpcId=vpc)["GroupId"]
    account = cloud.client("sts").get_caller_identity()["Account"]
    return Network(subnet, group, f"arn:aws:ec2:{DEFAULT_REGION}:{account}")


def _role(cloud: Cloud, *statements: dict[str, Any], managed: str | None = None) -> str:
    iam = cloud.client("iam")
    name = f"vpc-role-{uuid.uuid4().hex[:8]}"
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"])
    if statements:
        document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        iam.put_role_policy(RoleName=name, PolicyName="execution", PolicyDocument=document)
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    return arn


def _create(cloud: Cloud, role: str, network: Network | None) -> Callable[[], dict[str, Any]]:
    vpc = {"SubnetIds": [network.subnet], "SecurityGroupIds": [network.group]} if network else {}

    def create() -> dict[str, Any]:
        name = f"vpc-{uuid.uuid4().hex[:6]}"
        answer: dict[str, Any] = cloud.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler="empty.handler",
            Code={"ZipFile": cloud.zip("empty")},
            VpcConfig=vpc,
        )
        return answer

    return create


def _stack_statements(network: Network, delete_condition: bool = True, describe: str = "*") -> list[dict[str, Any]]:
    """The execution statements ``terraform/modules/functions`` gives a function today."""
    interfaces = f"{network.prefix}:network-interface/*"
    subnet = f"{network.prefix}:subnet/{network.subnet}"
    manage: dict[str, Any] = {
        "Effect": "Allow",
        "Action": ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"],
        "Resource": interfaces,
    }
    if delete_condition:
        manage["Condition"] = {"ArnEquals": {"ec2:Subnet": [subnet]}}
    return [
        {"Effect": "Allow", "Action": "ec2:DescribeNetworkInterfaces", "Resource": describe},
        {
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": [interfaces, subnet, f"{network.prefix}:security-group/{network.group}"],
        },
        manage,
    ]


def _message(action: str) -> str:
    return f"The provided execution role does not have permissions to call {action} on EC2"


def test_vpc_function_needs_a_role_that_may_create_describe_and_delete_interfaces(cloud: Cloud) -> None:
    network = _network(cloud)
    bare = _role(cloud)

    no_policy = _refusal(_create(cloud, bare, network))
    today = _refusal(_create(cloud, _role(cloud, *_stack_statements(network)), network))
    scoped_describe = _refusal(
        _create(cloud, _role(cloud, *_stack_statements(network, False, f"{network.prefix}:*")), network)
    )
    exactly_enough = _create(cloud, _role(cloud, *_stack_statements(network, delete_condition=False)), network)()
    outside_a_vpc = _create(cloud, bare, None)()

    assert no_policy["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert no_policy["Error"]["Code"] == "InvalidParameterValueException"
    assert no_policy["Error"]["Message"] == _message("CreateNetworkInterface")
    # Lambda checks with no request context: an ec2:Subnet condition never holds.
    assert today["Error"]["Message"] == _message("DeleteNetworkInterface")
    assert scoped_describe["Error"]["Message"] == _message("DescribeNetworkInterfaces")
    assert exactly_enough["VpcConfig"]["SubnetIds"] == [network.subnet]
    assert outside_a_vpc["FunctionName"]


def _load_vpc_managed_policy(account: str) -> None:
    """Tests build IAM without AWS's managed policies; add the one this test attaches, as moto
    loads it when LOCALCLOUD_IAM_MANAGED_POLICIES is on."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account]["aws"]
    if VPC_MANAGED_POLICY not in backend.managed_policies:
        data = json.loads(aws_managed_policies_data)["AWSLambdaVPCAccessExecutionRole"]
        policy = AWSManagedPolicy.from_data("AWSLambdaVPCAccessExecutionRole", account, DEFAULT_REGION, data)
        backend.managed_policies[policy.arn] = policy


def test_update_into_a_vpc_checks_the_role_and_the_managed_policy_passes(cloud: Cloud) -> None:
    _load_vpc_managed_policy(cloud.client("sts").get_caller_identity()["Account"])
    network = _network(cloud)
    lam = cloud.client("lambda")
    bare = _role(cloud)
    managed = _role(cloud, managed=VPC_MANAGED_POLICY)
    name = _create(cloud, bare, None)()["FunctionName"]
    wait_until_active(lam, name)
    vpc = {"SubnetIds": [network.subnet], "SecurityGroupIds": [network.group]}

    refused = _refusal(lambda: lam.update_function_configuration(FunctionName=name, VpcConfig=vpc))
    lam.update_function_configuration(FunctionName=name, VpcConfig=vpc, Role=managed)
    created = _create(cloud, managed, network)()
    back_to_bare = _refusal(lambda: lam.update_function_configuration(FunctionName=name, Role=bare))
    with aws_rules.suspended():
        accepted_by_moto = _create(cloud, bare, network)()

    assert refused["Error"]["Code"] == "InvalidParameterValueException"
    assert refused["Error"]["Message"] == _message("CreateNetworkInterface")
    assert lam.get_function_configuration(FunctionName=name)["VpcConfig"]["SubnetIds"] == [network.subnet]
    assert created["VpcConfig"]["SubnetIds"] == [network.subnet]
    assert back_to_bare["Error"]["Message"] == _message("CreateNetworkInterface")
    assert accepted_by_moto["VpcConfig"]["SubnetIds"] == [network.subnet]
