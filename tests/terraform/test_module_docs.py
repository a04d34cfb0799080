"""Every Terraform module has a README whose inputs and outputs tables match its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform import module_docs

MODULES = module_docs.modules()


def test_every_module_is_found() -> None:
    names = {m.name for m in MODULES}
    assert {"network", "data", "messaging", "streaming", "functions", "api", "observability", "stack"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_module_files_exist(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name} has no {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_every_variable_and_output_is_described(module: Path) -> None:
    undescribed = [v.name for v in module_docs.variables(module) if not v.description]
    undescribed += [o.name for o in module_docs.outputs(module) if not o.description]
    assert not undescribed, f"{module.name}: no description for {undescribed}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_readme_tables_are_current(module: Path) -> None:
    current, fresh = module_docs.updated_readme(module)
    assert current == fresh, (
        f"{module.name}/README.md tables are stale: run `python -m tests.terraform.module_docs --write`"
    )
