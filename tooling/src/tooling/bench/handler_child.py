"""One Lambda execution environment for the handler bench (see ``handlers``).

    python -I handler_child.py JOB.json RESULT.json

Run by path, never imported by the bench: it runs with the unpacked deployment zip as its
working directory and first on ``sys.path``, as Lambda does, so that the handler imports the
zip's code and nothing of the bench's process (``-I`` keeps the script's own directory and the
caller's environment off ``sys.path``, so the zip, put first by hand, is all the handler sees
besides the interpreter's own packages). It times the import of the handler's module
(the init phase), then calls the handler once per planned event: the first
call pays the lazy imports and client creation of a cold start, the rest are
warm. For each call it records wall and CPU time, the bytes the function
wrote to stdout and stderr (what CloudWatch Logs ingests), and every AWS API
call it made, by operation, with the DynamoDB request units that call
consumes under the on-demand rules for items of at most 1 KB (reads up to
4 KB): a strongly consistent read is 1 RRU and an eventually consistent one
0.5; a standard write 1 WRU; a transactional write 2 WRU per item.

Standard library only before the handler's import, so nothing is imported
ahead of the measured init.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from typing import Any


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 1769
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


_READS = {"GetItem", "Query", "Scan"}
_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def dynamodb_units(operation: str, params: dict[str, Any]) -> tuple[float, float]:
    """(read, write) request units of one call, for small items."""
    if operation in _READS:
        return (1.0 if params.get("ConsistentRead") else 0.5), 0.0
    if operation in _WRITES:
        return 0.0, 1.0
    if operation == "TransactWriteItems":
        return 0.0, 2.0 * len(params.get("TransactItems", []))
    if operation == "TransactGetItems":
        return 2.0 * len(params.get("TransactItems", [])), 0.0
    if operation == "BatchWriteItem":
        return 0.0, float(sum(len(requests) for requests in params.get("RequestItems", {}).values()))
    return 0.0, 0.0


class CallMeter:
    """Counts the AWS API calls a handler makes while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.calls: dict[str, int] = {}
        self.units = [0.0, 0.0]

    def install(self) -> None:
        from botocore.client import BaseClient  # noqa: PLC0415 (after the measured init, never before)

        # A private method of botocore's; the stubs do not declare it.
        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        meter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if meter.active:
                service = client.meta.service_model.endpoint_prefix
                key = f"{service}:{operation}"
                meter.calls[key] = meter.calls.get(key, 0) + 1
                if service == "dynamodb":
                    read, write = dynamodb_units(operation, params)
                    meter.units[0] += read
                    meter.units[1] += write
            return original(client, operation, params)

        BaseClient._make_api_call = counted  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.calls = {}
        self.units = [0.0, 0.0]


def _log_size(log: Any) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    return os.fstat(log.fileno()).st_size


def main(job_path: str, result_path: str) -> None:
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    # Lambda puts the function's code (/var/task, here the unpacked zip) first on sys.path.
    sys.path.insert(0, os.getcwd())
    # Everything the function prints goes to one file, as the Lambda runtime sends it to CloudWatch Logs.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives for the whole process)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)

    module_name, _, attribute = job["handler"].rpartition(".")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute)
    result: dict[str, Any] = {
        "init": {"wall_ms": (time.perf_counter() - wall0) * 1000, "cpu_ms": (time.process_time() - cpu0) * 1000},
        "invocations": [],
    }
    meter = CallMeter()
    meter.install()
    context = Context()
    for label, event in job["invocations"]:
        meter.reset()
        logged = _log_size(log)
        meter.active = True
        wall0, cpu0 = time.perf_counter(), time.process_time()
        response = handler(event, context)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        meter.active = False
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        status = response.get("statusCode") if isinstance(response, dict) else None
        result["invocations"].append(
            {
                "label": label,
                "wall_ms": wall * 1000,
                "cpu_ms": cpu * 1000,
                "log_bytes": _log_size(log) - logged,
                "calls": meter.calls,
                "dynamodb_units": {"read": meter.units[0], "write": meter.units[1]},
                "failures": len(failures) if failures else 0,
                "status": status,
            }
        )
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
