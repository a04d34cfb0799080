"""Calls back into the local cloud with boto3, as the service's functions do."""

import os
from typing import Any

import boto3


def handler(event: Any, context: Any) -> Any:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["TARGET_QUEUE_URL"], MessageBody=event.get("body", "from lambda"))
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=os.environ["TABLE"], Item={"id": {"S": context.aws_request_id}})
    return {"endpoint": os.environ["AWS_ENDPOINT_URL"], "request_id": context.aws_request_id}
