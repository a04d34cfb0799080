"""tooling.docs: the README tables rendered from a module's variables.tf and outputs.tf, and the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.docs import terraform_readmes
from tooling.docs.__main__ import main

VARIABLES = """variable "name" {
  description = "What the resources are called."
  type        = string
}

variable "sizes" {
  description = <<-EOT
    Memory per function,
    in MB.
  EOT
  type = map(object({
    memory = number
    arch   = string
  }))
  default = {}
}
"""

OUTPUTS = """output "url" {
  description = "Where it answers | publicly."
  value       = aws_api.url
}

output "key" {
  description = "The API key."
  value       = aws_key.value
  sensitive   = true
}
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    directory = tmp_path / "modules" / "api"
    directory.mkdir(parents=True)
    (directory / "variables.tf").write_text(VARIABLES)
    (directory / "outputs.tf").write_text(OUTPUTS)
    (directory / "README.md").write_text(
        "# api\n\nWhat it is.\n\n<!-- BEGIN_TF_DOCS -->\nold\n<!-- END_TF_DOCS -->\n\nMore.\n"
    )
    return directory


def test_variables_and_outputs_are_read_from_the_code(module: Path) -> None:
    name, sizes = terraform_readmes.variables(module)
    assert (name.name, name.description, name.type, name.default) == (
        "name",
        "What the resources are called.",
        "string",
        None,
    )
    assert sizes.description == "Memory per function, in MB."
    assert sizes.type == "map(object({ memory = number, arch = string }))"
    assert sizes.default == "{}"
    url, key = terraform_readmes.outputs(module)
    assert (url.name, url.sensitive, key.name, key.sensitive) == ("url", False, "key", True)


def test_the_tables_replace_only_what_is_between_the_markers(module: Path) -> None:
    current, fresh = terraform_readmes.updated_readme(module)
    assert current != fresh
    assert fresh.startswith("# api\n\nWhat it is.\n\n<!-- BEGIN_TF_DOCS -->\n## Inputs")
    assert fresh.endswith("<!-- END_TF_DOCS -->\n\nMore.\n")
    # Required inputs first; a pipe in a description is escaped; sensitive outputs say so.
    assert fresh.index("| name |") < fresh.index("| sizes |")
    assert "| url | Where it answers \\| publicly. |" in fresh
    assert "| key | The API key. (sensitive) |" in fresh


def test_the_command_checks_then_writes(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = module.parent
    assert terraform_readmes.modules(root) == [module]
    assert main(["--modules", str(root)]) == 1
    assert "stale README tables: api; run: make docs" in capsys.readouterr().err
    assert main(["--modules", str(root), "--write"]) == 0
    assert main(["--modules", str(root)]) == 0
    assert terraform_readmes.refresh(root) == []
