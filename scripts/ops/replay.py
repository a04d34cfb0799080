"""``make replay-failures``: re-drive, from the table, what the stream mappings gave up on.

The stream failure queue holds only the coordinates of the batches a mapping gave up on; the
replayer (chalicelib.replay, the service's own domain code) reads the records back from the
streams and re-drives the events they name. Here it is wired to a deployed environment's
resources with the operator's credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ops.target import Target

APP_DIR = Path(__file__).resolve().parents[2] / "chalice_app"


def replay_failures(target: Target, limit: int) -> dict[str, Any]:
    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    from aws_lambda_powertools import Logger  # noqa: PLC0415 (the app's code, on its own path)

    from chalicelib.lanes import Lanes  # noqa: PLC0415
    from chalicelib.publishing import Publisher  # noqa: PLC0415
    from chalicelib.replay import StreamFailureReplayer  # noqa: PLC0415
    from chalicelib.repository import EventsRepository  # noqa: PLC0415

    dynamodb = target.client("dynamodb")
    repository = EventsRepository(dynamodb, target.output("events_table_name"))
    publisher = Publisher(
        target.client("sns"),
        target.client("kinesis"),
        standard_topic_arn=target.output("standard_topic_arn"),
        fifo_topic_arn=target.output("fifo_topic_arn"),
        stream_name=target.output("events_stream_name"),
        logger=Logger(service="ops"),
    )
    replayer = StreamFailureReplayer(
        repository,
        publisher,
        target.client("sqs"),
        target.client("dynamodbstreams"),
        kinesis=target.client("kinesis"),
        lanes=Lanes(dynamodb, repository),
    )
    return replayer.replay(target.output("stream_failure_queue_url"), limit)
