"""``localcloud chaos add/list/clear``: the command line's client of the Chaos API."""

from __future__ import annotations

import json

import pytest

from chaos_support import EFFECTS, faults
from localcloud.__main__ import main as cli
from localcloud.testing import Cloud


def test_cli_add_list_clear(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    port = str(cloud.server.port)
    rule = {"service": "sqs", "count": 2}

    assert cli(["chaos", "add", json.dumps(rule), "--port", port]) == 0
    assert json.loads(capsys.readouterr().out) == [rule]
    assert cli(["chaos", "add", json.dumps([{"service": "sns"}]), "--port", port]) == 0
    faults(cloud, "POST", {"latency": 10}, path=EFFECTS)
    capsys.readouterr()
    assert cli(["chaos", "list", "--port", port]) == 0
    assert json.loads(capsys.readouterr().out) == {"faults": [rule, {"service": "sns"}], "effects": {"latency": 10}}
    assert cli(["chaos", "add", '{"probability": 3}', "--port", port]) == 1
    assert "probability" in capsys.readouterr().err
    assert cli(["chaos", "add", "{not json", "--port", port]) == 2

    assert cli(["chaos", "clear", "--port", port]) == 0

    assert "cleared 2 fault rule(s)" in capsys.readouterr().out
    assert faults(cloud, "GET") == []
    assert faults(cloud, "GET", path=EFFECTS) == {"latency": 0}
