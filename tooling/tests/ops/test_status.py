"""make status: one screen of functions, queues, mappings and alarms; exit 1 when something needs an operator
(a dead-letter queue holds messages, an alarm fires, the local cloud cannot save its state)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from cloud_fixtures import FUNCTIONS
from localcloud.daemon import health
from localcloud.testing import Cloud, running_cloud, wait_for
from tooling.ops.__main__ import main
from tooling.ops.status import Status, collect, render
from tooling.ops.target import Target


def _stack(cloud: Cloud, tmp_path: Path) -> tuple[Target, Path]:
    sqs = cloud.client("sqs")
    work = sqs.create_queue(QueueName="stack-work")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="stack-work-dlq")["QueueUrl"]
    api, _ = cloud.function("echo", name="stack-api")
    reconciler, reconciler_arn = cloud.function("echo", name="stack-reconciler")
    names = {"api": api, "reconciler": reconciler}
    work_arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # By ARN, as Terraform creates mappings; status lists them by the function's name.
    lambda_client = cloud.client("lambda")
    lambda_client.create_event_source_mapping(EventSourceArn=work_arn, FunctionName=reconciler_arn, Enabled=False)
    outputs = {
        "aws_endpoint_url": cloud.endpoint_url,
        "region": "us-east-1",
        "function_names": names,
        "standard_queue_url": work,
        "standard_dlq_url": dlq,
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return Target(outputs), path


def test_a_quiet_stack_reports_its_parts_and_exits_zero(cloud: Cloud, tmp_path: Path) -> None:
    target, outputs = _stack(cloud, tmp_path)
    lambda_client = cloud.client("lambda")
    lambda_client.invoke(FunctionName="stack-reconciler", Payload=b"{}")
    lambda_client.invoke(FunctionName="stack-api", Payload=json.dumps({"fail": "boom"}))
    lambda_client.invoke(FunctionName="stack-api", Payload=b"{}")

    def both_api_calls_reported() -> Status | None:
        found = collect(target, timedelta(minutes=5))
        return found if found.functions[0].invocations == 2 else None

    status = wait_for(both_api_calls_reported)

    api, reconciler = status.functions
    assert (api.name, api.invocations, api.errors) == ("api", 2, 1)
    assert api.last_error is not None
    assert "boom" in api.last_error.message
    assert (reconciler.invocations, reconciler.errors) == (1, 0)
    assert status.reconciler_last_run is not None
    assert [(q.label, q.dead_letter, q.waiting) for q in status.queues] == [
        ("processor queue", False, 0),
        ("processor DLQ", True, 0),
    ]
    assert [(m.function, m.source, m.state) for m in status.mappings] == [("reconciler", "stack-work", "Disabled")]
    assert status.problems() == []
    assert status.unemulated == []
    assert main(["--outputs", str(outputs), "status"]) == 0
    screen = render(status)
    assert "reconciler last run: " in screen
    assert "local cloud state saves: none (kept in memory only)" in screen
    assert "needs attention: nothing" in screen


def test_a_dead_letter_queue_with_messages_or_a_firing_alarm_exits_one(cloud: Cloud, tmp_path: Path) -> None:
    target, outputs = _stack(cloud, tmp_path)
    cloud.client("sqs").send_message(QueueUrl=target.outputs["standard_dlq_url"], MessageBody="dead")
    cloudwatch = cloud.client("cloudwatch")
    for name in ("stack-dlq-depth", "someone-else-alarm"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="ApproximateNumberOfMessagesVisible",
            Namespace="AWS/SQS",
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")

    scaled = cloud.client("sqs").create_queue(QueueName="stack-scaled")["QueueUrl"]
    scaled_arn = cloud.client("sqs").get_queue_attributes(QueueUrl=scaled, AttributeNames=["QueueArn"])
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=scaled_arn["Attributes"]["QueueArn"],
        FunctionName="stack-api",
        ScalingConfig={"MaximumConcurrency": 2},
        Enabled=False,
    )

    status = collect(target, timedelta(minutes=5))

    assert [item["setting"] for item in status.unemulated] == ["ScalingConfig"]
    assert "not emulated here: mapping" in render(status)
    assert status.alarms == ["stack-dlq-depth"]
    assert status.problems() == ["processor DLQ holds 1 message(s)", "alarm stack-dlq-depth is in ALARM"]
    assert main(["--outputs", str(outputs), "status"]) == 1


def test_a_local_cloud_that_cannot_save_its_state_is_a_failing_check(tmp_path: Path) -> None:
    (tmp_path / "state" / "state.pickle").mkdir(parents=True)  # a save cannot rename its file over a folder
    with running_cloud(tmp_path, FUNCTIONS, persist=True, snapshot_interval=0.3) as cloud:
        target, outputs = _stack(cloud, tmp_path)
        wait_for(lambda: (health(cloud.server.port) or {}).get("snapshot", {}).get("consecutive_failures"))

        status = collect(target, timedelta(minutes=5))
        exit_code = main(["--outputs", str(outputs), "status"])

    [problem] = status.problems()
    assert problem.startswith("the local cloud cannot save its state (")
    assert "IsADirectoryError" in problem
    assert "local cloud state saves: FAILING since " in render(status)
    assert exit_code == 1
