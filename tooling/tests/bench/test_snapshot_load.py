"""tooling.bench.snapshot_load reads the figure the ``localcloud snapshot load`` command prints."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import Any

import pytest

from localcloud import daemon
from tooling.bench.snapshot_load import PRINTED


class _Reply(io.BytesIO):
    def __enter__(self) -> _Reply:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def test_the_printed_load_line_is_parsed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answer = {"action": "load", "name": "bench-start", "bytes": 46_512_345, "seconds": 0.875}
    monkeypatch.setattr(urllib.request, "urlopen", lambda *_, **__: _Reply(json.dumps(answer).encode()))

    assert daemon.snapshot(1, "load", "bench-start") == 0
    match = PRINTED.match(capsys.readouterr().out.strip())
    assert match is not None
    assert (match["mb"], match["ms"]) == ("46.5", "875")
