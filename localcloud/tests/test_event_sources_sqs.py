"""SQS event source mappings: partial batch failures, DLQ redrive, FIFO order."""

from __future__ import annotations

import json
from collections import defaultdict

from localcloud.testing import Cloud, read_records, wait_for


def _queue(cloud: Cloud, name: str, **attributes: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _depth(cloud: Cloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_partial_batch_failure_retries_only_the_failed_message_then_dead_letters_it(cloud: Cloud) -> None:
    dlq_url, dlq_arn = _queue(cloud, "work-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = _queue(cloud, "work", VisibilityTimeout="1", RedrivePolicy=redrive)
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records), "PARTIAL": "1"})
    sqs = cloud.client("sqs")
    for body in ("first", "poison pill", "third"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )

    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"), timeout=10)

    assert dead[0]["Body"] == "poison pill"
    seen = defaultdict(list)
    for record in read_records(records):
        seen[record["data"]].append(record["receives"])
    # The good messages were delivered once and deleted; only the failed one
    # came back, with a growing receive count, until maxReceiveCount.
    assert seen == {"first": ["1"], "third": ["1"], "poison pill": ["1", "2"]}
    assert _depth(cloud, url) == 0


def test_a_function_error_returns_the_whole_batch(cloud: Cloud) -> None:
    url, arn = _queue(cloud, "all-or-nothing", VisibilityTimeout="1")
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    sqs = cloud.client("sqs")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "fine"}, {"Id": "b", "MessageBody": "flaky one"}]
    )
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=10)

    wait_for(lambda: len(read_records(records)) >= 4, timeout=10)
    wait_for(lambda: _depth(cloud, url) == 0)

    attempts = [(r["data"], r["receives"]) for r in read_records(records)]
    assert sorted(attempts) == [("fine", "1"), ("fine", "2"), ("flaky one", "1"), ("flaky one", "2")]


def test_handler_that_sends_to_sqs_from_an_sqs_trigger_does_not_deadlock(cloud: Cloud) -> None:
    target_url, _ = _queue(cloud, "relay-target")
    url, arn = _queue(cloud, "relay-source")
    name, _ = cloud.function("relay", env={"TARGET_QUEUE_URL": target_url})
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    sqs = cloud.client("sqs")

    sqs.send_message(QueueUrl=url, MessageBody="ping")

    relayed = wait_for(lambda: sqs.receive_message(QueueUrl=target_url).get("Messages"))
    assert relayed[0]["Body"] == "relayed ping"


def test_fifo_order_per_group_through_sns_fifo_with_a_failure(cloud: Cloud) -> None:
    sns = cloud.client("sns")
    fifo = {"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    topic = sns.create_topic(Name="events.fifo", Attributes=fifo)["TopicArn"]
    url, arn = _queue(cloud, "ordered.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout="1")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records), "PARTIAL": "1"})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=4, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    expected: dict[str, list[str]] = defaultdict(list)
    for n in range(1, 9):
        for group in ("a", "b", "c"):
            # a-3 fails on its first delivery: a-4.. must wait for it.
            body = f"{group}-{n}" + (" flaky" if (group, n) == ("a", 3) else "")
            expected[group].append(body)
            sns.publish(TopicArn=topic, Message=body, MessageGroupId=group)

    wait_for(lambda: sum(r["ok"] for r in read_records(records)) == 24, timeout=15)

    processed: dict[str, list[str]] = defaultdict(list)
    for record in read_records(records):
        if record["ok"]:
            processed[record["group"]].append(record["data"])
    assert processed == expected
    assert _depth(cloud, url) == 0


def test_powertools_batch_processor_reports_partial_failures(cloud: Cloud) -> None:
    dlq_url, dlq_arn = _queue(cloud, "pt-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url, arn = _queue(cloud, "pt-work", VisibilityTimeout="1", RedrivePolicy=redrive)
    records = cloud.record_file()
    name, _ = cloud.function("powertools_batch", env={"RECORD_FILE": str(records), "POWERTOOLS_SERVICE_NAME": "t"})
    sqs = cloud.client("sqs")
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(["one", "poison", "three"])],
    )
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FunctionResponseTypes=["ReportBatchItemFailures"]
    )

    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"), timeout=10)

    assert dead[0]["Body"] == "poison"
    assert sorted(r["data"] for r in read_records(records)) == ["one", "three"]
    logs = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    structured = [json.loads(e["message"]) for e in logs if e["message"].startswith("{")]
    assert any(line.get("message") == "batch of 3" and line.get("function_name") == name for line in structured)


def test_filter_criteria_drop_and_delete_unmatched_messages(cloud: Cloud) -> None:
    url, arn = _queue(cloud, "filtered")
    records = cloud.record_file()
    name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    pattern = {"body": {"kind": ["alert"]}}
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]}
    )
    sqs = cloud.client("sqs")
    for body in ('{"kind": "info"}', "not json", '{"kind": "alert", "n": 1}'):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    wait_for(lambda: read_records(records))
    wait_for(lambda: _depth(cloud, url) == 0)

    assert [r["data"] for r in read_records(records)] == ['{"kind": "alert", "n": 1}']
