"""The Lambda executor through the Invoke API: real handlers in warm workers."""

from __future__ import annotations

import base64
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localcloud.testing import Cloud, wait_for


def _invoke(cloud: Cloud, name: str, event: object, **kwargs: object) -> tuple[dict[str, Any], Any]:
    response = cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event), **kwargs)
    return response, json.loads(response["Payload"].read())


def test_invoke_returns_handler_output_with_env_and_context(cloud: Cloud) -> None:
    name, arn = cloud.function("echo", env={"GREETING": "hello"}, timeout=7)

    response, body = _invoke(cloud, name, {"a": 1})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert body["event"] == {"a": 1}
    env = body["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint_url
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    assert env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["_HANDLER"] == "echo.handler"
    context = body["context"]
    assert context["function_name"] == name
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == arn
    assert context["memory_limit_in_mb"] == "128"
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["log_stream_name"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert 5000 < context["remaining"] <= 7000


def test_handler_error_is_returned_as_lambda_returns_it(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")

    response, body = _invoke(cloud, name, {"fail": "boom"}, LogType="Tail")

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom"
    assert any("echo.py" in frame for frame in body["stackTrace"])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: boom" in tail
    assert "REPORT RequestId:" in tail


def test_import_error_is_reported_like_the_python_runtime(cloud: Cloud) -> None:
    name, _ = cloud.function("echo", handler="missing_module.handler")

    response, body = _invoke(cloud, name, {})

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing_module'" in body["errorMessage"]


def test_warm_worker_is_reused_and_replaced_after_a_timeout(cloud: Cloud) -> None:
    name, _ = cloud.function("echo", timeout=1)
    _, first = _invoke(cloud, name, {})
    _, second = _invoke(cloud, name, {})
    assert first["pid"] == second["pid"]

    started = time.monotonic()
    response, timed_out = _invoke(cloud, name, {"sleep": 5})
    assert time.monotonic() - started < 3
    assert response["FunctionError"] == "Unhandled"
    assert timed_out["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in timed_out["errorMessage"]

    _, after = _invoke(cloud, name, {})
    assert after["pid"] != first["pid"]


def test_redeploy_gets_a_new_worker_with_the_new_code(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")
    _, before = _invoke(cloud, name, {})
    new_code = cloud.zip("empty", extra={"echo.py": "def handler(event, context):\n    return 'v2'\n"})
    cloud.client("lambda").update_function_code(FunctionName=name, ZipFile=new_code)

    _, after = _invoke(cloud, name, {})

    assert before["event"] == {}
    assert after == "v2"


def test_logs_land_in_the_function_log_group(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")
    _invoke(cloud, name, {"marker": "find-me"})
    logs = cloud.client("logs")

    def messages() -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in events]

    found = wait_for(lambda: [m for m in messages() if "find-me" in m])
    assert "echo got {'marker': 'find-me'}" in found[0]
    assert any(m.startswith("START RequestId:") for m in messages())
    assert any(m.startswith("REPORT RequestId:") for m in messages())


def test_handler_calls_back_into_the_server_without_deadlock(cloud: Cloud) -> None:
    sqs, dynamodb = cloud.client("sqs"), cloud.client("dynamodb")
    queue_url = sqs.create_queue(QueueName="callback-target")["QueueUrl"]
    dynamodb.create_table(
        TableName="callback-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name, _ = cloud.function("callback", env={"TARGET_QUEUE_URL": queue_url, "TABLE": "callback-table"})

    _, body = _invoke(cloud, name, {"body": "hello from the handler"})

    assert body["endpoint"] == cloud.endpoint_url
    messages = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert messages[0]["Body"] == "hello from the handler"
    item = dynamodb.get_item(TableName="callback-table", Key={"id": {"S": body["request_id"]}})
    assert "Item" in item


def test_event_invocation_returns_at_once_and_runs_in_the_background(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName="async-target")["QueueUrl"]
    cloud.client("dynamodb").create_table(
        TableName="async-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name, _ = cloud.function("callback", env={"TARGET_QUEUE_URL": queue_url, "TABLE": "async-table"})

    response = cloud.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"body": "async"})
    )

    assert response["StatusCode"] == 202
    received = wait_for(lambda: sqs.receive_message(QueueUrl=queue_url).get("Messages"))
    assert received[0]["Body"] == "async"


def test_failed_async_event_goes_to_the_dead_letter_queue_after_retries(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    dlq_url = sqs.create_queue(QueueName="function-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name, _ = cloud.function("echo")
    lambda_ = cloud.client("lambda")
    lambda_.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": dlq_arn})
    lambda_.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)

    lambda_.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"fail": "always"}))

    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"]).get("Messages"))
    assert json.loads(dead[0]["Body"]) == {"fail": "always"}
    assert dead[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "always"
    logs = cloud.client("logs")

    def starts() -> int:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return sum(e["message"].startswith("START") for e in events)

    wait_for(lambda: starts() == 2)  # the first attempt and one retry


def test_dead_letter_config_and_redrive_policy_read_back_as_written(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    dlq_url = sqs.create_queue(QueueName="readback-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}, separators=(",", ":"))
    url = sqs.create_queue(QueueName="readback", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    lambda_ = cloud.client("lambda")
    name, _ = cloud.function("echo")
    lambda_.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": dlq_arn})

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    configuration = lambda_.get_function_configuration(FunctionName=name)

    assert attributes["RedrivePolicy"] == redrive
    assert configuration["DeadLetterConfig"] == {"TargetArn": dlq_arn}
    lambda_.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lambda_.get_function_configuration(FunctionName=name)


def test_deleting_a_function_stops_its_workers(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")
    _, body = _invoke(cloud, name, {})

    cloud.client("lambda").delete_function(FunctionName=name)

    def gone() -> bool:
        try:
            os.kill(body["pid"], 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone)


def test_concurrent_invocations_run_in_parallel_workers(cloud: Cloud) -> None:
    name, _ = cloud.function("echo")
    _invoke(cloud, name, {})  # one warm worker; the others start on demand

    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        bodies = list(pool.map(lambda _: _invoke(cloud, name, {"sleep": 1})[1], range(3)))

    assert time.monotonic() - started < 2.5  # not 3 s one after another
    assert len({body["pid"] for body in bodies}) == 3
