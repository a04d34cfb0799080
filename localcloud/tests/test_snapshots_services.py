"""Whatever a deployment puts in any service comes back after a restart: every service the stack,
its tools and its tests use, each listed and described before the save and again after a restore
into a new local cloud whose every backend (IAM's and STS's too) was emptied first.

moto's backends hold what plain pickle cannot save (SSM's backend a lambda from its first call): one
such object made every later save fail, so a restart brought back an old state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from localcloud import snapshots
from localcloud.moto_patches.internals import reset_backends
from localcloud.testing import Cloud, running_cloud

FUNCTIONS = Path(__file__).with_name("functions")
NAME = "kept"
ASSUME_ANYONE = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
)


def _deploy(cloud: Cloud) -> dict[str, str]:
    """Something in every service; returns the ids that AWS chooses."""
    sqs, sns = cloud.client("sqs"), cloud.client("sns")
    queue = sqs.create_queue(QueueName=NAME, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="waiting")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=NAME)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message="published")

    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.put_item(TableName=NAME, Item={"id": {"S": "a"}, "tags": {"SS": ["x", "y"]}})
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName=NAME, ShardCount=1)
    kinesis.put_record(StreamName=NAME, Data=b"record", PartitionKey="p")

    function, _ = cloud.function("echo", name=NAME, env={"KEPT": "yes"})
    cloud.client("lambda").invoke(FunctionName=function, Payload=b"{}")

    api = _rest_api(cloud)
    iam = cloud.client("iam")
    role = iam.create_role(RoleName=f"{NAME}-assumable", AssumeRolePolicyDocument=ASSUME_ANYONE)["Role"]["Arn"]
    policy = iam.create_policy(
        PolicyName=NAME,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{NAME}-assumable", PolicyArn=policy)
    credentials = cloud.client("sts").assume_role(RoleArn=role, RoleSessionName=NAME)["Credentials"]

    kms = cloud.client("kms")
    key = kms.create_key(Description=NAME)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{NAME}", TargetKeyId=key)
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName=NAME, tags={"team": "a"})
    logs.create_log_stream(logGroupName=NAME, logStreamName=NAME)
    logs.put_log_events(
        logGroupName=NAME, logStreamName=NAME, logEvents=[{"timestamp": 1_700_000_000_000, "message": "m"}]
    )

    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")
    ec2.create_security_group(GroupName=NAME, Description=NAME, VpcId=vpc)

    events = cloud.client("events")
    events.create_event_bus(Name=NAME)
    events.put_rule(Name=NAME, EventBusName=NAME, EventPattern=json.dumps({"source": ["kept"]}))
    events.put_targets(Rule=NAME, EventBusName=NAME, Targets=[{"Id": "queue", "Arn": queue_arn}])
    cloud.client("scheduler").create_schedule(
        Name=NAME,
        ScheduleExpression="rate(7 days)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": queue_arn, "RoleArn": role, "Input": "{}"},
    )

    cognito = cloud.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=NAME)["UserPool"]["Id"]
    cognito.create_user_pool_client(UserPoolId=pool, ClientName=NAME)
    cognito.admin_create_user(UserPoolId=pool, Username="someone")

    cloud.client("ssm").put_parameter(Name=f"/{NAME}/p", Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    cloud.client("secretsmanager").create_secret(Name=NAME, SecretString="s3cret")
    return {
        "queue": queue,
        "rest_api": api,
        "key": key,
        "vpc": vpc,
        "pool": pool,
        "access_key": credentials["AccessKeyId"],
    }


def _rest_api(cloud: Cloud) -> str:
    apigateway = cloud.client("apigateway")
    api = apigateway.create_rest_api(name=NAME)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    resource = apigateway.create_resource(restApiId=api, parentId=root, pathPart="things")["id"]
    apigateway.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="v1")
    return str(api)


def _listed(cloud: Cloud, ids: dict[str, str]) -> dict[str, Any]:
    """What each service lists and describes of what ``_deploy`` made, as comparable JSON."""
    c = cloud.client
    calls: dict[str, Callable[[], Any]] = {
        "sqs": lambda: (
            c("sqs").list_queues(),
            c("sqs").get_queue_attributes(QueueUrl=ids["queue"], AttributeNames=["All"]),
        ),
        "sns": lambda: (c("sns").list_topics(), c("sns").list_subscriptions()),
        "dynamodb": lambda: (c("dynamodb").describe_table(TableName=NAME), c("dynamodb").scan(TableName=NAME)),
        "kinesis": lambda: (c("kinesis").describe_stream(StreamName=NAME), _kinesis_records(cloud)),
        "lambda": lambda: c("lambda").get_function_configuration(FunctionName=NAME),
        "apigateway": lambda: (
            c("apigateway").get_resources(restApiId=ids["rest_api"], embed=["methods"]),
            c("apigateway").get_stages(restApiId=ids["rest_api"]),
        ),
        "iam": lambda: (
            c("iam").get_role(RoleName=f"{NAME}-assumable"),
            c("iam").list_attached_role_policies(RoleName=f"{NAME}-assumable"),
        ),
        "kms": lambda: (c("kms").describe_key(KeyId=ids["key"]), c("kms").list_aliases(KeyId=ids["key"])),
        "logs": lambda: (
            c("logs").describe_log_groups(logGroupNamePrefix=NAME),
            c("logs").get_log_events(logGroupName=NAME, logStreamName=NAME)["events"],
        ),
        "ec2": lambda: (
            c("ec2").describe_vpcs(VpcIds=[ids["vpc"]]),
            c("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}]),
            c("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}]),
        ),
        "events": lambda: (
            c("events").describe_rule(Name=NAME, EventBusName=NAME),
            c("events").list_targets_by_rule(Rule=NAME, EventBusName=NAME),
        ),
        "scheduler": lambda: c("scheduler").get_schedule(Name=NAME),
        "cognito-idp": lambda: (
            c("cognito-idp").describe_user_pool(UserPoolId=ids["pool"]),
            c("cognito-idp").list_user_pool_clients(UserPoolId=ids["pool"]),
            c("cognito-idp").list_users(UserPoolId=ids["pool"]),
        ),
        "ssm": lambda: (
            c("ssm").get_parameter(Name=f"/{NAME}/p"),
            c("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId=f"/{NAME}/p"),
        ),
        "secretsmanager": lambda: c("secretsmanager").get_secret_value(SecretId=NAME),
        "sts": lambda: (cloud.client("sts").get_caller_identity(), _caller(cloud, ids["access_key"])),
    }
    port = f"127.0.0.1:{cloud.server.port}"
    return {
        service: json.loads(json.dumps(_without_metadata(call()), default=str).replace(port, "ENDPOINT"))
        for service, call in calls.items()
    }


def _kinesis_records(cloud: Cloud) -> list[dict[str, Any]]:
    kinesis = cloud.client("kinesis")
    shard = kinesis.describe_stream(StreamName=NAME)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=NAME, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


def _caller(cloud: Cloud, access_key: str) -> Any:
    """Who the assumed role's key is: STS's own state (a key it does not know is the account's root)."""
    sts = boto3.client(
        "sts",
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="unchecked",  # signatures are not checked
    )
    return sts.get_caller_identity()


def _without_metadata(answer: Any) -> Any:
    if isinstance(answer, tuple | list):
        return [_without_metadata(part) for part in answer]
    if isinstance(answer, dict):
        return {key: value for key, value in answer.items() if key != "ResponseMetadata"}
    return answer


def test_what_every_service_holds_is_saved_and_comes_back_in_a_new_local_cloud(tmp_path: Path) -> None:
    with running_cloud(tmp_path, FUNCTIONS) as cloud:
        ids = _deploy(cloud)
        # Saved first: reading with the assumed role's keys marks the role used (IAM's state).
        snapshots.write(cloud.server.settings.snapshot_path, snapshots.capture())
        before = _listed(cloud, ids)
    reset_backends()  # IAM and STS too, which clouds started one after another otherwise share

    with running_cloud(tmp_path, FUNCTIONS, persist=True) as again:
        assert again.server.restored_from == str(again.server.settings.snapshot_path)
        after = _listed(again, ids)
        reply = again.client("lambda").invoke(FunctionName=NAME, Payload=b'{"after": true}')

    assert "assumed-role" in before["sts"][1]["Arn"]
    assert before["ssm"][0]["Parameter"]["Value"] == "v"
    for service in before:
        assert after[service] == before[service], service
    assert json.loads(reply["Payload"].read())["event"] == {"after": True}
