"""One log call is one JSON line.

Powertools' logger and Chalice both log through the ``events`` logger; Chalice, left to
configure logs, adds its own plain-text handler, so every call was written twice (once as
``events - INFO - ...``, once as JSON): twice the CloudWatch Logs ingestion, and lines that
JSON-only queries cannot read. A fresh interpreter imports the app as Lambda does, so no
other test's logging set-up can hide a second handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tooling.repository import APP_DIR

SCRIPT = """
import app
from chalicelib import components
components.logger().info("one call", extra={"marker": 7})
app.app.log.warning("through chalice's logger")
"""


def test_one_log_call_writes_exactly_one_json_line() -> None:
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=APP_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert [record["message"] for record in records] == ["one call", "through chalice's logger"]
    assert records[0]["marker"] == 7
    assert records[0]["service"] == "events"
