"""A KMS key serves CloudWatch Logs and SNS only when its key policy admits them (aws_rules.kms_key_policies).

Against a running local cloud: each refusal with AWS's code and message, each accepted policy,
the SNS delivery AWS does not make, and moto's own behaviour with the rules off.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.aws_rules.key_policy import ServiceRequest, allows
from localcloud.settings import DEFAULT_REGION
from localcloud.testing import Cloud

ACCOUNT = "123456789012"
ROOT = {
    "Sid": "AccountAdministersKeyThroughIam",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
LOGS_ARN = f"arn:aws:logs:{DEFAULT_REGION}:{ACCOUNT}:log-group"


def logs_statement(arn_pattern: str, operator: str = "ArnLike") -> dict[str, Any]:
    """The statement of the CloudWatch Logs user guide, for the log groups ``arn_pattern`` names."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{DEFAULT_REGION}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {operator: {"kms:EncryptionContext:aws:logs:arn": arn_pattern}},
    }


def sns_statement(topic_arn: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": topic_arn}},
    }


def key(cloud: Cloud, *statements: dict[str, Any]) -> str:
    policy = {"Version": "2012-10-17", "Statement": [ROOT, *statements]}
    return str(cloud.client("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])


def refused(error: pytest.ExceptionInfo[ClientError], log_group: str) -> bool:
    response = error.value.response
    return (
        response["Error"]["Code"] == "AccessDeniedException"
        and response["Error"]["Message"]
        == f"The specified KMS key does not exist or is not allowed to be used with Arn '{LOGS_ARN}:{log_group}'"
        and response["ResponseMetadata"]["HTTPStatusCode"] == 400
    )


def stored_key(cloud: Cloud, log_group: str) -> str | None:
    groups = cloud.client("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    found: str | None = next(g.get("kmsKeyId") for g in groups if g["logGroupName"] == log_group)
    return found


# -- CloudWatch Logs: CreateLogGroup -----------------------------------------------------------


def test_a_key_admitting_log_groups_by_pattern_encrypts_those_and_no_other(cloud: Cloud) -> None:
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:/aws/lambda/app-*"))
    logs = cloud.client("logs")

    logs.create_log_group(logGroupName="/aws/lambda/app-api", kmsKeyId=arn)
    with pytest.raises(ClientError) as error:
        logs.create_log_group(logGroupName="aws-waf-logs-app", kmsKeyId=arn)

    assert stored_key(cloud, "/aws/lambda/app-api") == arn
    assert refused(error, "aws-waf-logs-app")


def test_a_key_admitting_one_log_group_by_arn_equals_encrypts_that_one(cloud: Cloud) -> None:
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:exact", operator="ArnEquals"))
    logs = cloud.client("logs")

    logs.create_log_group(logGroupName="exact", kmsKeyId=arn)
    with pytest.raises(ClientError) as error:
        logs.create_log_group(logGroupName="exact-not", kmsKeyId=arn)

    assert stored_key(cloud, "exact") == arn
    assert refused(error, "exact-not")


def test_a_key_only_the_account_administers_is_refused(cloud: Cloud) -> None:
    """The root statement delegates to IAM: it does not admit CloudWatch Logs."""
    arn = key(cloud)
    logs = cloud.client("logs")

    with pytest.raises(ClientError) as error:
        logs.create_log_group(logGroupName="/aws/lambda/app-api", kmsKeyId=arn)

    assert refused(error, "/aws/lambda/app-api")
    assert logs.describe_log_groups()["logGroups"] == []


def test_a_key_admitting_another_regions_logs_service_is_refused(cloud: Cloud) -> None:
    statement = logs_statement(f"{LOGS_ARN}:*")
    statement["Principal"] = {"Service": "logs.eu-west-1.amazonaws.com"}
    arn = key(cloud, statement)

    with pytest.raises(ClientError) as error:
        cloud.client("logs").create_log_group(logGroupName="group", kmsKeyId=arn)

    assert refused(error, "group")


def test_an_explicit_deny_outweighs_the_allow(cloud: Cloud) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "NotAction": ["kms:Describe*", "kms:Get*", "kms:List*"],
        "Resource": "*",
        "Condition": {"StringLike": {"kms:EncryptionContext:aws:logs:arn": f"{LOGS_ARN}:secret*"}},
    }
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:*"), deny)
    logs = cloud.client("logs")

    with pytest.raises(ClientError) as error:
        logs.create_log_group(logGroupName="secret-group", kmsKeyId=arn)
    logs.create_log_group(logGroupName="public-group", kmsKeyId=arn)

    assert refused(error, "secret-group")
    assert stored_key(cloud, "public-group") == arn


def test_a_key_that_does_not_exist_is_refused(cloud: Cloud) -> None:
    missing = f"arn:aws:kms:{DEFAULT_REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000"

    with pytest.raises(ClientError) as error:
        cloud.client("logs").create_log_group(logGroupName="group", kmsKeyId=missing)

    assert refused(error, "group")


def test_a_disabled_key_is_refused(cloud: Cloud) -> None:
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:*"))
    cloud.client("kms").disable_key(KeyId=arn.split("/")[-1])  # moto takes the id alone here

    with pytest.raises(ClientError) as error:
        cloud.client("logs").create_log_group(logGroupName="group", kmsKeyId=arn)

    assert refused(error, "group")


# -- CloudWatch Logs: AssociateKmsKey ----------------------------------------------------------


def test_associate_refuses_a_key_that_does_not_admit_the_log_group(cloud: Cloud) -> None:
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="/vpc/app/flow-logs")

    with pytest.raises(ClientError) as error:
        logs.associate_kms_key(logGroupName="/vpc/app/flow-logs", kmsKeyId=key(cloud))

    assert refused(error, "/vpc/app/flow-logs")
    assert stored_key(cloud, "/vpc/app/flow-logs") is None


def test_associate_stores_a_key_that_admits_the_log_group(cloud: Cloud) -> None:
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="/vpc/app/flow-logs")
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:/vpc/app/*"))

    logs.associate_kms_key(logGroupName="/vpc/app/flow-logs", kmsKeyId=arn)

    assert stored_key(cloud, "/vpc/app/flow-logs") == arn


def test_associate_with_a_log_group_that_does_not_exist(cloud: Cloud) -> None:
    arn = key(cloud, logs_statement(f"{LOGS_ARN}:*"))

    with pytest.raises(ClientError) as error:
        cloud.client("logs").associate_kms_key(logGroupName="nowhere", kmsKeyId=arn)

    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- SNS delivering to an encrypted queue ------------------------------------------------------


def delivered(cloud: Cloud, queues: dict[str, tuple[dict[str, Any], ...] | None]) -> dict[str, list[str]]:
    """Publish once to a topic with one subscriber queue per entry: each queue's key has the
    statements given (None: the queue is not encrypted). Returns what each queue received."""
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="work")["TopicArn"]
    urls = {}
    for name, statements in queues.items():
        attributes = {} if statements is None else {"KmsMasterKeyId": key(cloud, *statements)}
        urls[name] = url = sqs.create_queue(QueueName=name.replace(" ", "-"), Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

    sns.publish(TopicArn=topic, Message="order placed")

    # moto delivers to SQS within Publish: whatever arrives is there now.
    return {
        name: [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
        for name, url in urls.items()
    }


def test_sns_delivers_to_a_queue_whose_key_admits_the_topic(cloud: Cloud) -> None:
    topic_arn = f"arn:aws:sns:{DEFAULT_REGION}:{ACCOUNT}:work"

    assert delivered(cloud, {"admitted": (sns_statement(topic_arn),), "not admitted": ()}) == {
        "admitted": ["order placed"],
        "not admitted": [],
    }


def test_sns_does_not_deliver_to_a_queue_whose_key_does_not_admit_sns(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="localcloud.aws_rules.kms_key_policies")

    assert delivered(cloud, {"encrypted": ()}) == {"encrypted": []}
    assert "sns.amazonaws.com did not deliver from arn:aws:sns:" in caplog.text


def test_sns_does_not_deliver_to_a_queue_under_the_aws_managed_key(cloud: Cloud) -> None:
    """Its key policy cannot be changed to admit SNS: the SQS guide asks for a customer managed key."""
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="work")["TopicArn"]
    url = sqs.create_queue(QueueName="managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    sns.publish(TopicArn=topic, Message="order placed")

    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_sns_does_not_deliver_when_the_key_admits_another_topic(cloud: Cloud) -> None:
    other = f"arn:aws:sns:{DEFAULT_REGION}:{ACCOUNT}:other"

    assert delivered(cloud, {"encrypted": (sns_statement(other),)}) == {"encrypted": []}


def test_sns_still_delivers_to_an_unencrypted_queue_beside_a_refused_one(cloud: Cloud) -> None:
    assert delivered(cloud, {"plain": None, "encrypted": ()}) == {"plain": ["order placed"], "encrypted": []}


# -- EventBridge delivering to an encrypted queue ---------------------------------------------


def events_statement(rule_arn: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }


def test_eventbridge_delivers_only_to_the_queue_whose_key_admits_the_rule(cloud: Cloud) -> None:
    events, sqs = cloud.client("events"), cloud.client("sqs")
    rule_arn = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    keys = {"admitted": key(cloud, events_statement(rule_arn)), "sns only": key(cloud, sns_statement("*"))}
    urls = {}
    for name, arn in keys.items():
        urls[name] = url = sqs.create_queue(QueueName=name.replace(" ", "-"), Attributes={"KmsMasterKeyId": arn})[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_targets(Rule="orders", Targets=[{"Id": name.replace(" ", "-"), "Arn": queue_arn}])

    events.put_events(Entries=[{"Source": "shop", "DetailType": "placed", "Detail": "{}"}])

    received = {name: sqs.receive_message(QueueUrl=url).get("Messages", []) for name, url in urls.items()}
    assert len(received["admitted"]) == 1
    assert received["sns only"] == []


# -- rules off: moto's own behaviour -----------------------------------------------------------


def test_with_the_rules_off_the_key_refused_is_taken_and_the_message_delivered(cloud: Cloud) -> None:
    arn = key(cloud)
    logs = cloud.client("logs")
    with pytest.raises(ClientError) as error:
        logs.create_log_group(logGroupName="group", kmsKeyId=arn)
    assert refused(error, "group")

    with aws_rules.suspended():
        logs.create_log_group(logGroupName="group", kmsKeyId=arn)
        assert stored_key(cloud, "group") == arn
        assert delivered(cloud, {"encrypted": ()}) == {"encrypted": ["order placed"]}


def test_with_the_rules_off_associate_is_mosts_unimplemented_action(cloud: Cloud) -> None:
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="group")
    admitting = key(cloud, logs_statement(f"{LOGS_ARN}:group"))
    logs.associate_kms_key(logGroupName="group", kmsKeyId=admitting)

    with aws_rules.suspended(), pytest.raises(ClientError) as error:
        logs.associate_kms_key(logGroupName="group", kmsKeyId=key(cloud))
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert stored_key(cloud, "group") == admitting


# -- the key-policy evaluator, on the forms the stack and AWS's examples use --------------------

LOGS = f"logs.{DEFAULT_REGION}.amazonaws.com"
KEY_ARN = f"arn:aws:kms:{DEFAULT_REGION}:{ACCOUNT}:key/k"


def admits(statements: list[dict[str, Any]], action: str, context: dict[str, str], service: str = LOGS) -> bool:
    policy = {"Version": "2012-10-17", "Statement": statements}
    return allows(json.dumps(policy), ServiceRequest(service, action, KEY_ARN, context))


def test_the_stacks_logs_statement_admits_generate_data_key_for_its_groups_only() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": LOGS},
        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [f"{LOGS_ARN}:/aws/lambda/app-?pi"]}},
    }
    inside = {"kms:EncryptionContext:aws:logs:arn": f"{LOGS_ARN}:/aws/lambda/app-api"}
    outside = {"kms:EncryptionContext:aws:logs:arn": f"{LOGS_ARN}:/aws/lambda/app-worker"}

    assert admits([ROOT, statement], "kms:GenerateDataKey", inside)
    assert not admits([ROOT, statement], "kms:GenerateDataKey", outside)
    assert not admits([ROOT, statement], "kms:GenerateDataKey", {})  # no context: the condition fails
    assert not admits([ROOT, statement], "kms:ReEncryptFrom", inside)
    assert not admits([ROOT], "kms:GenerateDataKey", inside)


def test_wildcard_actions_match_case_insensitively_and_not_action_excludes() -> None:
    allow_all_but = {"Effect": "Allow", "Principal": "*", "NotAction": "kms:Decrypt", "Resource": "*"}
    wildcard = {"Effect": "Allow", "Principal": {"Service": [LOGS]}, "Action": "KMS:generatedatakey*"}

    assert admits([allow_all_but], "kms:GenerateDataKey", {})
    assert not admits([allow_all_but], "kms:Decrypt", {})
    assert admits([wildcard], "kms:GenerateDataKeyWithoutPlaintext", {})


def test_if_exists_and_negated_operators_hold_when_the_key_is_absent() -> None:
    def statement(condition: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Condition": condition}]

    absent: dict[str, str] = {}
    assert admits(statement({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}), "kms:Decrypt", absent)
    assert admits(statement({"StringNotEquals": {"aws:SourceAccount": "999999999999"}}), "kms:Decrypt", absent)
    assert not admits(statement({"StringEquals": {"aws:SourceAccount": ACCOUNT}}), "kms:Decrypt", absent)
    assert admits(
        statement({"ForAnyValue:StringLike": {"aws:SourceArn": ["arn:aws:sns:*:*:a", "arn:aws:sns:*:*:b"]}}),
        "kms:Decrypt",
        {"aws:SourceArn": f"arn:aws:sns:{DEFAULT_REGION}:{ACCOUNT}:b"},
    )


def test_an_operator_not_evaluated_here_never_refuses() -> None:
    """Where the evaluator cannot tell, it decides as AWS might: for the caller."""
    unknown = {"NumericLessThan": {"kms:RecipientAttestation:PCR0": "1"}}
    allow = {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Condition": unknown}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Condition": unknown}

    assert admits([allow, deny], "kms:Decrypt", {})
