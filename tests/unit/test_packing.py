"""Packing a lane's entries into calls: every limit of the API, counted as AWS counts it, order kept."""

from __future__ import annotations

from chalicelib.packing import (
    KINESIS_PUT_RECORDS,
    SNS_PUBLISH_BATCH,
    BatchLimits,
    kinesis_record_bytes,
    pack,
    sns_entry_bytes,
)

MIB = 1024 * 1024


def _sizes(sizes: list[int], limits: BatchLimits) -> tuple[list[list[int]], list[int]]:
    """Pack entries that are their own size; their sizes are distinct enough to follow by index."""
    indexed = list(enumerate(sizes))
    packed = pack(indexed, lambda entry: entry[1], limits)
    return [[index for index, _ in batch] for batch in packed.batches], [index for index, _ in packed.oversized]


def test_the_limits_are_awss() -> None:
    assert (SNS_PUBLISH_BATCH.entries, SNS_PUBLISH_BATCH.request_bytes, SNS_PUBLISH_BATCH.entry_bytes) == (
        10,
        262_144,
        262_144,
    )
    assert (KINESIS_PUT_RECORDS.entries, KINESIS_PUT_RECORDS.request_bytes, KINESIS_PUT_RECORDS.entry_bytes) == (
        500,
        5 * MIB,
        MIB,
    )


def test_a_batch_of_exactly_262144_bytes_is_one_call_and_one_byte_more_is_two() -> None:
    assert _sizes([65_536] * 4, SNS_PUBLISH_BATCH) == ([[0, 1, 2, 3]], [])
    assert _sizes([65_536] * 3 + [65_537], SNS_PUBLISH_BATCH) == ([[0, 1, 2], [3]], [])


def test_ten_entries_of_60_kb_go_four_to_a_call() -> None:
    # The batch: 602,401 bytes in one call, which PublishBatch refuses whole.
    assert _sizes([60_240] * 9 + [60_241], SNS_PUBLISH_BATCH) == ([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], [])


def test_publish_batch_takes_ten_entries_however_small() -> None:
    assert _sizes([1] * 21, SNS_PUBLISH_BATCH) == ([list(range(10)), list(range(10, 20)), [20]], [])


def test_put_records_takes_500_records_and_5_mib() -> None:
    assert _sizes([1] * 501, KINESIS_PUT_RECORDS) == ([list(range(500)), [500]], [])
    assert _sizes([MIB] * 5, KINESIS_PUT_RECORDS) == ([[0, 1, 2, 3, 4]], [])
    assert _sizes([MIB] * 4 + [MIB - 1, 2], KINESIS_PUT_RECORDS) == ([[0, 1, 2, 3, 4], [5]], [])
    assert _sizes([MIB] * 5 + [1], KINESIS_PUT_RECORDS) == ([[0, 1, 2, 3, 4], [5]], [])


def test_an_entry_too_big_for_any_call_is_set_apart_and_the_others_keep_their_order() -> None:
    assert _sizes([10, 262_145, 20, 262_144, 30], SNS_PUBLISH_BATCH) == ([[0, 2], [3], [4]], [1])
    assert _sizes([MIB + 1, 5, MIB], KINESIS_PUT_RECORDS) == ([[1, 2]], [0])


def test_order_is_kept_within_and_across_batches() -> None:
    sizes = [100_000, 1, 200_000, 50_000, 12_144, 262_144, 7]
    batches, oversized = _sizes(sizes, SNS_PUBLISH_BATCH)
    assert [index for batch in batches for index in batch] == list(range(len(sizes)))
    assert batches == [[0, 1], [2, 3, 4], [5], [6]]
    assert oversized == []


def test_nothing_to_send_makes_no_call() -> None:
    assert _sizes([], SNS_PUBLISH_BATCH) == ([], [])


def test_sns_counts_the_body_and_each_attributes_name_type_and_value_as_utf8() -> None:
    entry = {
        "Id": "9",
        "Message": "héllo",  # 6 bytes, 5 characters
        "MessageAttributes": {
            "type": {"DataType": "String", "StringValue": "alert.€"},  # 4 + 6 + 9
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},  # 3 + 6 + 2
        },
        # Not part of the message size: neither the batch id nor the FIFO ids.
        "MessageGroupId": "g" * 128,
        "MessageDeduplicationId": "d" * 128,
    }
    assert sns_entry_bytes(entry) == 6 + (4 + 6 + 9) + (3 + 6 + 2)


def test_kinesis_counts_the_data_and_the_partition_key_as_utf8() -> None:
    assert kinesis_record_bytes({"Data": b"12345", "PartitionKey": "sübject"}) == 5 + 8
