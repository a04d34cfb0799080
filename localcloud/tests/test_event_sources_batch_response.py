"""AWS's rules for reading a partial batch response."""

from __future__ import annotations

import json

import pytest

from localcloud.event_sources.batch_response import failed_items, first_failed_index

IDS = ["m1", "m2", "m3"]


@pytest.mark.parametrize("payload", ["", "null", "{}", '{"batchItemFailures": []}', '{"batchItemFailures": null}'])
def test_success_responses(payload: str) -> None:
    assert failed_items(payload, IDS) == set()
    assert first_failed_index(payload, IDS) == 3


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        '"a string"',
        '{"batchItemFailures": [{"itemIdentifier": ""}]}',
        '{"batchItemFailures": [{"itemIdentifier": null}]}',
        '{"batchItemFailures": [{"id": "m1"}]}',
        '{"batchItemFailures": [{"itemIdentifier": "unknown"}]}',
    ],
)
def test_invalid_responses_fail_the_whole_batch(payload: str) -> None:
    assert failed_items(payload, IDS) is None
    assert first_failed_index(payload, IDS) is None


def test_reported_failures() -> None:
    payload = json.dumps({"batchItemFailures": [{"itemIdentifier": "m3"}, {"itemIdentifier": "m2"}]})
    assert failed_items(payload, IDS) == {"m2", "m3"}
    assert first_failed_index(payload, IDS) == 1
