"""Apply the `local` environment to a moto server, check the inventory, destroy it.

The whole lifecycle runs against a moto server started in this process on a
free port (never 4566, where a developer may run a local cloud), with state and
the Terraform data directory in a temporary directory, so a developer's own
state is never touched:

1. `terraform init` (the provider mirror when there is one) and `apply`;
2. a second `plan -detailed-exitcode` must find nothing to change;
3. boto3 checks what exists (APIs, network, queues, topics, stream, table,
   functions, mappings, subscription, schedule, alarms), and the state that
   modules/observability/moved.tf names every alarm of the stack;
4. `destroy`, then nothing of the stack may be left.

Timings and the resource count are printed and written to
build/reports/terraform-apply.json. The Lambda zip comes from $LAMBDA_ZIP
(default build/lambda/deployment.zip; `make build` writes it).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from localcloud.lossy_proxy import LossyProxy
from localcloud.testing import free_port, stock_moto
from tests.terraform import moved_blocks
from tests.terraform.runner import emulator_client, init_args, lambda_zip, run_terraform, terraform_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = ROOT / "terraform" / "envs" / "local"
REPORT = ROOT / "build" / "reports" / "terraform-apply.json"
REGION = "us-east-1"
NAME = "events-local"  # name_prefix "events", environment "local"
FUNCTIONS = {
    "api": "app.app",
    "publisher": "app.publisher",
    "processor": "app.processor",
    "sequencer": "app.sequencer",
    "analytics": "app.analytics",
    "notifier": "app.notifier",
    "reconciler": "app.reconciler",
}
# What stock moto 5.2 cannot round-trip (see the stack module's emulator_workarounds).
STOCK_MOTO_WORKAROUNDS = [
    "kinesis_stream_tags",
    "sqs_redrive_allow_policy",
    "lambda_dead_letter_config",
    "security_group_rule_descriptions",
]
# Set by this test (the local root's tfvars choose fast retries), so the inventory knows what to expect.
MAX_RECEIVE_COUNT = 3
VISIBILITY_TIMEOUT_MULTIPLIER = 6
STEP_TIMEOUT = 600  # seconds; a healthy run takes a fraction of this


@dataclass
class Run:
    """One apply/plan/destroy cycle: where it runs and what it measured."""

    endpoint: str
    env: dict[str, str]
    workdir: Path
    outputs: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    resource_count: int = 0
    addresses: list[str] = field(default_factory=list)  # `terraform state list` after the apply
    destroyed: bool = False
    proxy: LossyProxy | None = None  # between Terraform and moto, losing answers

    def terraform(self, *args: str, step: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_terraform(ENV_DIR, self.env, self.timings, *args, timeout=STEP_TIMEOUT, step=step, check=check)

    def client(self, service: str) -> Any:
        return emulator_client(service, self.endpoint, REGION)


def _terraform_env(endpoint: str, workdir: Path, zip_path: Path) -> dict[str, str]:
    env = terraform_env(endpoint, workdir, REGION)
    env["TF_VAR_lambda_zip_path"] = str(zip_path)
    # The local root's terraform.tfvars sets emulator_workarounds for the project's local
    # cloud, and tfvars outrank TF_VAR_ variables; a -var-file outranks tfvars.
    overrides = workdir / "stock-moto.tfvars.json"
    overrides.write_text(
        json.dumps(
            {
                "emulator_workarounds": STOCK_MOTO_WORKAROUNDS,
                # The region's API Gateway logging role attaches an AWS managed policy, which this
                # moto is built without; stock moto does not ask for the role before a stage logs.
                "manage_api_gateway_account": False,
                "max_receive_count": MAX_RECEIVE_COUNT,
                "visibility_timeout_multiplier": VISIBILITY_TIMEOUT_MULTIPLIER,
            }
        )
    )
    for command in ("plan", "apply", "destroy"):
        env[f"TF_CLI_ARGS_{command}"] = f"-var-file={overrides}"
    return env


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (Terraform >= 1.10 is needed).")
    zip_path = lambda_zip(ROOT)
    workdir = tmp_path_factory.mktemp("terraform-local")

    # moto's IAM backend is built without AWS managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES unset):
    # no role of the stack attaches one, and an attachment would fail the apply.
    previous = os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
    from moto.core.base_backend import BackendDict

    for backends in list(BackendDict._instances):  # type: ignore[misc]
        backends.clear()  # fresh account, whatever ran before in this process
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    servers = contextlib.ExitStack()
    endpoint = servers.enter_context(stock_moto(free_port()))
    # Terraform goes through a proxy that loses the first answer of every create: the apply must
    # still succeed, each retry answered with the first attempt's result (localcloud.retried_calls).
    proxy = servers.enter_context(LossyProxy(endpoint))
    # init writes a lock file next to the configuration; it must not be left in
    # the working tree (it would only hold this platform's hashes).
    lock_file = ENV_DIR / ".terraform.lock.hcl"
    had_lock_file = lock_file.exists()
    state = Run(endpoint=endpoint, env=_terraform_env(proxy.url, workdir, zip_path), workdir=workdir, proxy=proxy)
    try:
        state.terraform(*init_args(workdir), step="init")
        applied = state.terraform("apply", "-auto-approve", "-input=false", "-no-color", step="apply")
        print(applied.stdout.splitlines()[-1] if applied.stdout else "", file=sys.stderr)
        listed = state.terraform("state", "list", "-no-color").stdout.split()
        managed = [a for a in listed if ".data." not in a and not a.startswith("data.")]
        state.resource_count = len(managed)
        state.addresses = managed
        raw = state.terraform("output", "-json", "-no-color").stdout
        state.outputs = {k: v["value"] for k, v in json.loads(raw).items()}
        yield state
    finally:
        if not state.destroyed and (workdir / "terraform.tfstate").exists():
            state.terraform("destroy", "-auto-approve", "-input=false", "-no-color", check=False)
        servers.close()
        if not had_lock_file:
            lock_file.unlink(missing_ok=True)
        if previous is not None:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous
        _write_report(state)


def _write_report(state: Run) -> None:
    report = {
        "environment": "local",
        "emulator": "moto " + _moto_version(),
        "terraform": _terraform_version(state.env),
        "resource_count": state.resource_count,
        "seconds": state.timings,
        "destroyed": state.destroyed,
        "answers_lost": len(state.proxy.lost) if state.proxy else 0,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"terraform apply report: {json.dumps(report)}", file=sys.stderr)


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def _terraform_version(env: dict[str, str]) -> str:
    result = subprocess.run(["terraform", "version", "-json"], env=env, capture_output=True, text=True, check=False)
    try:
        return str(json.loads(result.stdout)["terraform_version"])
    except (ValueError, KeyError):
        return "unknown"


# -- the second plan --------------------------------------------------------------


def test_the_apply_succeeded_though_the_first_answer_of_every_create_was_lost(run: Run) -> None:
    assert run.proxy is not None
    lost = set(run.proxy.lost)
    # Each kind the stack creates lost its answer at least once; each retry met the first attempt's result.
    assert {"CreateFunction", "AddPermission", "CreateStage", "CreateDeployment", "CreateRole", "CreateTable"} <= lost
    assert {"CreateQueue", "CreateTopic", "Subscribe", "CreateStream", "AuthorizeSecurityGroupEgress"} <= lost
    assert len(run.proxy.lost) >= run.resource_count // 2


def test_second_plan_is_empty(run: Run) -> None:
    result = run.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color", step="second_plan", check=False)
    changes = [line for line in result.stdout.splitlines() if line.lstrip().startswith("#")]
    assert result.returncode == 0, "a second plan wants changes:\n" + "\n".join(changes) + "\n" + result.stderr


def test_outputs_are_complete(run: Run) -> None:
    expected = {
        "edge_api_id", "regional_api_id", "stage_name", "edge_api_url", "regional_api_url", "api_key", "region",
        "events_table_name", "standard_topic_arn", "fifo_topic_arn", "standard_queue_url", "standard_dlq_url",
        "fifo_queue_url", "fifo_dlq_url", "stream_failure_queue_url", "events_stream_name", "function_names",
        "schedule_rule_name", "alarm_topic_arn", "vpc_id",
    }  # fmt: skip
    assert expected <= set(run.outputs), f"missing outputs: {sorted(expected - set(run.outputs))}"
    assert run.outputs["region"] == REGION
    assert run.outputs["api_key"], "the API key has no value"
    assert set(run.outputs["function_names"]) == set(FUNCTIONS)


# -- inventory ----------------------------------------------------------------------


def test_two_rest_apis_edge_and_regional(run: Run) -> None:
    apigw = run.client("apigateway")
    apis = {api["name"]: api for api in apigw.get_rest_apis()["items"]}
    assert apis[f"{NAME}-edge"]["endpointConfiguration"]["types"] == ["EDGE"]
    assert apis[f"{NAME}-regional"]["endpointConfiguration"]["types"] == ["REGIONAL"]
    stage = run.outputs["stage_name"]
    api_function = run.outputs["function_names"]["api"]
    for api in (apis[f"{NAME}-edge"], apis[f"{NAME}-regional"]):
        assert apigw.get_stage(restApiId=api["id"], stageName=stage)["tracingEnabled"] is True
        resources = apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]
        methods = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
        assert {
            ("/health", "GET"),
            ("/v1/events", "POST"),
            ("/v1/events", "GET"),
            ("/v1/events/{event_id}", "GET"),
            ("/v1/subjects/{subject}/stats", "GET"),
        } <= methods
        for resource in resources:
            for method in resource.get("resourceMethods", {}):
                integration = apigw.get_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod=method)
                assert integration["type"].upper() == "AWS_PROXY"  # moto keeps the contract's spelling
                assert api_function in integration["uri"]
        # The gateway responses are in the body (x-amazon-apigateway-gateway-responses), which stock
        # moto does not import: the api module's tests read them in the body, and the integration
        # tests meet them on the local cloud (a wrong key, an unknown route).
    plans = apigw.get_usage_plans()["items"]
    plan = next(p for p in plans if p["name"] == NAME)
    assert {(s["apiId"], s["stage"]) for s in plan["apiStages"]} == {
        (apis[f"{NAME}-edge"]["id"], stage),
        (apis[f"{NAME}-regional"]["id"], stage),
    }
    assert len(apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]) == 1


def test_network_private_subnets_in_two_zones_with_endpoints(run: Run) -> None:
    ec2 = run.client("ec2")
    vpc_id = run.outputs["vpc_id"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert len(subnets) >= 2
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert igws["InternetGateways"] == [], "the VPC must have no internet gateway"
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    assert [n for n in nats if n["State"] != "deleted"] == [], "the VPC must have no NAT gateway"
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    by_service = {e["ServiceName"].rsplit(".", 1)[-1]: e for e in endpoints}
    assert by_service["dynamodb"]["VpcEndpointType"] == "Gateway"
    for service in ("sns", "sqs", "kinesis-streams"):
        assert by_service[service]["VpcEndpointType"] == "Interface"
        assert by_service[service]["PrivateDnsEnabled"] is True


def _queue_attributes(run: Run, url: str) -> dict[str, str]:
    return dict(run.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])


def test_queues_have_dlqs_retention_and_encryption(run: Run) -> None:
    pairs = {
        "standard": (run.outputs["standard_queue_url"], run.outputs["standard_dlq_url"]),
        "fifo": (run.outputs["fifo_queue_url"], run.outputs["fifo_dlq_url"]),
    }
    for lane, (queue_url, dlq_url) in pairs.items():
        queue, dlq = _queue_attributes(run, queue_url), _queue_attributes(run, dlq_url)
        redrive = json.loads(queue["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq["QueueArn"], f"{lane} queue does not redrive to its DLQ"
        assert int(redrive["maxReceiveCount"]) == MAX_RECEIVE_COUNT
        assert queue["MessageRetentionPeriod"] == "345600"
        assert int(queue["VisibilityTimeout"]) >= 15 * VISIBILITY_TIMEOUT_MULTIPLIER
        assert (queue.get("FifoQueue") == "true") is (lane == "fifo")
        assert (dlq.get("FifoQueue") == "true") is (lane == "fifo")
        policy = json.loads(queue["Policy"])
        allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
        assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
        assert "aws:SourceArn" in allow["Condition"]["ArnEquals"]
    for url in (*(u for pair in pairs.values() for u in pair), run.outputs["stream_failure_queue_url"]):
        attributes = _queue_attributes(run, url)
        assert attributes.get("KmsMasterKeyId"), f"{url} is not encrypted"
        statements = json.loads(attributes["Policy"])["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        ), f"{url} accepts non-TLS requests"


def test_topics_and_subscriptions(run: Run) -> None:
    sns = run.client("sns")
    standard = sns.get_topic_attributes(TopicArn=run.outputs["standard_topic_arn"])["Attributes"]
    fifo = sns.get_topic_attributes(TopicArn=run.outputs["fifo_topic_arn"])["Attributes"]
    assert standard.get("KmsMasterKeyId")
    assert fifo.get("KmsMasterKeyId")
    assert fifo["FifoTopic"] == "true"
    assert fifo.get("ContentBasedDeduplication", "false") == "false"

    def subscriptions(topic_arn: str) -> list[dict[str, Any]]:
        return list(sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"])

    sqs = run.client("sqs")
    for topic, queue_url in (("standard_topic_arn", "standard_queue_url"), ("fifo_topic_arn", "fifo_queue_url")):
        queue_arn = sqs.get_queue_attributes(QueueUrl=run.outputs[queue_url], AttributeNames=["QueueArn"])
        sub = next(s for s in subscriptions(run.outputs[topic]) if s["Protocol"] == "sqs")
        assert sub["Endpoint"] == queue_arn["Attributes"]["QueueArn"]
        assert (
            sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]["RawMessageDelivery"]
            == "true"
        )
    notifier = next(s for s in subscriptions(run.outputs["standard_topic_arn"]) if s["Protocol"] == "lambda")
    assert notifier["Endpoint"].endswith(f":function:{NAME}-notifier")
    attributes = sns.get_subscription_attributes(SubscriptionArn=notifier["SubscriptionArn"])["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"type": [{"prefix": "alert."}]}


def test_stream_and_table(run: Run) -> None:
    stream = run.client("kinesis").describe_stream_summary(StreamName=run.outputs["events_stream_name"])
    summary = stream["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert summary["EncryptionType"] == "KMS"

    dynamodb = run.client("dynamodb")
    table = dynamodb.describe_table(TableName=run.outputs["events_table_name"])["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    index = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "pending")
    assert {k["AttributeName"] for k in index["KeySchema"]} == {"pending_bucket", "received_at"}
    assert table["SSEDescription"]["Status"] in {"ENABLED", "ENABLING"}
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_functions_run_in_private_subnets_with_their_environment(run: Run) -> None:
    ec2, lam = run.client("ec2"), run.client("lambda")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [run.outputs["vpc_id"]]}])["Subnets"]
    subnet_ids = {s["SubnetId"] for s in subnets}
    expected_env = {
        "api": {"EVENTS_TABLE_NAME"},
        # The table only for the log key (chalicelib/keys.py).
        "publisher": {"EVENTS_TABLE_NAME", "STANDARD_TOPIC_ARN", "FIFO_TOPIC_ARN", "EVENTS_STREAM_NAME"},
        "processor": {"EVENTS_TABLE_NAME", "MAX_RECEIVE_COUNT"},
        "sequencer": {"EVENTS_TABLE_NAME", "MAX_RECEIVE_COUNT"},
        "analytics": {"EVENTS_TABLE_NAME"},
        "notifier": {"EVENTS_TABLE_NAME"},
        # It repairs the lanes in the table; it no longer publishes.
        "reconciler": {"EVENTS_TABLE_NAME", "DLQ_URLS", "RECONCILE_AFTER_SECONDS"},
    }
    for key, handler in FUNCTIONS.items():
        config = lam.get_function_configuration(FunctionName=run.outputs["function_names"][key])
        assert config["Handler"] == handler
        assert set(config["VpcConfig"]["SubnetIds"]) == subnet_ids, f"{key} is not in the private subnets"
        assert config["VpcConfig"]["SecurityGroupIds"], f"{key} has no security group"
        assert config["TracingConfig"]["Mode"] == "Active"
        assert config.get("KMSKeyArn"), f"{key}'s environment is not encrypted with the stack key"
        variables = config["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "events"
        assert "POWERTOOLS_LOG_LEVEL" in variables
        assert expected_env[key] <= set(variables), f"{key} misses {expected_env[key] - set(variables)}"
    reconciler = lam.get_function_configuration(FunctionName=run.outputs["function_names"]["reconciler"])
    dlq_urls = set(reconciler["Environment"]["Variables"]["DLQ_URLS"].split(","))
    assert {
        run.outputs["standard_dlq_url"],
        run.outputs["fifo_dlq_url"],
        run.outputs["stream_failure_queue_url"],
    } <= dlq_urls


def test_event_source_mappings(run: Run) -> None:
    lam = run.client("lambda")
    names = run.outputs["function_names"]
    everything = lam.list_event_source_mappings()["EventSourceMappings"]
    mappings = {
        key: [m for m in everything if m["FunctionArn"].endswith(f":function:{names[key]}")]
        for key in ("publisher", "analytics", "processor", "sequencer")
    }
    assert len(everything) == 4
    for key, sources in mappings.items():
        assert len(sources) == 1, f"{key} should have exactly one event source mapping"
        assert sources[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    failure_queue = _queue_attributes(run, run.outputs["stream_failure_queue_url"])["QueueArn"]
    for key, service in (("publisher", ":dynamodb:"), ("analytics", ":kinesis:")):
        mapping = mappings[key][0]
        assert service in mapping["EventSourceArn"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRetryAttempts"] == 3
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == failure_queue
    assert mappings["processor"][0]["EventSourceArn"].endswith(f":{NAME}-standard")
    assert mappings["sequencer"][0]["EventSourceArn"].endswith(f":{NAME}-fifo.fifo")


def test_roles_hold_only_their_own_scoped_policies(run: Run) -> None:
    """No role attaches a managed policy (AWSLambdaVPCAccessExecutionRole and AWSLambdaBasicExecutionRole
    allow logs on every log group); each function writes only to its own log group."""
    iam = run.client("iam")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(NAME)]
    assert {f"{NAME}-{key}" for key in FUNCTIONS} <= set(roles)
    for role in roles:
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [], role
        assert iam.list_role_policies(RoleName=role)["PolicyNames"], f"{role} has no policy of its own"
        assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"], "the local root sets no boundary"
    for key in FUNCTIONS:
        document = iam.get_role_policy(RoleName=f"{NAME}-{key}", PolicyName="least-privilege")["PolicyDocument"]
        logs = [s for s in document["Statement"] if any(a.startswith("logs:") for a in s["Action"])]
        resources = {r for s in logs for r in s["Resource"]}
        assert resources == {f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{NAME}-{key}:*"}, resources


def test_key_policy_names_this_stacks_log_groups(run: Run) -> None:
    kms = run.client("kms")
    key_id = kms.describe_key(KeyId=f"alias/{NAME}")["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsThisStacksLogGroups")
    arns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert all(NAME in arn or arn.endswith("API-Gateway-Execution-Logs_*/api") for arn in arns), arns
    groups = [g["arn"].removesuffix(":*") for g in run.client("logs").describe_log_groups()["logGroups"]]
    for key in FUNCTIONS:
        assert f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{NAME}-{key}" in groups
    # ArnLike's wildcards are the shell's * and ?: every log group the apply made is admitted.
    assert [g for g in groups if not any(fnmatch.fnmatchcase(g, pattern) for pattern in arns)] == []


def test_schedule_and_alarms(run: Run) -> None:
    events = run.client("events")
    rule = events.describe_rule(Name=run.outputs["schedule_rule_name"])
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert rule["State"] == "ENABLED"
    targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert [t["Arn"].rsplit(":", 1)[-1] for t in targets] == [f"{NAME}-reconciler"]

    alarms = run.client("cloudwatch").describe_alarms(AlarmNamePrefix=NAME)["MetricAlarms"]
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms}
    assert {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
    } <= metrics
    assert all(a["AlarmActions"] == [run.outputs["alarm_topic_arn"]] for a in alarms)


# Alarms the stack has gained since the observability module's five alarm resources became one
# (aws_cloudwatch_metric_alarm.this): they did not exist before, so no moved block names them.
ALARMS_ADDED_SINCE_THE_MOVE: frozenset[str] = frozenset({"reconcile-failures"})  # the reconciler's failures, new


def test_every_alarm_of_the_previous_layout_is_moved(run: Run) -> None:
    """modules/observability/moved.tf lists instance keys: they must be the stack's own.

    test_observability_move proves that each moved block moves its alarm without replacing it; this
    proves that the blocks name every alarm the stack had, and only alarms it has (no mistyped key).
    """
    prefix = 'module.stack.module.observability.aws_cloudwatch_metric_alarm.this["'
    alarms = {a.removeprefix(prefix).removesuffix('"]') for a in run.addresses if a.startswith(prefix)}
    module = ROOT / "terraform" / "modules" / "observability"
    targets = {m.target.key for m in moved_blocks.moves(module) if m.target.key is not None}
    assert alarms, "the stack has no alarm in aws_cloudwatch_metric_alarm.this"
    assert targets <= alarms, f"moved blocks name alarms the stack does not have: {sorted(targets - alarms)}"
    assert alarms - ALARMS_ADDED_SINCE_THE_MOVE == targets, (
        f"alarms without a moved block: {sorted(alarms - ALARMS_ADDED_SINCE_THE_MOVE - targets)} "
        "(an alarm added after the move needs none: list it in ALARMS_ADDED_SINCE_THE_MOVE)"
    )


# -- destroy (runs last: pytest keeps file order) ------------------------------------


def test_destroy_leaves_nothing(run: Run) -> None:
    run.terraform("destroy", "-auto-approve", "-input=false", "-no-color", step="destroy")
    run.destroyed = True
    leftovers: dict[str, list[str]] = {
        "functions": [f["FunctionName"] for f in run.client("lambda").list_functions()["Functions"]],
        "queues": run.client("sqs").list_queues().get("QueueUrls", []),
        "topics": [t["TopicArn"] for t in run.client("sns").list_topics()["Topics"]],
        "tables": run.client("dynamodb").list_tables()["TableNames"],
        "streams": run.client("kinesis").list_streams()["StreamNames"],
        "rest_apis": [a["name"] for a in run.client("apigateway").get_rest_apis()["items"]],
        "vpcs": [v["VpcId"] for v in run.client("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]],
        "rules": [r["Name"] for r in run.client("events").list_rules()["Rules"]],
        "alarms": [a["AlarmName"] for a in run.client("cloudwatch").describe_alarms()["MetricAlarms"]],
        "log_groups": [g["logGroupName"] for g in run.client("logs").describe_log_groups()["logGroups"]],
        "roles": [r["RoleName"] for r in run.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(NAME)],
    }
    left = {kind: names for kind, names in leftovers.items() if names}
    assert not left, f"destroy left resources behind: {left}"
    print(
        f"terraform local: {run.resource_count} resources; apply {run.timings.get('apply')} s, "
        f"second plan {run.timings.get('second_plan')} s, destroy {run.timings.get('destroy')} s",
        file=sys.stderr,
    )
