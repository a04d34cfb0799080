"""tooling.cost.sizing: parsing the stack's sizing output, and evaluating it with (a fake) Terraform."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from tooling.cost import sizing
from tooling.repository import BUILD_DIR, ROOT

FIXTURES = Path(__file__).with_name("fixtures")


def _console_line(env: str) -> str:
    return (FIXTURES / f"sizing_{env}.txt").read_text(encoding="utf-8").strip()


def test_the_consoles_json_string_is_decoded_twice() -> None:
    line = _console_line("prod")
    assert line.startswith('"{\\"')  # what terraform console prints for jsonencode(...)
    prod = sizing.parse_sizing(line)
    assert prod.environment == "prod"
    assert prod.functions["api"].memory_size == 512
    assert prod.functions["api"].reserved_concurrency == 100
    assert prod.queue_batch_size == 10
    assert prod.stream_batch_size == 100
    assert prod.reconcile_schedule_expression == "rate(5 minutes)"
    dev = sizing.parse_sizing(_console_line("dev"))
    assert dev.functions["publisher"].reserved_concurrency is None
    assert dev.log_level == "DEBUG"


def test_plain_json_is_accepted_too() -> None:
    plain = json.loads(_console_line("dev"))  # the JSON text inside the console's string literal
    assert isinstance(plain, str)
    assert plain.startswith("{")
    assert sizing.parse_sizing(plain).environment == "dev"


def test_a_missing_setting_is_named() -> None:
    raw = json.loads(json.loads(_console_line("dev")))
    del raw["fifo_high_throughput"]
    with pytest.raises(sizing.SizingError, match="fifo_high_throughput"):
        sizing.sizing_from_dict(raw)
    raw = json.loads(json.loads(_console_line("dev")))
    del raw["functions"]["notifier"]
    with pytest.raises(sizing.SizingError, match="notifier"):
        sizing.sizing_from_dict(raw)
    raw = json.loads(json.loads(_console_line("dev")))
    raw["stream_mode"] = "SOMETIMES"
    with pytest.raises(sizing.SizingError, match="stream_mode"):
        sizing.sizing_from_dict(raw)


def test_no_terraform_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(sizing.SizingError, match="not on PATH"):
        sizing.read_sizing("dev", ROOT, tmp_path / "dev", terraform="no-such-terraform-binary")


def _fake_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    env_dir = repo / "terraform" / "envs" / "dev"
    env_dir.mkdir(parents=True)
    (repo / "terraform" / "modules" / "stack").mkdir(parents=True)
    for name in sizing.ROOT_FILES:
        (env_dir / name).write_text("# placeholder\n", encoding="utf-8")
    (env_dir / "main.tf").write_text('module "stack" {\n  source = "../../modules/stack"\n}\n', encoding="utf-8")
    (env_dir / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n', encoding="utf-8")
    return repo


def _fake_terraform(tmp_path: Path, console: str) -> str:
    script = tmp_path / "terraform"
    # The model calls `terraform -chdir=DIR init ...` and `terraform -chdir=DIR console`.
    body = f'case "$2" in\n  init) exit 0 ;;\n  console) {console} ;;\nesac\n'
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_the_root_is_copied_without_its_backend(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    work = repo / "build" / "tfeval" / "dev"
    sizing.prepare_root("dev", repo, work)
    assert 'source = "../../../terraform/modules/stack"' in (work / "main.tf").read_text(encoding="utf-8")
    assert not (work / "backend.tf").exists()
    assert (work / "terraform.tfvars").exists()


def test_an_absent_sizing_output_says_so(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    message = 'Error: Unsupported attribute\\nThis object does not have an attribute named \\"sizing\\".\\n'
    error = f'printf "{message}" >&2; exit 1'
    fake = _fake_terraform(tmp_path, error)
    with pytest.raises(sizing.SizingError, match="no `sizing` output"):
        sizing.read_sizing("dev", repo, repo / "build" / "tfeval" / "dev", terraform=fake)


def test_the_value_is_found_among_coloured_warnings(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    value = (FIXTURES / "sizing_dev.txt").resolve()
    console = f"printf '\\033[33mWarning: something\\033[0m\\n'; cat '{value}'"
    fake = _fake_terraform(tmp_path, console)
    result = sizing.read_sizing("dev", repo, repo / "build" / "tfeval" / "dev", terraform=fake)
    assert result.environment == "dev"


def test_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    fake = _fake_terraform(tmp_path, "exit 1")
    with pytest.raises(sizing.SizingError, match="no Terraform root"):
        sizing.read_sizing("nowhere", _fake_repo(tmp_path), tmp_path / "work", terraform=fake)


MIRROR = Path("/opt/tf-plugins")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("terraform") is None or not MIRROR.is_dir(), reason="needs terraform and its mirror")
def test_the_real_dev_root_evaluates_offline(tmp_path: Path) -> None:
    work = BUILD_DIR / "tfeval" / "dev-test"
    try:
        result = sizing.read_sizing("dev", ROOT, work, plugin_dir=MIRROR)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert result.environment == "dev"
    assert set(result.functions) == set(sizing.FUNCTIONS)
