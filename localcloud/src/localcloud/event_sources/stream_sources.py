"""Read access to the shards behind a stream event source mapping.

Kinesis and DynamoDB streams differ only in where their records live in moto
and how a record looks in the Lambda event; the poller (``stream_poller``) sees
both through this small interface. A position is an integer that grows along
the shard: the Kinesis sequence number, or the index of a DynamoDB stream
record plus one. Records are read straight from moto's models: never deleted
there (moto's own DynamoDB delivery would clear them, but it is detached).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from localcloud.awslambda.payloads import dynamodb_record, kinesis_record
from localcloud.moto_patches.internals import dynamodb_backends, kinesis_backends
from localcloud.moto_patches.serial import holding_moto


@dataclass(frozen=True)
class ShardRecord:
    position: int
    sequence_number: str
    arrival: float  # epoch seconds
    event_record: dict[str, Any]


class ShardSource(Protocol):
    kind: str  # "kinesis" or "dynamodb": names the batch info of failure records
    stream_arn: str

    @holding_moto
    def shard_ids(self) -> list[str]: ...

    def initial_position(self, shard_id: str, starting_position: str, timestamp: float | None) -> int: ...

    def read(self, shard_id: str, after: int, limit: int) -> list[ShardRecord]: ...


class KinesisSource:
    kind = "kinesis"

    def __init__(self, stream_arn: str, role: str) -> None:
        self.stream_arn = stream_arn
        parts = stream_arn.split(":")
        self._region, self._account = parts[3], parts[4]
        self._name = stream_arn.split("/", 1)[1]
        self._role = role

    def _stream(self) -> Any:
        stream = kinesis_backends[self._account][self._region].streams.get(self._name)
        return stream if stream is not None and stream.arn == self.stream_arn else None

    @holding_moto
    def shard_ids(self) -> list[str]:
        stream = self._stream()
        return sorted(stream.shards) if stream is not None else []

    @holding_moto
    def initial_position(self, shard_id: str, starting_position: str, timestamp: float | None) -> int:
        shard = self._shard(shard_id)
        if shard is None or starting_position == "TRIM_HORIZON":
            return 0
        if starting_position == "AT_TIMESTAMP" and timestamp is not None:
            return int(shard.get_sequence_number_at(timestamp))
        return int(shard.get_max_sequence_number())  # LATEST

    def _shard(self, shard_id: str) -> Any:
        stream = self._stream()
        return stream.shards.get(shard_id) if stream is not None else None

    @holding_moto
    def read(self, shard_id: str, after: int, limit: int) -> list[ShardRecord]:
        shard = self._shard(shard_id)
        if shard is None:
            return []
        records, _, _ = shard.get_records(str(after), limit)
        return [
            ShardRecord(
                position=int(r.sequence_number),
                sequence_number=str(r.sequence_number),
                arrival=r.created_at,
                event_record=kinesis_record(r, shard_id, self.stream_arn, self._region, self._role),
            )
            for r in records
        ]


class DynamoDBStreamSource:
    kind = "dynamodb"

    def __init__(self, stream_arn: str) -> None:
        self.stream_arn = stream_arn
        # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>; the
        # label is a timestamp with colons of its own.
        parts = stream_arn.split(":", 5)
        self._region, self._account = parts[3], parts[4]
        _, self._table_name, _, self._label = parts[5].split("/", 3)

    def _shard(self) -> Any:
        table = dynamodb_backends[self._account][self._region].tables.get(self._table_name)
        # A new label means the stream was turned off and on: a new stream.
        if table is None or table.latest_stream_label != self._label:
            return None
        return table.stream_shard

    @holding_moto
    def shard_ids(self) -> list[str]:
        shard = self._shard()
        return [shard.id] if shard is not None else []

    @holding_moto
    def initial_position(self, shard_id: str, starting_position: str, timestamp: float | None) -> int:
        shard = self._shard()
        if shard is None or starting_position == "TRIM_HORIZON":
            return 0
        return len(shard.items)  # LATEST

    @holding_moto
    def read(self, shard_id: str, after: int, limit: int) -> list[ShardRecord]:
        shard = self._shard()
        if shard is None:
            return []
        items = shard.items[after : after + limit]
        out = []
        for offset, item in enumerate(items):
            record = dynamodb_record(item, self.stream_arn, self._region)
            created = item.record["dynamodb"]["ApproximateCreationDateTime"]
            out.append(
                ShardRecord(
                    position=after + offset + 1,
                    sequence_number=record["dynamodb"]["SequenceNumber"],
                    arrival=created.timestamp() if hasattr(created, "timestamp") else float(created),
                    event_record=record,
                )
            )
        return out
