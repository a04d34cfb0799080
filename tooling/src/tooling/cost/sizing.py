"""An environment's settings, read from Terraform itself: the stack's ``sizing`` output.

The model never re-implements the Terraform defaults. The stack module exposes an output ``sizing`` that
depends only on input variables (memory, timeouts, reserved concurrency, batch sizes, stream mode, FIFO
throughput mode, API throttles, ...), so ``terraform console`` can evaluate it without state, credentials or
a backend. ``read_sizing`` copies the environment's root to ``build/tfeval/<env>`` (without ``backend.tf``, so
no remote state is touched), points its ``module "stack"`` at the repository's module, runs ``terraform init``
(from the provider mirror when one is given) and evaluates ``jsonencode(module.stack.sizing)``. The console
prints that as a JSON string literal, so the value is decoded twice. ``parse_sizing`` is the pure half and
accepts either form.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "terraform.tfvars")
MODULE_SOURCE = "../../modules/stack"
EXPRESSION = "jsonencode(module.stack.sizing)"
FUNCTIONS = ("api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SizingError(Exception):
    """The environment's sizing cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class FunctionSizing:
    memory_size: int
    timeout: int
    reserved_concurrency: int | None


@dataclass(frozen=True)
class Sizing:
    environment: str
    architecture: str
    runtime: str
    api_snapstart: bool
    functions: Mapping[str, FunctionSizing]
    queue_batch_size: int
    stream_batch_size: int
    stream_parallelization_factor: int
    stream_mode: str
    stream_shard_count: int
    fifo_high_throughput: bool
    api_throttling_rate_limit: float
    api_throttling_burst_limit: float
    max_receive_count: int
    log_level: str
    reconcile_schedule_expression: str

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["functions"] = {name: asdict(f) for name, f in self.functions.items()}
        return doc


