"""``make replay-failures``: re-drive, from the table, what the stream mappings gave up on.

The stream failure queue holds only the coordinates of the batches a mapping gave up on; the
replayer (chalicelib.replay, the service's own domain code) reads the records back from the
streams and re-drives the events they name. Here it is wired to a deployed environment's
resources with the operator's credentials.
"""

from __future__ import annotations

from typing import Any

from tooling.ops.target import Target
from tooling.repository import import_service_code


def replay_failures(target: Target, limit: int) -> dict[str, Any]:
    import_service_code()
    from aws_lambda_powertools import Logger  # noqa: PLC0415 (the app's code, importable from here on)

    from chalicelib.keys import KeyStore  # noqa: PLC0415
    from chalicelib.lanes import Lanes  # noqa: PLC0415
    from chalicelib.publishing import Publisher  # noqa: PLC0415
    from chalicelib.replay import StreamFailureReplayer  # noqa: PLC0415
    from chalicelib.repository import EventsRepository  # noqa: PLC0415

    dynamodb = target.client("dynamodb")
    table = target.output("events_table_name")
    repository = EventsRepository(dynamodb, table)
    publisher = Publisher(
        target.client("sns"),
        target.client("kinesis"),
        standard_topic_arn=target.output("standard_topic_arn"),
        fifo_topic_arn=target.output("fifo_topic_arn"),
        stream_name=target.output("events_stream_name"),
        logger=Logger(service="ops"),
        subject_hash=KeyStore(dynamodb, table).subject_hash,
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
