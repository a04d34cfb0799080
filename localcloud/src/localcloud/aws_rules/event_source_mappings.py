"""Lambda's checks of an event source mapping's settings against its source (SQS, Kinesis, DynamoDB).

moto checks only a maximum BatchSize (and answers a wrong one with a server error); it accepts a
ScalingConfig on a stream, stream-only settings on a queue, a FIFO queue with a batching window,
a standard queue with more than 10 messages a batch and no window, and a stream mapping without
a StartingPosition (it starts at TRIM_HORIZON). AWS refuses each of them.

Where an answer is recorded from AWS (LocalStack's AWS-validated snapshots), its code and message
are used as recorded. Where none is recorded, the code and message follow AWS's answer to the
nearest recorded case, and the check says so. A check refuses only what a page of AWS's
documentation names; where the documentation leaves a value open (a stream-only setting sent to
a queue with the value that means "not set"), it is let through, as AWS might accept it.

The order of the checks on AWS is not documented. Here: the API's member constraints first (AWS
validates a request's shape before its meaning), then what depends on the source.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaBackend

from localcloud import aws_rules

# The member constraints of CreateEventSourceMapping and UpdateEventSourceMapping (Lambda API
# reference): "BatchSize [...] Valid Range: Minimum value of 1. Maximum value of 10000.";
# "ParallelizationFactor [...] Valid Range: Minimum value of 1. Maximum value of 10.";
# ScalingConfig: "MaximumConcurrency [...] Valid Range: Minimum value of 2. Maximum value of 1000."
# A constraint is answered with ValidationException in the form recorded on AWS for other
# members ("1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to
# satisfy constraint: Member must have value greater than or equal to 1"; a nested member is
# named by its path, as 'destinationConfig.onFailure.destination'); these three are not recorded.
RANGES: tuple[tuple[str, str, int, int], ...] = (
    ("BatchSize", "batchSize", 1, 10_000),
    ("ParallelizationFactor", "parallelizationFactor", 1, 10),
    ("ScalingConfig.MaximumConcurrency", "scalingConfig.maximumConcurrency", 2, 1000),
)

# "Using Lambda with Amazon SQS" and the API reference's BatchSize: "For standard queues the max
# is 10,000. For FIFO queues the max is 10."
FIFO_MAX_BATCH = 10
# MaximumBatchingWindowInSeconds (API reference): "For Kinesis, DynamoDB, and Amazon SQS event
# sources, when you set BatchSize to a value greater than 10, you must set
# MaximumBatchingWindowInSeconds to at least 1." Enforced for standard queues only: a stream's
# own default BatchSize is 100 with a window of 0, which AWS accepts.
UNBATCHED_MAX = 10

# Settings the API reference marks "(Kinesis and DynamoDB Streams only)" or "(Kinesis, DynamoDB
# Streams, Amazon MSK, and self-managed Apache Kafka)", with the value that means "not set" (let
# through on a queue: no AWS answer to it is recorded).
STREAM_ONLY: tuple[tuple[str, object], ...] = (
    ("ParallelizationFactor", 1),
    ("BisectBatchOnFunctionError", False),
    ("MaximumRetryAttempts", -1),
    ("MaximumRecordAgeInSeconds", -1),
    ("TumblingWindowInSeconds", 0),
)


class ValidationException(LambdaClientError):
    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _unsupported(parameter: str) -> InvalidParameterValueException:
    # Recorded on AWS for a DestinationConfig Lambda does not take: "Unsupported DestinationConfig
    # parameter for given event source mapping type."; the other parameters' answers follow it.
    return InvalidParameterValueException(f"Unsupported {parameter} parameter for given event source mapping type.")


def source_type(arn: str) -> str:
    """sqs, sqs-fifo, kinesis or dynamodb (another service: other, left to moto)."""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service == "sqs":
        return "sqs-fifo" if arn.endswith(".fifo") else "sqs"
    return service if service in ("kinesis", "dynamodb") else "other"


def _value(spec: dict[str, Any], dotted: str) -> Any:
    value: Any = spec
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_ranges(spec: dict[str, Any]) -> None:
    errors = []
    for name, member, low, high in RANGES:
        value = _value(spec, name)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if value < low:
            bound = f"greater than or equal to {low}"
        elif value > high:
            bound = f"less than or equal to {high}"
        else:
            continue
        errors.append(f"Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound}")
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise ValidationException(f"{count}: {'; '.join(errors)}")


def check_starting_position(kind: str, spec: dict[str, Any]) -> None:
    # CreateEventSourceMapping, StartingPosition: "Required for Amazon Kinesis and Amazon DynamoDB
    # Stream event sources." Recorded on AWS (Kinesis and DynamoDB alike), code and message.
    if kind in ("kinesis", "dynamodb") and not spec.get("StartingPosition"):
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
            "Member must not be null."
        )


def check_sqs(kind: str, spec: dict[str, Any], arn: str) -> None:
    """The settings a queue does not take (sent in this request)."""
    if kind not in ("sqs", "sqs-fifo"):
        return
    # StartingPosition: "Required for Amazon Kinesis and Amazon DynamoDB Stream event sources";
    # "Using Lambda with Amazon SQS" lists no starting position among a queue's parameters. AWS's
    # answer is recorded for a position a DynamoDB stream does not take ("Unsupported starting
    # position for arn type: <arn>"); for a queue it is not recorded.
    if spec.get("StartingPosition"):
        raise InvalidParameterValueException(f"Unsupported starting position for arn type: {arn}")
    # DestinationConfig: "(Kinesis, DynamoDB Streams, Amazon MSK, and self-managed Apache Kafka)".
    # Recorded for a queue with an OnSuccess destination; a queue's failures go to its own
    # redrive policy ("Using Lambda with Amazon SQS": configure a dead-letter queue on the queue).
    if spec.get("DestinationConfig"):
        raise _unsupported("DestinationConfig")
    for name, unset in STREAM_ONLY:
        if name in spec and spec[name] is not None and spec[name] != unset:
            raise _unsupported(name)


def check_scaling_config(kind: str, spec: dict[str, Any]) -> None:
    # ScalingConfig (API reference): "(Amazon SQS only) The scaling configuration for the event
    # source." AWS's answer on a stream is not recorded; it follows the DestinationConfig one.
    if kind not in ("sqs", "sqs-fifo") and _value(spec, "ScalingConfig.MaximumConcurrency") is not None:
        raise _unsupported("ScalingConfig")


def check_batching(kind: str, batch_size: int | None, window: int | None) -> None:
    """BatchSize and MaximumBatchingWindowInSeconds as the mapping would hold them."""
    if kind == "sqs-fifo":
        # "Using Lambda with Amazon SQS": "Batch window [...] Not supported for FIFO queues."
        # AWS's answer is reported through CloudFormation ("Invalid request provided: Batching
        # window is not supported for FIFO queues", a request with BatchSize 100 as well: the
        # window is answered first); its code is not recorded. A window of 0 is the default, let
        # through.
        if window:
            raise InvalidParameterValueException("Batching window is not supported for FIFO queues")
        # "For FIFO queues the max is 10." Not recorded on AWS for a FIFO queue; the message is
        # the one AWS answered for any queue when every queue's maximum was 10.
        if batch_size is not None and batch_size > FIFO_MAX_BATCH:
            raise InvalidParameterValueException("Maximum batch size must be between 1 and 10 inclusive")
    elif kind == "sqs" and batch_size is not None and batch_size > UNBATCHED_MAX and not window:
        # Recorded on AWS (UpdateEventSourceMapping, BatchSize 11 on a standard queue), code and
        # message.
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )


def check_create(spec: dict[str, Any]) -> None:
    arn = spec.get("EventSourceArn")
    if not isinstance(arn, str):
        return  # moto's own answer for a missing source
    kind = source_type(arn)
    check_ranges(spec)
    check_starting_position(kind, spec)
    check_sqs(kind, spec, arn)
    check_scaling_config(kind, spec)
    check_batching(kind, spec.get("BatchSize"), spec.get("MaximumBatchingWindowInSeconds"))


def check_update(backend: LambdaBackend, uuid: str, spec: dict[str, Any]) -> None:
    mapping = backend.get_event_source_mapping(uuid)
    if mapping is None:
        return  # moto's own answer for an unknown mapping
    arn = mapping.event_source_arn
    kind = source_type(arn)
    check_ranges(spec)
    check_sqs(kind, spec, arn)
    check_scaling_config(kind, spec)
    if "BatchSize" in spec or "MaximumBatchingWindowInSeconds" in spec:
        batch_size = spec.get("BatchSize", mapping.batch_size)
        window = spec.get("MaximumBatchingWindowInSeconds", mapping.max_batch_window)
        check_batching(kind, batch_size, window)


def _create(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        if aws_rules.active():
            check_create(spec)
        return original(self, spec)

    return create_event_source_mapping


def _update(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_event_source_mapping(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> Any:
        if aws_rules.active():
            check_update(self, uuid, spec)
        return original(self, uuid, spec)

    return update_event_source_mapping


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``), over the
    wrappers of ``moto_patches.install`` or under them: either way nothing is recorded on refusal."""
    LambdaBackend.create_event_source_mapping = _create(LambdaBackend.create_event_source_mapping)  # type: ignore[method-assign]  # a wrapper with moto's signature
    LambdaBackend.update_event_source_mapping = _update(LambdaBackend.update_event_source_mapping)  # type: ignore[method-assign]  # a wrapper with moto's signature
