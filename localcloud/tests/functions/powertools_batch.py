"""An SQS consumer written the way the service's are: Powertools batch processing."""

import json
import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

logger = Logger(service="localcloud-test")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: Any) -> None:
    if "poison" in record.body:
        raise ValueError("cannot process " + record.body)
    with open(os.environ["RECORD_FILE"], "a") as out:
        out.write(json.dumps({"data": record.body, "ok": True}) + "\n")


@logger.inject_lambda_context
def handler(event: Any, context: Any) -> Any:
    logger.info("batch of %d", len(event["Records"]))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
