"""Every Terraform module has a README whose inputs and outputs tables match its code (tooling.docs renders them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.docs import terraform_readmes

MODULES = terraform_readmes.modules()


def test_every_module_is_found() -> None:
    names = {m.name for m in MODULES}
    assert {"network", "data", "messaging", "streaming", "functions", "api", "waf", "observability", "stack"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_module_files_exist(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name} has no {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_every_variable_and_output_is_described(module: Path) -> None:
    undescribed = [v.name for v in terraform_readmes.variables(module) if not v.description]
    undescribed += [o.name for o in terraform_readmes.outputs(module) if not o.description]
    assert not undescribed, f"{module.name}: no description for {undescribed}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_readme_tables_are_current(module: Path) -> None:
    current, fresh = terraform_readmes.updated_readme(module)
    assert current == fresh, f"{module.name}/README.md tables are stale: run `make docs`"
