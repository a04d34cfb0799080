"""Transitional alias of ``tests.unit.moto_stack`` under its former names.

Importers outside tests/unit (scripts/bench_handlers.py, scripts/bench_requests.py,
tests/contract/test_inprocess.py) still use ``tests.unit.cloud``; they are being moved
by other work. Delete this module once they import ``tests.unit.moto_stack``.
"""

from __future__ import annotations

from tests.unit.moto_stack import (
    REGION,
    TABLE,
    MotoStack,
    create_moto_stack,
    create_table,
    kinesis_record,
    sns_event,
    sqs_event_from_bodies,
)

FakeCloud = MotoStack
create_cloud = create_moto_stack

__all__ = [
    "REGION",
    "TABLE",
    "FakeCloud",
    "create_cloud",
    "create_table",
    "kinesis_record",
    "sns_event",
    "sqs_event_from_bodies",
]
