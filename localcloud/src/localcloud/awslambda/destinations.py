"""Sending a message to a Lambda destination or dead-letter target (SQS or SNS)."""

from __future__ import annotations

import logging

from localcloud.moto_patches.internals import sns_backends, sqs_backends
from localcloud.moto_patches.serial import holding_moto

log = logging.getLogger(__name__)


@holding_moto
def send_to_destination(destination_arn: str, body: str, attributes: dict[str, str] | None = None) -> None:
    """Deliver ``body`` (with string message attributes) to a queue or topic ARN."""
    parts = destination_arn.split(":")
    service, region, account, name = parts[2], parts[3], parts[4], parts[5]
    attributes = attributes or {}
    if service == "sqs":
        sqs_attributes = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        sqs_backends[account][region].send_message(name, body, message_attributes=sqs_attributes or None)
    elif service == "sns":
        sns_attributes = {k: {"Type": "String", "Value": v} for k, v in attributes.items()}
        sns_backends[account][region].publish(body, arn=destination_arn, message_attributes=sns_attributes)
    else:
        log.warning("destination %s is not supported locally; message dropped", destination_arn)
