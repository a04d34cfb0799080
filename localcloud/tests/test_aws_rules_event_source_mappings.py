"""Lambda refuses the event source mappings AWS refuses: settings a queue or stream does not take,
batch sizes over the source's limit, a ScalingConfig out of range or on a stream, a stream without
a StartingPosition; and accepts the boundaries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.testing import Cloud

INVALID = "InvalidParameterValueException"
NO_STARTING_POSITION = (
    "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
    "Member must not be null."
)
NO_WINDOW = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"


@dataclass
class Sources:
    lam: Any
    function: str
    queue: str
    fifo: str
    kinesis: str
    dynamodb: str


@pytest.fixture
def sources(cloud: Cloud) -> Sources:
    # Out-of-range values must reach the server: botocore checks some minimums itself.
    lam = cloud.client("lambda", Config(parameter_validation=False))
    sqs = cloud.client("sqs")
    tag = uuid.uuid4().hex[:6]

    def queue_arn(name: str, **attributes: str) -> str:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName=f"s-{tag}", ShardCount=1)
    stream = kinesis.describe_stream(StreamName=f"s-{tag}")["StreamDescription"]["StreamARN"]
    table = cloud.client("dynamodb").create_table(
        TableName=f"t-{tag}",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    name, _ = cloud.function("empty")
    return Sources(
        lam,
        name,
        queue_arn(f"q-{tag}"),
        queue_arn(f"q-{tag}.fifo", FifoQueue="true"),
        stream,
        table["LatestStreamArn"],
    )


def _refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    response = refused.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    return response["Error"]["Code"], response["Error"]["Message"]


def _create(s: Sources, arn: str, **settings: Any) -> Callable[[], Any]:
    return lambda: s.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=s.function, **settings)


def _range(value: int, member: str, bound: str) -> tuple[str, str]:
    return (
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must have value {bound}",
    )


def test_maximum_concurrency_is_2_to_1000_and_sqs_only(sources: Sources) -> None:
    s = sources
    low = _refusal(_create(s, s.queue, ScalingConfig={"MaximumConcurrency": 1}))
    high = _refusal(_create(s, s.queue, ScalingConfig={"MaximumConcurrency": 1001}))
    on_stream = _refusal(_create(s, s.kinesis, StartingPosition="LATEST", ScalingConfig={"MaximumConcurrency": 5}))
    two = s.lam.create_event_source_mapping(
        EventSourceArn=s.queue, FunctionName=s.function, ScalingConfig={"MaximumConcurrency": 2}
    )
    thousand = s.lam.update_event_source_mapping(UUID=two["UUID"], ScalingConfig={"MaximumConcurrency": 1000})
    updated_low = _refusal(
        lambda: s.lam.update_event_source_mapping(UUID=two["UUID"], ScalingConfig={"MaximumConcurrency": 1})
    )

    assert low == updated_low == _range(1, "scalingConfig.maximumConcurrency", "greater than or equal to 2")
    assert high == _range(1001, "scalingConfig.maximumConcurrency", "less than or equal to 1000")
    assert on_stream == (INVALID, "Unsupported ScalingConfig parameter for given event source mapping type.")
    assert thousand["UUID"] == two["UUID"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ParallelizationFactor", 2),
        ("BisectBatchOnFunctionError", True),
        ("MaximumRetryAttempts", 3),
        ("MaximumRecordAgeInSeconds", 3600),
        ("TumblingWindowInSeconds", 60),
    ],
)
def test_a_queue_refuses_stream_only_settings(sources: Sources, setting: str, value: Any) -> None:
    s = sources
    created = _refusal(_create(s, s.queue, **{setting: value}))
    mapping = s.lam.create_event_source_mapping(EventSourceArn=s.fifo, FunctionName=s.function)
    updated = _refusal(lambda: s.lam.update_event_source_mapping(UUID=mapping["UUID"], **{setting: value}))

    assert created == updated == (INVALID, f"Unsupported {setting} parameter for given event source mapping type.")


def test_a_queue_refuses_a_destination_and_a_starting_position(sources: Sources) -> None:
    s = sources
    destination = {"OnFailure": {"Destination": s.fifo}}
    with_destination = _refusal(_create(s, s.queue, DestinationConfig=destination))
    with_position = _refusal(_create(s, s.queue, StartingPosition="TRIM_HORIZON"))

    assert with_destination == (INVALID, "Unsupported DestinationConfig parameter for given event source mapping type.")
    assert with_position == (INVALID, f"Unsupported starting position for arn type: {s.queue}")


def test_a_fifo_queue_takes_10_messages_a_batch_and_no_batching_window(sources: Sources) -> None:
    s = sources
    over = _refusal(_create(s, s.fifo, BatchSize=11))
    window = _refusal(_create(s, s.fifo, BatchSize=100, MaximumBatchingWindowInSeconds=5))
    ten = s.lam.create_event_source_mapping(EventSourceArn=s.fifo, FunctionName=s.function, BatchSize=10)
    updated = _refusal(lambda: s.lam.update_event_source_mapping(UUID=ten["UUID"], BatchSize=11))

    assert over == updated == (INVALID, "Maximum batch size must be between 1 and 10 inclusive")
    assert window == (INVALID, "Batching window is not supported for FIFO queues")
    assert ten["BatchSize"] == 10


def test_a_standard_queue_takes_more_than_10_only_with_a_window_and_at_most_10000(sources: Sources) -> None:
    s = sources
    unbatched = _refusal(_create(s, s.queue, BatchSize=11))
    over = _refusal(_create(s, s.queue, BatchSize=10_001, MaximumBatchingWindowInSeconds=1))
    most = s.lam.create_event_source_mapping(
        EventSourceArn=s.queue, FunctionName=s.function, BatchSize=10_000, MaximumBatchingWindowInSeconds=1
    )
    # Recorded on AWS: an update to 11 of a mapping without a window.
    ten = s.lam.update_event_source_mapping(UUID=most["UUID"], BatchSize=10, MaximumBatchingWindowInSeconds=0)
    updated = _refusal(lambda: s.lam.update_event_source_mapping(UUID=most["UUID"], BatchSize=11))

    assert unbatched == updated == (INVALID, NO_WINDOW)
    assert over == _range(10_001, "batchSize", "less than or equal to 10000")
    assert most["BatchSize"] == 10_000
    assert ten["BatchSize"] == 10


@pytest.mark.parametrize("kind", ["kinesis", "dynamodb"])
def test_a_stream_needs_a_starting_position_and_takes_10000_and_a_factor_of_1_to_10(
    sources: Sources, kind: str
) -> None:
    s = sources
    arn = getattr(s, kind)
    missing = _refusal(_create(s, arn))
    over = _refusal(_create(s, arn, StartingPosition="LATEST", BatchSize=10_001))
    no_factor = _refusal(_create(s, arn, StartingPosition="LATEST", ParallelizationFactor=0))
    high_factor = _refusal(_create(s, arn, StartingPosition="LATEST", ParallelizationFactor=11))
    accepted = s.lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=s.function,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10_000,
        ParallelizationFactor=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=-1,
        DestinationConfig={"OnFailure": {"Destination": s.queue}},
    )
    updated = _refusal(lambda: s.lam.update_event_source_mapping(UUID=accepted["UUID"], ParallelizationFactor=11))

    assert missing == (INVALID, NO_STARTING_POSITION)
    assert over == _range(10_001, "batchSize", "less than or equal to 10000")
    assert no_factor == _range(0, "parallelizationFactor", "greater than or equal to 1")
    assert high_factor == updated == _range(11, "parallelizationFactor", "less than or equal to 10")
    assert accepted["BatchSize"] == 10_000
    assert accepted["ParallelizationFactor"] == 10


def test_the_stack_s_mappings_are_accepted(sources: Sources) -> None:
    """As terraform/modules/functions writes them: queues with a batch of 10 (queue_batch_size's
    default and maximum) and MaximumConcurrency from the reserved concurrency (prod: 20 and 10);
    streams with the stack's stream defaults and an on-failure queue."""
    s = sources
    for arn, concurrency in ((s.queue, 20), (s.fifo, 10)):
        s.lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=s.function,
            BatchSize=10,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            ScalingConfig={"MaximumConcurrency": concurrency},
        )
    for arn in (s.kinesis, s.dynamodb):
        s.lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=s.function,
            BatchSize=1000,
            MaximumBatchingWindowInSeconds=0,
            StartingPosition="TRIM_HORIZON",
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=3,
            MaximumRecordAgeInSeconds=-1,
            ParallelizationFactor=1,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            DestinationConfig={"OnFailure": {"Destination": s.queue}},
        )

    assert len(s.lam.list_event_source_mappings(FunctionName=s.function)["EventSourceMappings"]) == 4


def test_rules_off_the_mappings_are_moto_s(sources: Sources) -> None:
    s = sources
    with aws_rules.suspended():
        on_queue = s.lam.create_event_source_mapping(
            EventSourceArn=s.queue, FunctionName=s.function, BatchSize=11, MaximumRetryAttempts=3
        )
        on_stream = s.lam.create_event_source_mapping(
            EventSourceArn=s.kinesis, FunctionName=s.function, ScalingConfig={"MaximumConcurrency": 1}
        )

    assert on_queue["BatchSize"] == 11
    assert on_stream["StartingPosition"] == "TRIM_HORIZON"  # moto's default where AWS requires one
