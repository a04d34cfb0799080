"""Fan-out of accepted events: the standard topic, the FIFO topic and the Kinesis stream."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from chalicelib.events import StoredEvent, canonical_json
from chalicelib.repository import deserialize, event_from_item

# SNS FIFO message group ids allow 1-128 of these characters only.
_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


def message_group_id(subject: str) -> str:
    """The subject itself when SNS accepts it, else a stable digest: order is per subject either way."""
    if _GROUP_ID.match(subject):
        return subject
    return "sha256-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()


class Publisher:
    def __init__(self, sns: Any, kinesis: Any, standard_topic_arn: str, fifo_topic_arn: str, stream_name: str) -> None:
        self._sns = sns
        self._kinesis = kinesis
        self._standard_topic_arn = standard_topic_arn
        self._fifo_topic_arn = fifo_topic_arn
        self._stream_name = stream_name

    def publish(self, event: StoredEvent) -> None:
        body = canonical_json(event.to_message())
        # `type` drives the notifier's filter policy (prefix "alert.").
        attributes = {"type": {"DataType": "String", "StringValue": event.type}}
        self._sns.publish(TopicArn=self._standard_topic_arn, Message=body, MessageAttributes=attributes)
        self._sns.publish(
            TopicArn=self._fifo_topic_arn,
            Message=body,
            MessageAttributes=attributes,
            MessageGroupId=message_group_id(event.subject),
            MessageDeduplicationId=event.id,
        )
        self._kinesis.put_record(StreamName=self._stream_name, Data=body.encode("utf-8"), PartitionKey=event.subject)

    def publish_stream_record(self, record: dict[str, Any]) -> None:
        """Publish a new event from a DynamoDB stream record; other items and modifications are not events."""
        if record.get("eventName") != "INSERT":
            return
        image = deserialize(record.get("dynamodb", {}).get("NewImage", {}))
        if image.get("entity") != "event":
            return
        self.publish(event_from_item(image))
