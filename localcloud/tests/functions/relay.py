"""An SQS consumer that forwards each message body to another queue."""

import os
from typing import Any

import boto3

sqs = boto3.client("sqs")


def handler(event: Any, context: Any) -> Any:
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["TARGET_QUEUE_URL"], MessageBody="relayed " + record["body"])
