"""An environment's settings as preflight needs them, asked of Terraform, and its state backend.

The stack's ``sizing`` output is read exactly as the cost model reads it (``tooling.cost.sizing``:
the root copied without its backend, ``terraform init`` from the provider mirror, ``terraform
console``). The same console, in the same prepared copy, then evaluates the root's own variables
that ``sizing`` does not carry: the region, ``allowed_account_ids``, ``lambda_concurrency_quota``,
``manage_api_gateway_account``, ``waf_enabled`` and ``web_acl_arn``. ``allowed_account_ids`` has no
default outside the local root: unset (not in tfvars, no ``TF_VAR_allowed_account_ids``) the console
answers ``(known after apply)``, which is kept apart from ``null`` (the local root's "any account").

The backend config (``backend.hcl``, given to ``terraform init -backend-config``) holds flat
attributes only; it is read with the repository's HCL reader (``tooling.docs.hcl``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.cost import sizing as cost_sizing
from tooling.cost.sizing import Sizing, SizingError
from tooling.docs import hcl

# Evaluated after ``jsonencode(module.stack.sizing)``; the account list apart, so that its being unset
# (unknown) does not make the other values unknown too.
ACCOUNTS_EXPRESSION = "jsonencode(var.allowed_account_ids)"
ROOT_EXPRESSION = (
    "jsonencode({region = var.region, lambda_concurrency_quota = var.lambda_concurrency_quota, "
    "manage_api_gateway_account = var.manage_api_gateway_account, waf_enabled = var.waf_enabled, "
    "web_acl_arn = var.web_acl_arn})"
)
UNKNOWN = "(known after apply)"
# The root passes null for "the stack's default"; these are the stack module's defaults
# (terraform/modules/stack/variables.tf), which its outputs do not expose.
STACK_LAMBDA_CONCURRENCY_QUOTA = 1000


class SettingsError(Exception):
    """The environment's settings or backend cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Backend:
    """The S3 backend's config: where the state lives and the key that encrypts it."""

    source: Path
    bucket: str | None
    region: str | None
    kms_key_id: str | None
    # False: the file is missing (a non-local root cannot `terraform init` without it).
    present: bool = True


@dataclass(frozen=True)
class EnvSettings:
    env: str
    region: str
    # None: null (the local root: any account); an empty tuple never happens (the root validates).
    allowed_account_ids: tuple[str, ...] | None
    allowed_account_ids_set: bool
    lambda_concurrency_quota: int
    lambda_concurrency_quota_set: bool
    manage_api_gateway_account: bool
    waf: bool
    sizing: Sizing
    backend: Backend | None

    @property
    def reserved_concurrency(self) -> int:
        return sum(f.reserved_concurrency or 0 for f in self.sizing.functions.values())


def root_settings(
    env: str, sizing: Sizing, accounts_value: str, root_value: str, backend: Backend | None
) -> EnvSettings:
    """EnvSettings from the console's two answers (JSON string literals, or ``(known after apply)``)."""
    try:
        root: dict[str, Any] = json.loads(json.loads(root_value))
    except (json.JSONDecodeError, TypeError) as exc:
        raise SettingsError(f"terraform console gave no value for {env}'s root variables: {root_value!r}") from exc
    accounts_set = accounts_value != UNKNOWN
    accounts: tuple[str, ...] | None = ()
    if accounts_set:
        decoded = json.loads(json.loads(accounts_value))
        accounts = None if decoded is None else tuple(str(a) for a in decoded)
    quota = root.get("lambda_concurrency_quota")
    return EnvSettings(
        env=env,
        region=str(root["region"]),
        allowed_account_ids=accounts,
        allowed_account_ids_set=accounts_set,
        lambda_concurrency_quota=STACK_LAMBDA_CONCURRENCY_QUOTA if quota is None else int(quota),
        lambda_concurrency_quota_set=quota is not None,
        manage_api_gateway_account=bool(root.get("manage_api_gateway_account")),
        waf=bool(root.get("waf_enabled")) or root.get("web_acl_arn") is not None,
        sizing=sizing,
        backend=backend,
    )


def _console(work_dir: Path, terraform: str, expression: str) -> str:
    """One expression's value in the root ``read_sizing`` prepared and initialised in ``work_dir``."""
    code, lines, errors = cost_sizing.console(work_dir, shutil.which(terraform) or terraform, expression)
    values = [line for line in lines if line.startswith('"') or line == UNKNOWN]
    if code != 0 or not values:
        raise SettingsError(
            f"terraform console could not evaluate {expression} in {work_dir}:\n{cost_sizing.tail(errors)}"
        )
    return values[-1]


def read_backend(path: Path) -> Backend:
    """The bucket, region and KMS key named by a backend config file (``backend.hcl``)."""
    try:
        body = hcl.parse(path.read_text(encoding="utf-8"))
    except (OSError, hcl.HclError) as exc:
        raise SettingsError(f"{path} cannot be read: {exc}") from exc

    def text(name: str) -> str | None:
        expr = body.attributes.get(name)
        if isinstance(expr, hcl.Literal) and isinstance(expr.value, str):
            return expr.value
        if expr is not None:
            raise SettingsError(f"{path}: {name} must be a plain string")
        return None

    return Backend(source=path, bucket=text("bucket"), region=text("region"), kms_key_id=text("kms_key_id"))


def read_settings(
    env: str,
    repo: Path,
    work_dir: Path,
    backend_config: Path | None,
    plugin_dir: Path | None = None,
    terraform: str = "terraform",
) -> EnvSettings:
    """Ask Terraform for ``env``'s settings (offline: no state, no credentials) and read its backend."""
    try:
        sizing = cost_sizing.read_sizing(env, repo, work_dir, plugin_dir, terraform)
    except SizingError as exc:
        raise SettingsError(str(exc)) from exc
    accounts = _console(work_dir, terraform, ACCOUNTS_EXPRESSION)
    root = _console(work_dir, terraform, ROOT_EXPRESSION)
    backend = read_backend(backend_config) if backend_config is not None and backend_config.is_file() else None
    if backend_config is not None and backend is None:
        backend = Backend(source=backend_config, bucket=None, region=None, kms_key_id=None, present=False)
    return root_settings(env, sizing, accounts, root, backend)
