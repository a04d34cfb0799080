"""Appends one JSON line per record it sees to $RECORD_FILE, in the order seen.

A record whose body (SQS), data (Kinesis) or message (SNS) contains "poison"
always fails; one containing "flaky" fails on its first delivery only. With
$PARTIAL=1 failures are reported as batchItemFailures (for FIFO sources, the
failed record and every later one of the batch, as Powertools'
SqsFifoPartialProcessor does); otherwise the handler raises.
"""

import base64
import json
import os
from typing import Any


def _describe(record: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    if "kinesis" in record:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        shard = record["eventID"].split(":")[0]
        return record["kinesis"]["sequenceNumber"], data, {"shard": shard}
    if "dynamodb" in record:
        image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
        data = json.dumps({"event": record["eventName"], "keys": record["dynamodb"]["Keys"], "image": image})
        return record["dynamodb"]["SequenceNumber"], data, {}
    if "Sns" in record:
        return record["Sns"]["MessageId"], record["Sns"]["Message"], {"sns": record["Sns"]}
    attributes = record["attributes"]
    extra = {"group": attributes.get("MessageGroupId"), "receives": attributes["ApproximateReceiveCount"]}
    return record["messageId"], record["body"], extra


def _flaky_seen(data: str) -> bool:
    marker = os.environ["RECORD_FILE"] + ".flaky"
    seen = set()
    if os.path.exists(marker):
        with open(marker) as previous:
            seen = set(previous.read().split("\n"))
    if data in seen:
        return True
    with open(marker, "a") as out:
        out.write(data + "\n")
    return False


def handler(event: Any, context: Any) -> Any:
    records = event.get("Records", [])
    fifo = any(r.get("attributes", {}).get("MessageGroupId") for r in records)
    failures: list[str] = []
    with open(os.environ["RECORD_FILE"], "a") as out:
        for record in records:
            identifier, data, extra = _describe(record)
            failed = bool(failures and fifo)
            if not failed and ("poison" in data or ("flaky" in data and not _flaky_seen(data))):
                failed = True
            out.write(json.dumps({"id": identifier, "data": data, "ok": not failed, **extra}) + "\n")
            if failed:
                failures.append(identifier)
    if failures and os.environ.get("PARTIAL") == "1":
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failures]}
    if failures:
        raise RuntimeError(f"failed records: {failures}")
    return {"batchItemFailures": []}
