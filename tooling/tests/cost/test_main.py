"""python -m tooling.cost: exit status, messages and the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tooling.cost.__main__ import main

FIXTURES = Path(__file__).with_name("fixtures")


def _args(tmp_path: Path, results: Path) -> list[str]:
    return [
        "--env",
        "dev",
        "--env",
        "prod",
        "--results",
        str(results),
        "--out-dir",
        str(tmp_path / "reports"),
        "--sizing-file",
        f"dev={FIXTURES / 'sizing_dev.txt'}",
        "--sizing-file",
        f"prod={FIXTURES / 'sizing_prod.txt'}",
    ]


def test_without_handler_figures_it_says_run_make_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"meta": {}}), encoding="utf-8")
    assert main(_args(tmp_path, results)) == 2
    err = capsys.readouterr().err
    assert "no 'handlers' section" in err
    assert "make bench" in err
    assert not (tmp_path / "reports").exists()


def test_it_writes_json_and_markdown_per_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(tmp_path, FIXTURES / "handlers_results.json")) == 0
    out = capsys.readouterr().out
    assert "== Cost per million accepted events, dev" in out
    assert "Dominant line: VPC: interface endpoints" in out
    assert "Binds first for one subject" in out
    doc = json.loads((tmp_path / "reports" / "cost-prod.json").read_text(encoding="utf-8"))
    assert doc["dominant"]["id"] == "dynamodb.write.api"
    assert doc["totals"]["usd_per_million"] == pytest.approx(sum(line["usd_per_million"] for line in doc["lines"]))
    assert doc["capacity"]["binding"]["stack"] == "DynamoDB stream -> publisher"
    markdown = (tmp_path / "reports" / "cost-dev.md").read_text(encoding="utf-8")
    assert markdown.startswith("### dev: cost per million accepted events")
    assert "| line | per event | price |" in markdown


def test_markdown_mode_prints_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_args(tmp_path, FIXTURES / "handlers_results.json"), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| stage | scope | events/s |" in out


def test_an_unknown_environment_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--env", "qa", "--results", str(FIXTURES / "handlers_results.json"), "--out-dir", str(tmp_path)]
    assert main(args) == 2
    assert "no assumptions for environment 'qa'" in capsys.readouterr().err
