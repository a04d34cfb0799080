"""tooling.contract: what each gateway's Schemathesis run is given, and the exit status over both."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tooling.contract import __main__ as runner
from tooling.repository import CONTRACT


def test_without_outputs_it_says_to_deploy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--outputs", str(tmp_path / "missing.json"), "--reports", str(tmp_path)]) == 2
    assert "run `make deploy`" in capsys.readouterr().err


def test_each_gateway_runs_with_its_url_and_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"edge_api_url": "http://edge", "regional_api_url": "http://regional", "api_key": "k"})
    )
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], env: dict[str, str], check: bool) -> Any:
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 1 if env["CONTRACT_BASE_URL"] == "http://regional" else 0)

    monkeypatch.setattr(subprocess, "run", run)  # the runner's only child processes
    assert runner.main(["--outputs", str(outputs), "--reports", str(tmp_path / "reports"), "--seed", "7"]) == 1
    assert [env["CONTRACT_BASE_URL"] for _, env in calls] == ["http://edge", "http://regional"]
    assert {env["CONTRACT_API_KEY"] for _, env in calls} == {"k"}
    command = calls[0][0]
    assert command[command.index("--seed") + 1] == "7"
    assert command[command.index("--report-dir") + 1] == str(tmp_path / "reports" / "edge")
    assert str(CONTRACT) in command