def _require(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str = "sizing") -> Any:
    if key not in raw:
        raise SizingError(f"{where} lacks {key!r}")
    value = raw[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SizingError(f"{where}.{key} has the wrong type: {value!r}")
    return value


def _function(name: str, raw: Any) -> FunctionSizing:
    where = f"sizing.functions.{name}"
    if not isinstance(raw, Mapping):
        raise SizingError(f"{where} must be an object")
    reserved = raw.get("reserved_concurrency")
    if reserved is not None and (not isinstance(reserved, int | float) or isinstance(reserved, bool)):
        raise SizingError(f"{where}.reserved_concurrency must be a number or null")
    return FunctionSizing(
        memory_size=int(_require(raw, "memory_size", (int, float), where)),
        timeout=int(_require(raw, "timeout", (int, float), where)),
        reserved_concurrency=None if reserved is None else int(reserved),
    )


def sizing_from_dict(raw: Any) -> Sizing:
    if not isinstance(raw, Mapping):
        raise SizingError("sizing must be a JSON object")
    functions = _require(raw, "functions", Mapping)
    missing = [name for name in FUNCTIONS if name not in functions]
    if missing:
        raise SizingError(f"sizing.functions lacks {', '.join(missing)}")
    architecture = _require(raw, "architecture", str)
    if architecture not in ("x86_64", "arm64"):
        raise SizingError(f"sizing.architecture must be x86_64 or arm64, got {architecture!r}")
    stream_mode = _require(raw, "stream_mode", str)
    if stream_mode not in ("ON_DEMAND", "PROVISIONED"):
        raise SizingError(f"sizing.stream_mode must be ON_DEMAND or PROVISIONED, got {stream_mode!r}")
    return Sizing(
        environment=_require(raw, "environment", str),
        architecture=architecture,
        runtime=_require(raw, "runtime", str),
        api_snapstart=_require(raw, "api_snapstart", bool),
        functions={name: _function(name, functions[name]) for name in FUNCTIONS},
        queue_batch_size=int(_require(raw, "queue_batch_size", (int, float))),
        stream_batch_size=int(_require(raw, "stream_batch_size", (int, float))),
        stream_parallelization_factor=int(_require(raw, "stream_parallelization_factor", (int, float))),
        stream_mode=stream_mode,
        stream_shard_count=int(_require(raw, "stream_shard_count", (int, float))),
        fifo_high_throughput=_require(raw, "fifo_high_throughput", bool),
        api_throttling_rate_limit=float(_require(raw, "api_throttling_rate_limit", (int, float))),
        api_throttling_burst_limit=float(_require(raw, "api_throttling_burst_limit", (int, float))),
        max_receive_count=int(_require(raw, "max_receive_count", (int, float))),
        log_level=_require(raw, "log_level", str),
        reconcile_schedule_expression=_require(raw, "reconcile_schedule_expression", str),
    )


def parse_sizing(text: str) -> Sizing:
    """The sizing from the console's output line (a JSON string literal) or from plain JSON."""
    try:
        value: Any = json.loads(text)
        if isinstance(value, str):
            value = json.loads(value)
    except json.JSONDecodeError as exc:
        raise SizingError(f"the sizing output is not JSON: {exc}") from exc
    return sizing_from_dict(value)


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _environ(root: Path) -> dict[str, str]:
    return {**os.environ, "TF_DATA_DIR": str(root.resolve() / ".terraform"), "TF_IN_AUTOMATION": "1"}


def console(root: Path, binary: str, expression: str) -> tuple[int, list[str], str]:
    """``terraform console`` on one expression in a root ``prepare_root`` made and ``read_sizing``
    initialised: its exit code, its output's lines (stripped, without colour) and its errors
    (without colour). Given several expressions, the console prints the last value only."""
    done = subprocess.run(
        [binary, f"-chdir={root}", "console"],
        input=expression + "\n",
        env=_environ(root),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, [line.strip() for line in _plain(done.stdout).splitlines()], _plain(done.stderr)


def tail(text: str, lines: int = 12) -> str:
    """The last non-empty lines of a tool's output, without colour: what an error message quotes."""
    kept = [line for line in _plain(text).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def prepare_root(env: str, repo: Path, work_dir: Path) -> Path:
    """Copy terraform/envs/<env> (files, symlinks followed, no backend) to work_dir, module source rewritten."""
    env_dir = repo / "terraform" / "envs" / env
    if not env_dir.is_dir():
        raise SizingError(f"there is no Terraform root for environment {env!r} ({env_dir})")
    work_dir.mkdir(parents=True, exist_ok=True)
    for name in ROOT_FILES:
        source = env_dir / name
        if not source.exists():
            raise SizingError(f"{source} is missing")
        shutil.copyfile(source, work_dir / name)
    main = work_dir / "main.tf"
    text = main.read_text(encoding="utf-8")
    module = os.path.relpath(repo / "terraform" / "modules" / "stack", work_dir)
    if text.count(f'"{MODULE_SOURCE}"') != 1:
        raise SizingError(f'{env_dir / "main.tf"} must call the stack module once with source = "{MODULE_SOURCE}"')
    main.write_text(text.replace(f'"{MODULE_SOURCE}"', f'"{module}"'), encoding="utf-8")
    return work_dir


def read_sizing(
    env: str,
    repo: Path,
    work_dir: Path,
    plugin_dir: Path | None = None,
    terraform: str = "terraform",
) -> Sizing:
    """Evaluate module.stack.sizing of terraform/envs/<env> offline; SizingError says what went wrong."""
    binary = shutil.which(terraform)
    if binary is None:
        raise SizingError(
            f"{terraform!r} is not on PATH: the cost model reads each environment's settings from its "
            "Terraform `sizing` output with `terraform console` (Terraform >= 1.10 is needed)"
        )
    root = prepare_root(env, repo, work_dir)
    init = [binary, f"-chdir={root}", "init", "-input=false"]
    if plugin_dir is not None and plugin_dir.is_dir():
        init.append(f"-plugin-dir={plugin_dir}")
    done = subprocess.run(init, env=_environ(root), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SizingError(f"terraform init of {root} failed:\n{tail(done.stderr or done.stdout)}")
    code, lines, errors = console(root, binary, EXPRESSION)
    values = [line for line in lines if line.startswith('"')]
    if code != 0 or not values:
        if 'attribute named "sizing"' in errors:
            raise SizingError(
                "the stack module has no `sizing` output yet (terraform/modules/stack/outputs.tf): "
                f"it is needed to read {env}'s settings"
            )
        raise SizingError(f"terraform console could not evaluate {EXPRESSION} for {env}:\n{tail(errors)}")
    return parse_sizing(values[-1])
