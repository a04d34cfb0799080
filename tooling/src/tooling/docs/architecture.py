"""The architecture diagram (docs/architecture.svg), derived from the Terraform configuration and the contract.

The picture is not drawn: its boxes and arrows are read from ``terraform/envs/local`` and the
modules it calls (``evaluate`` works out, without a provider, which resource instance each
argument names) and from ``contracts/openapi.yaml``, so a new queue, subscription or trigger
appears in it, and a stale copy fails ``tooling/tests/docs/test_architecture.py``.

The arrows come from the resources that *are* flows, each by the arguments that name its two ends
(``FLOWS``): an event source mapping (its source to its function, and its on-failure destination),
a topic subscription, a schedule's target, a queue's redrive policy (to its dead-letter queue), a
REST API's body (its integrations: to the function), and a function's environment (what its code
calls: the table, the topics, the stream). The boxes are the resources at either end; a callers'
box stands before the REST APIs, whose boxes list the contract's routes. A DynamoDB table read
through its stream gets a box for the stream.

How it is drawn is ``drawing``'s part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from tooling.docs.drawing import Edge, Graph, Node, render
from tooling.docs.evaluate import Context, Instance, Module, Reference, load_root, references
from tooling.repository import CONTRACT, ROOT

ENV_ROOT = ROOT / "terraform" / "envs" / "local"
DIAGRAM = ROOT / "docs" / "architecture.svg"

ON_FAILURE = "destination_config.on_failure.destination_arn"
# Each flow resource type: the argument naming where the flow comes from ("" for the resource
# itself), the one naming where it goes, and the kind of flow.
FLOWS: tuple[tuple[str, str, str, str], ...] = (
    ("aws_lambda_event_source_mapping", "event_source_arn", "function_name", "triggers"),
    (
        "aws_lambda_event_source_mapping",
        "event_source_arn",
        "destination_config.on_failure.destination_arn",
        "failures",
    ),
    ("aws_sns_topic_subscription", "topic_arn", "endpoint", "triggers"),
    ("aws_cloudwatch_event_target", "rule", "arn", "triggers"),
    ("aws_scheduler_schedule", "", "target.arn", "triggers"),
    ("aws_sqs_queue_redrive_policy", "queue_url", "redrive_policy", "failures"),
    ("aws_api_gateway_rest_api", "", "body", "triggers"),
    ("aws_lambda_function", "", "environment.variables", "calls"),
)

# A reference to one of these is a reference to the resource its argument names (an alias invokes its function).
ALIASES = {"aws_lambda_alias": "function_name"}
# Attributes that stand for a part of a resource with a box of its own.
FACETS = {("aws_dynamodb_table", "stream_arn"): "stream"}

# Side notes: resources that touch everything (one line each), not boxes.
SIDE_NOTES = {
    "aws_kms_key": "KMS key: encrypts the table, stream, topics, queues, logs and function environments",
    "aws_cloudwatch_metric_alarm": "CloudWatch alarms",
    "aws_wafv2_web_acl": "WAF web ACL in front of both stages (when enabled)",
}


# -- the graph, from the configuration --------------------------------------------------------------


def _node_id(reference: Reference, context: Context) -> tuple[Instance, str] | None:
    """The box a reference stands for: (instance, facet or "")."""
    instance = reference.instance
    if instance.type in ALIASES:
        targets = references(context.attribute(instance, ALIASES[instance.type]))
        return _node_id(sorted(targets, key=_ref_key)[0], context) if targets else None
    facet = FACETS.get((instance.type, reference.attribute or ""), "")
    return instance, facet


def _ref_key(reference: Reference) -> tuple[Any, ...]:
    return (reference.instance.address(), reference.attribute or "")


def _ends(value: Any, context: Context) -> list[tuple[Instance, str]]:
    found = {end for ref in references(value) if (end := _node_id(ref, context)) is not None}
    return sorted(found, key=lambda end: (end[0].address(), end[1]))


def _box_id(instance: Instance, facet: str) -> str:
    return instance.address() + (f"/{facet}" if facet else "")


def _instances(root: Module) -> Iterable[tuple[Module, Instance]]:
    for module in root.modules():
        context = Context(module)
        for kind, name in sorted(module.resources):
            for key in sorted(context.instances(module, kind, name), key=lambda k: (k is not None, str(k))):
                yield module, Instance(module.path, kind, name, key)


def routes(contract: Path) -> list[str]:
    """``METHOD /path`` of every operation of the contract, in its order."""
    spec = yaml.safe_load(contract.read_text())
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    return [
        f"{method.upper()} {path}"
        for path, item in (spec.get("paths") or {}).items()
        for method in item
        if method in methods
    ]


def build_graph(env_root: Path = ENV_ROOT, contract: Path = CONTRACT) -> Graph:
    root = load_root(env_root)
    context = Context(root)
    edges: set[Edge] = set()
    ends: dict[str, tuple[Instance, str]] = {}
    side: dict[str, int] = defaultdict(int)
    for _, instance in _instances(root):
        if instance.type in SIDE_NOTES:
            side[instance.type] += 1
        for kind, source_arg, target_arg, flow in FLOWS:
            if instance.type != kind:
                continue
            sources = [(instance, "")] if not source_arg else _ends(context.attribute(instance, source_arg), context)
            targets = _ends(context.attribute(instance, target_arg), context)
            for source in sources:
                for target in targets:
                    if source != target:
                        ends[_box_id(*source)] = source
                        ends[_box_id(*target)] = target
                        edges.add(Edge(_box_id(*source), _box_id(*target), flow))
    # A stream facet is fed by its table.
    for box, (instance, facet) in list(ends.items()):
        if facet:
            ends.setdefault(_box_id(instance, ""), (instance, ""))
            edges.add(Edge(_box_id(instance, ""), box, "triggers"))
    nodes = {box: _node(box, instance, facet, context) for box, (instance, facet) in ends.items()}
    _name_without_common_prefix(nodes)
    _dead_letter_queues(nodes, edges)
    apis = sorted(box for box, node in nodes.items() if node.type == "aws_api_gateway_rest_api")
    if apis:
        nodes["callers"] = Node("callers", "callers", "HTTPS clients", ["x-api-key (but /health)"])
        edges.update(Edge("callers", api, "triggers") for api in apis)
        for api in apis:
            nodes[api].details += routes(contract)
    notes = [
        SIDE_NOTES[kind] + (f" ({count})" if kind == "aws_cloudwatch_metric_alarm" else "")
        for kind, count in sorted(side.items())
    ]
    return Graph(nodes, sorted(edges), notes)


def _node(box: str, instance: Instance, facet: str, context: Context) -> Node:
    kind = instance.type + (f"/{facet}" if facet else "")
    name = ""
    for argument in ("name", "function_name"):
        value = context.attribute(instance, argument)
        if isinstance(value, str):
            name = value
            break
    if not name:
        name = str(instance.key) if instance.key is not None else instance.name
    details: list[str] = []
    if instance.type == "aws_api_gateway_rest_api":
        types = context.attribute(instance, "endpoint_configuration.types")
        if isinstance(types, list):
            details.append("endpoint: " + ", ".join(str(t) for t in types))
    elif instance.type in ("aws_cloudwatch_event_rule", "aws_scheduler_schedule"):
        expression = context.attribute(instance, "schedule_expression")
        if isinstance(expression, str):
            details.append(expression)
    elif instance.type in ("aws_sqs_queue", "aws_sns_topic"):
        fifo = context.attribute(instance, "fifo_queue" if instance.type == "aws_sqs_queue" else "fifo_topic")
        if fifo is True:
            details.append("FIFO")
    elif instance.type == "aws_lambda_function":
        handler = context.attribute(instance, "handler")
        if isinstance(handler, str):
            details.append(handler)
    return Node(box, kind, name, details)


def _name_without_common_prefix(nodes: dict[str, Node]) -> None:
    """Drop the stack's name prefix (``events-local-``) that every resource name starts with."""
    names = [node.name for node in nodes.values()]
    if len(names) < 2:
        return
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix[: prefix.rfind("-") + 1]
    for node in nodes.values():
        node.name = node.name.removeprefix(prefix) or node.name


def _dead_letter_queues(nodes: dict[str, Node], edges: set[Edge]) -> None:
    for edge in edges:
        target = nodes[edge.target]
        if edge.kind == "failures" and target.type == "aws_sqs_queue" and "dead letters" not in target.details:
            target.details.insert(0, "dead letters")


def diagram(env_root: Path = ENV_ROOT, contract: Path = CONTRACT) -> str:
    """The SVG text for the configuration under ``env_root`` and the contract."""
    # Named from the repository the root is in (terraform/envs/<env>), so a copy draws the same picture.
    repository = env_root.resolve().parents[2]
    source = " and ".join(
        str(path.resolve().relative_to(repository)) if path.resolve().is_relative_to(repository) else path.name
        for path in (env_root, contract)
    )
    return render(build_graph(env_root, contract), source)


def refresh(target: Path = DIAGRAM, env_root: Path = ENV_ROOT, contract: Path = CONTRACT, write: bool = False) -> bool:
    """Whether ``target`` is stale; with ``write``, it is rewritten."""
    fresh = diagram(env_root, contract)
    current = target.read_text() if target.is_file() else None
    if current == fresh:
        return False
    if write:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fresh)
    return True
