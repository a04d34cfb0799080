"""scripts/write_outputs.py: outputs.json is owner-only from its first byte, and `make deploy` never prints the key.

The script is stand-alone (it imports nothing of the project), so it is loaded from its path. Its
terraform call is replaced by the outputs a deploy gives; everything after it runs as in `make deploy`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "k3y-Th4t-Must-N0t-Leak-0123456789"
TERRAFORM_OUTPUTS: dict[str, Any] = {
    "api_key": API_KEY,
    "edge_api_id": "edge123",
    "regional_api_id": "reg456",
    "stage_name": "v1",
    "edge_api_url": "https://edge123.execute-api.us-east-1.amazonaws.com/v1",
    "regional_api_url": "https://reg456.execute-api.us-east-1.amazonaws.com/v1",
    "region": "us-east-1",
}


@pytest.fixture(scope="module")
def write_outputs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("write_outputs", ROOT / "scripts" / "write_outputs.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def deploy(write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, out: Path, endpoint: str = "") -> int:
    """What `make deploy` runs after terraform apply, with terraform's answer given; its exit status."""
    monkeypatch.setattr(write_outputs, "terraform_outputs", lambda _env_dir: dict(TERRAFORM_OUTPUTS))
    monkeypatch.setattr(sys, "argv", ["write_outputs.py", "--env-dir", "terraform/envs/dev", "--out", str(out)])
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return write_outputs.main()  # type: ignore[no-any-return]  # a module loaded from a path is untyped


@pytest.mark.parametrize("endpoint", ["", "http://127.0.0.1:4566"], ids=["aws", "emulator"])
def test_deploy_output_never_holds_the_key(
    write_outputs: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    endpoint: str,
) -> None:
    out = tmp_path / "build" / "dev" / "outputs.json"
    assert deploy(write_outputs, monkeypatch, out, endpoint) == 0
    printed = capsys.readouterr()
    assert API_KEY not in printed.out + printed.err
    assert "not printed" in printed.out
    assert json.loads(out.read_text())["api_key"] == API_KEY  # the key is in the file, for the tests


def test_the_printed_command_reads_the_key_from_the_file(
    write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "dir with space" / "outputs.json"
    deploy(write_outputs, monkeypatch, out)
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("API key"))
    command = line.split(": ", 1)[1]
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    assert result.stdout == f"{API_KEY}\n"


def test_the_printed_curl_sends_the_key_it_reads(
    write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "outputs.json"
    deploy(write_outputs, monkeypatch, out)
    post = next(line.strip() for line in capsys.readouterr().out.splitlines() if "-X POST" in line)
    assert API_KEY not in post
    # Pasted into a shell where `curl` only shows its arguments: the header carries the real key.
    shown = subprocess.run(
        ["bash", "-c", f'curl() {{ printf "%s\\n" "$@"; }}; {post}'], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert f"x-api-key: {API_KEY}" in shown
    assert json.loads(shown[shown.index("-d") + 1])["type"] == "order.created"


# Python's audit events for changing a file's mode or name, with the path they act on: at each, the
# file the script wrote is looked at before the change happens. A hook cannot be removed, so it
# watches only while a test has put a list here.
WATCHED_EVENTS = {"os.chmod": 0, "os.rename": 0, "os.replace": 0}
_modes_seen: list[list[int]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _modes_seen and event in WATCHED_EVENTS:
        path = args[WATCHED_EVENTS[event]]
        if isinstance(path, (str, os.PathLike)) and os.path.isfile(path):
            _modes_seen[-1].append(stat.S_IMODE(os.stat(path).st_mode))


sys.addaudithook(_audit)


def test_outputs_are_owner_only_from_the_start(
    write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """0600 from the first byte, whatever the umask allows: no moment when the key is in a wider file."""
    out = tmp_path / "outputs.json"
    seen: list[int] = []
    old_umask = os.umask(0o000)
    _modes_seen.append(seen)
    try:
        deploy(write_outputs, monkeypatch, out)
    finally:
        _modes_seen.pop()
        os.umask(old_umask)
    assert seen, "the file is written somewhere and moved into place"
    assert {oct(m) for m in seen} == {oct(0o600)}
    assert mode(out) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs.json"]  # no temporary file left


def test_an_existing_file_with_wider_permissions_ends_owner_only(
    write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "outputs.json"
    out.write_text('{"api_key": "old"}\n')
    out.chmod(0o644)
    deploy(write_outputs, monkeypatch, out)
    assert mode(out) == 0o600
    assert json.loads(out.read_text())["api_key"] == API_KEY


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(
    write_outputs: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "outputs.json"
    out.write_text("previous\n")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(write_outputs.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_outputs.write_private(out, "new\n")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs.json"]


@pytest.mark.parametrize("env", ["local", "dev", "staging", "prod"])
def test_terraform_apply_shows_the_key_as_sensitive(env: str) -> None:
    """`make deploy` also prints terraform apply's outputs: the key's is marked sensitive in every root."""
    outputs_tf = (ROOT / "terraform" / "envs" / env / "outputs.tf").read_text()
    block = re.search(r'output "api_key" \{(.*?)\n\}', outputs_tf, flags=re.DOTALL)
    assert block, f"{env} has no api_key output"
    assert re.search(r"^\s*sensitive\s*=\s*true\s*$", block.group(1), flags=re.MULTILINE)
