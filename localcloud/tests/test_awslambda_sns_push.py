"""An SNS subscription of protocol lambda: the function gets a real SNS event, filtered by
the subscription's filter policy (awslambda/payloads.py builds the event)."""

from __future__ import annotations

import json

from localcloud.testing import Cloud, read_records, wait_for


def test_sns_subscription_delivers_a_real_sns_event_honouring_the_filter(cloud: Cloud) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="events")["TopicArn"]
    records = cloud.record_file()
    _, arn = cloud.function("recorder", env={"RECORD_FILE": str(records)})
    subscription = sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"kind": ["alert"]})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]

    sns.publish(
        TopicArn=topic, Message="routine", MessageAttributes={"kind": {"DataType": "String", "StringValue": "info"}}
    )
    published = sns.publish(
        TopicArn=topic,
        Message="disk full",
        Subject="ops",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "alert"}},
    )

    seen = wait_for(lambda: read_records(records))
    assert [r["data"] for r in seen] == ["disk full"]
    event = seen[0]["sns"]
    assert event["MessageId"] == published["MessageId"]
    assert event["TopicArn"] == topic
    assert event["Subject"] == "ops"
    assert event["MessageAttributes"] == {"kind": {"Type": "String", "Value": "alert"}}
    assert subscription.startswith(topic)
