"""tooling.docs.evaluate: a root and its modules computed without a provider, references kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.docs.evaluate import Context, Instance, Reference, Unknown, load_root, references

ROOT_TF = """
variable "name" {
  type = string
}

variable "lanes" {
  type    = list(string)
  default = ["standard", "fifo"]
}

module "queues" {
  source = "../modules/queues"
  name   = var.name
  lanes  = var.lanes
  consumers = {
    first = { queue = module.queues.queue_arns["standard"] }
  }
}
"""

MODULE_TF = """
variable "name" {
  type = string
}

variable "lanes" {
  type = list(string)
}

variable "consumers" {
  type = map(object({ queue = string }))
}

variable "retention" {
  type     = number
  default  = 60
  nullable = false
}

locals {
  by_lane = { for lane in var.lanes : lane => upper(lane) }
}

resource "aws_sqs_queue" "this" {
  for_each = local.by_lane

  name                      = "${var.name}-${lower(each.value)}"
  message_retention_seconds = var.retention * 2
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.consumers

  event_source_arn = each.value.queue
  function_name    = "fn-${each.key}"
  tags             = jsonencode({ queues = [for k, q in aws_sqs_queue.this : q.arn] })
}

output "queue_arns" {
  value = { for k, q in aws_sqs_queue.this : k => q.arn }
}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "main.tf").write_text(ROOT_TF)
    (tmp_path / "env" / "terraform.tfvars").write_text('name = "demo"\n')
    (tmp_path / "modules" / "queues").mkdir(parents=True)
    (tmp_path / "modules" / "queues" / "main.tf").write_text(MODULE_TF)
    return tmp_path / "env"


def test_instances_names_and_references_through_module_calls(root: Path) -> None:
    module = load_root(root).child("queues")
    context = Context(module)
    assert sorted(context.instances(module, "aws_sqs_queue", "this")) == ["fifo", "standard"]
    standard = Instance(("queues",), "aws_sqs_queue", "this", "standard")
    assert context.attribute(standard, "name") == "demo-standard"
    # A null-free default applies when the caller leaves the variable out.
    assert context.attribute(standard, "message_retention_seconds") == 120

    mapping = Instance(("queues",), "aws_lambda_event_source_mapping", "this", "first")
    # The caller's map names the queue through the module's own output: the instance is kept.
    assert context.attribute(mapping, "event_source_arn") == Reference(standard, "arn")
    assert context.attribute(mapping, "function_name") == "fn-first"
    encoded = context.attribute(mapping, "tags")
    assert isinstance(encoded, Unknown)  # ARNs are the provider's to know ...
    assert {ref.instance.key for ref in references(encoded)} == {"standard", "fifo"}  # ... but not whose they are
    assert mapping.address() == 'module.queues.aws_lambda_event_source_mapping.this["first"]'
