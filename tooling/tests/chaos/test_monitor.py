"""The lane monitor reads each subject's head and lane cursors from a real (moto) table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.chaos.monitor import LaneMonitor
from tooling.events_table import ANALYTICS_SK, HEAD_SK, SEQUENCER_SK, item_key, subject_pk
from tooling.moto_stack import TABLE, create_table

SUBJECTS = [f"subject-{n}" for n in range(60)]  # more than one BatchGetItem's 100 keys


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


def put(dynamodb: Any, subject: str, sk: str, **numbers: int) -> None:
    item = item_key(subject_pk(subject), sk)
    item.update({name: {"N": str(value)} for name, value in numbers.items()})
    # What the lanes also keep, which the monitor has no use for.
    item["by_type"] = {"M": {"order.created": {"N": "3"}}}
    dynamodb.put_item(TableName=TABLE, Item=item)


def test_a_sample_records_every_subjects_cursors_at_the_sample_time(dynamodb: Any) -> None:
    for index, subject in enumerate(SUBJECTS):
        put(dynamodb, subject, HEAD_SK, accepted=index + 3)
        put(dynamodb, subject, SEQUENCER_SK, last_sequence=index + 2)
        put(dynamodb, subject, ANALYTICS_SK, counted_through=index + 1)
    monitor = LaneMonitor(dynamodb, TABLE, SUBJECTS, clock=lambda: 100.0)

    monitor.sample()

    assert monitor.accepted() == {subject: index + 3 for index, subject in enumerate(SUBJECTS)}
    assert monitor.behind()["subject-7"] == (10, 9, 8)
    assert monitor.samples["subject-7"].reached("analytics", 8) == 100.0


def test_a_subject_with_nothing_stored_is_at_zero(dynamodb: Any) -> None:
    put(dynamodb, "subject-0", HEAD_SK, accepted=1)
    monitor = LaneMonitor(dynamodb, TABLE, SUBJECTS[:2])

    monitor.sample()

    assert monitor.accepted() == {"subject-0": 1, "subject-1": 0}
    assert monitor.behind() == {"subject-0": (1, 0, 0)}
