"""Moving the observability alarms into one resource replaces none of them.

The observability module had five alarm resources of one shape (dlq_depth,
api_5xx, function, function_iterator_age, kinesis_iterator_age); they are now
the instances of one, aws_cloudwatch_metric_alarm.this, and the module's
moved.tf moves each old instance to its new key. A `terraform test` plan has no
state, so it cannot see a move; this test has one:

1. it applies the previous layout (a frozen copy in
   fixtures/observability_five_alarm_resources) to a moto server started in this
   process on a free port, through a small root that also creates the topic's
   KMS key;
2. it puts the current module in the copy's place and plans: nothing may be
   created, replaced, updated or destroyed, and every alarm of the previous
   layout must move to the address its moved block names;
3. it applies that plan, and a further plan must be empty.

The module's inputs are built from moved.tf's own old addresses, so the apply
creates exactly the alarms the moved blocks name and every block is exercised.
That moved.tf names every alarm the stack had is test_apply_moto's
test_every_alarm_of_the_previous_layout_is_moved (the stack's keys come from
the stack). State, Terraform's data directory and the lock file stay in a
temporary directory. It takes well under a minute.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from localcloud.testing import free_port
from tests.terraform import moved_blocks
from tests.terraform.runner import run_terraform, terraform_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "terraform" / "modules" / "observability"
PREVIOUS = Path(__file__).resolve().parent / "fixtures" / "observability_five_alarm_resources"
CALL = "observability"  # the module call in the test root, as in the stack
NAME = "events-move"
REGION = "us-east-1"
STEP_TIMEOUT = 300  # seconds; each step takes a few

ROOT_MAIN = f"""
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }}
  }}
}}

provider "aws" {{
  region = "{REGION}"
}}

locals {{
  inputs = jsondecode(file("${{path.module}}/inputs.json"))
}}

resource "aws_kms_key" "alarms" {{
  description             = "{NAME} alarm topic"
  deletion_window_in_days = 7
}}

module "{CALL}" {{
  source = "./{CALL}"

  name        = "{NAME}"
  kms_key_arn = aws_kms_key.alarms.arn
  tags        = {{ Test = "observability-move" }}

  dead_letter_queue_names        = local.inputs.dead_letter_queue_names
  apis                           = local.inputs.apis
  function_names                 = local.inputs.function_names
  stream_consumer_function_names = local.inputs.stream_consumer_function_names
  kinesis_stream_names           = local.inputs.kinesis_stream_names
}}
"""


def inputs_for(moves: list[moved_blocks.Move]) -> dict[str, dict[str, Any]]:
    """The module inputs under which the previous layout creates exactly the moves' old instances."""
    inputs: dict[str, dict[str, Any]] = {
        "dead_letter_queue_names": {},
        "apis": {},
        "function_names": {},
        "stream_consumer_function_names": {},
        "kinesis_stream_names": {},
    }
    for move in moves:
        key = move.source.key
        assert key is not None, f"{move.source}: a moved block of one instance, not of a whole resource, is expected"
        match move.source.name:
            case "dlq_depth":
                inputs["dead_letter_queue_names"][key] = f"{NAME}-{key}"
            case "api_5xx":
                inputs["apis"][key] = {"name": f"{NAME}-{key}", "stage": "api"}
            case "function":
                function, _, metric = key.rpartition("-")
                assert metric in {"errors", "throttles"}, f"{move.source}: not a function alarm key"
                inputs["function_names"][function] = f"{NAME}-{function}"
            case "function_iterator_age":
                inputs["stream_consumer_function_names"][key] = f"{NAME}-{key}"
            case "kinesis_iterator_age":
                inputs["kinesis_stream_names"][key] = f"{NAME}-{key}"
            case other:
                pytest.fail(f"moved.tf moves from aws_cloudwatch_metric_alarm.{other}: not in the previous layout")
    return inputs


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def terraform(self, *args: str, step: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_terraform(self.root, self.env, self.timings, *args, timeout=STEP_TIMEOUT, step=step, check=check)

    def use_module(self, source: Path) -> None:
        """Put the module's .tf files (not its tests) where the root's module call finds them."""
        target = self.root / CALL
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for path in source.glob("*.tf"):
            shutil.copyfile(path, target / path.name)

    def alarm_addresses(self) -> set[str]:
        listed = self.terraform("state", "list", "-no-color").stdout.split()
        return {a for a in listed if ".aws_cloudwatch_metric_alarm." in a}


@pytest.fixture(scope="module")
def moves() -> list[moved_blocks.Move]:
    found = moved_blocks.moves(MODULE)
    assert found, f"{MODULE.relative_to(ROOT)} has no moved blocks"
    return found


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, moves: list[moved_blocks.Move]) -> Iterator[Sandbox]:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (Terraform >= 1.10 is needed).")
    from moto.core.base_backend import BackendDict
    from moto.server import ThreadedMotoServer

    for backends in list(BackendDict._instances):  # type: ignore[misc]
        backends.clear()  # fresh account, whatever ran before in this process
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    workdir = tmp_path_factory.mktemp("observability-move")
    root = workdir / "root"
    root.mkdir()
    (root / "main.tf").write_text(ROOT_MAIN)
    (root / "inputs.json").write_text(json.dumps(inputs_for(moves), indent=2))
    box = Sandbox(root=root, env=terraform_env(f"http://127.0.0.1:{port}", workdir, REGION))
    try:
        box.use_module(PREVIOUS)
        init = ["init", "-input=false", "-no-color"]
        mirror = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
        if mirror.is_dir():
            init.append(f"-plugin-dir={mirror}")
        box.terraform(*init, step="init")
        box.terraform("apply", "-auto-approve", "-input=false", "-no-color", step="apply_previous")
        yield box
    finally:
        server.stop()
        print(f"observability move: {box.timings}", file=sys.stderr)


def test_previous_layout_created_the_alarms_the_moved_blocks_name(
    sandbox: Sandbox, moves: list[moved_blocks.Move]
) -> None:
    expected = {m.source.under(CALL) for m in moves}
    assert sandbox.alarm_addresses() == expected


def test_plan_of_the_current_layout_only_moves_the_alarms(sandbox: Sandbox, moves: list[moved_blocks.Move]) -> None:
    sandbox.use_module(MODULE)
    sandbox.terraform("plan", "-input=false", "-no-color", "-out=move.tfplan", step="plan_current")
    plan = json.loads(sandbox.terraform("show", "-json", "move.tfplan").stdout)

    changed = {
        rc["address"]: rc["change"]["actions"]
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] not in (["no-op"], ["read"])
    }
    assert not changed, f"the move must create, update, replace or destroy nothing: {changed}"
    moved = {
        rc["previous_address"]: rc["address"] for rc in plan.get("resource_changes", []) if rc.get("previous_address")
    }
    assert moved == {m.source.under(CALL): m.target.under(CALL) for m in moves}

    sandbox.terraform("apply", "-input=false", "-no-color", "move.tfplan", step="apply_current")
    assert sandbox.alarm_addresses() == {m.target.under(CALL) for m in moves}
    again = sandbox.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color", step="plan_again", check=False)
    assert again.returncode == 0, f"a plan after the move wants changes:\n{again.stdout[-4000:]}\n{again.stderr}"
