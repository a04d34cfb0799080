"""tooling.docs.hcl: the configuration's syntax read into blocks and expression trees."""

from __future__ import annotations

import pytest

from tooling.docs import hcl
from tooling.repository import ROOT

TEXT = """
# a comment
resource "aws_sqs_queue" "this" {
  for_each = local.lanes // another

  name   = "${var.name}-${each.key}${each.value.suffix}"
  policy = <<-EOT
    {"a": "${aws_sns_topic.this[each.key].arn}"}
  EOT
  tags   = merge(var.tags, { Lane = each.key, "x-y" = 1 }, local.rest...)
  fifo   = each.value.fifo ? true : null /* inline */

  dynamic "redrive" {
    for_each = var.on ? [1] : []
    content {
      target = [for k, q in aws_sqs_queue.dlq : q.arn if k != "x"]
    }
  }
}
"""


def test_blocks_attributes_and_expressions() -> None:
    body = hcl.parse(TEXT)
    (block,) = body.blocks
    assert (block.kind, block.labels) == ("resource", ("aws_sqs_queue", "this"))
    attributes = block.body.attributes
    assert attributes["for_each"] == hcl.GetAttr(hcl.Variable("local"), "lanes")
    name = attributes["name"]
    assert isinstance(name, hcl.Template)
    assert [type(part).__name__ for part in name.parts] == ["GetAttr", "str", "GetAttr", "GetAttr"]
    policy = attributes["policy"]
    assert isinstance(policy, hcl.Template)
    assert policy.parts[0] == '{"a": "'
    tags = attributes["tags"]
    assert isinstance(tags, hcl.Call)
    assert (tags.name, len(tags.args), tags.expand_last) == ("merge", 3, True)
    assert isinstance(attributes["fifo"], hcl.Conditional)
    (dynamic,) = block.body.blocks_of("dynamic")
    target = dynamic.body.blocks_of("content")[0].body.attributes["target"]
    assert isinstance(target, hcl.ForExpr)
    assert (target.key_var, target.value_var, target.key) == ("k", "q", None)
    assert target.condition == hcl.Operation("!=", (hcl.Variable("k"), hcl.Literal("x")))


def test_an_object_ends_its_items_at_newlines_and_nests_brackets() -> None:
    expr = hcl.parse_expression('{\n  a = 1\n  b = [\n    2,\n    3,\n  ]\n  "c" = { d = true }\n}')
    assert isinstance(expr, hcl.ObjectExpr)
    keys = [key for key, _ in expr.items]
    assert keys == [hcl.Literal("a"), hcl.Literal("b"), hcl.Literal("c")]
    assert expr.items[1][1] == hcl.TupleExpr((hcl.Literal(2), hcl.Literal(3)))


def test_every_file_of_the_repository_configuration_parses() -> None:
    files = sorted((ROOT / "terraform").glob("**/*.tf")) + sorted((ROOT / "terraform").glob("**/*.tftest.hcl"))
    assert files
    for path in files:
        hcl.parse(path.read_text())


def test_what_is_not_hcl_is_refused_with_its_place() -> None:
    with pytest.raises(hcl.HclError, match="offset"):
        hcl.parse('resource "a" "b" {\n  x = ]\n}\n')
    with pytest.raises(hcl.HclError, match="not closed"):
        hcl.parse('resource "a" "b" {\n  x = 1\n')
