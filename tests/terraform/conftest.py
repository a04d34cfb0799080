"""Show the emulator apply's numbers in pytest's summary (they are captured otherwise)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / "build" / "reports" / "terraform-apply.json"
_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT.exists() or REPORT.stat().st_mtime < _STARTED:
        return  # the apply test did not run in this session
    report = json.loads(REPORT.read_text())
    seconds = report.get("seconds", {})
    terminalreporter.write_sep("-", "terraform apply to moto")
    terminalreporter.write_line(
        f"{report.get('resource_count')} resources; apply {seconds.get('apply')} s, "
        f"second plan {seconds.get('second_plan')} s, destroy {seconds.get('destroy')} s "
        f"({report.get('terraform')}, {report.get('emulator')}); {REPORT.relative_to(REPORT.parents[2])}"
    )
