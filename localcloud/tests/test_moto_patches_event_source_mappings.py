"""ListEventSourceMappings finds a function's mappings by its name, a partial or a full ARN, as on
AWS, whichever form created them (Terraform creates them with the function's ARN)."""

from __future__ import annotations

from localcloud.testing import Cloud


def test_a_mapping_is_found_by_every_name_of_its_function(cloud: Cloud) -> None:
    sqs, lambda_client = cloud.client("sqs"), cloud.client("lambda")
    arns = []
    for name in ("a", "b"):
        url = sqs.create_queue(QueueName=f"q-{name}")["QueueUrl"]
        arns.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    name, arn = cloud.function("recorder", name="listed")
    other, _ = cloud.function("recorder", name="other")
    lambda_client.create_event_source_mapping(EventSourceArn=arns[0], FunctionName=arn, Enabled=False)
    lambda_client.create_event_source_mapping(EventSourceArn=arns[1], FunctionName=other, Enabled=False)
    partial = arn.split(":", 4)[-1]  # <account>:function:<name>

    for form in (name, arn, partial):
        found = lambda_client.list_event_source_mappings(FunctionName=form)["EventSourceMappings"]
        assert [m["EventSourceArn"] for m in found] == [arns[0]], form
    assert lambda_client.list_event_source_mappings(FunctionName=f"{name}:live")["EventSourceMappings"] == []
    both = lambda_client.list_event_source_mappings()["EventSourceMappings"]
    assert sorted(m["EventSourceArn"] for m in both) == sorted(arns)
    by_source = lambda_client.list_event_source_mappings(EventSourceArn=arns[1])["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[-1] for m in by_source] == [other]
