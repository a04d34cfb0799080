"""tooling.docs.architecture: the diagram's boxes and arrows come from the Terraform configuration, and the
committed docs/architecture.svg is what ``make docs`` would write now."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tooling.docs import architecture
from tooling.docs.__main__ import main
from tooling.docs.drawing import Graph
from tooling.repository import CONTRACT, ROOT

FUNCTIONS = 'module.stack.module.functions.aws_lambda_function.this["{}"]'
MESSAGING = "module.stack.module.messaging."
TABLE = "module.stack.module.data.aws_dynamodb_table.this"


def _flows(graph: Graph) -> set[tuple[str, str, str]]:
    return {(edge.source, edge.target, edge.kind) for edge in graph.edges}


def test_the_committed_diagram_is_current() -> None:
    assert architecture.DIAGRAM.read_text() == architecture.diagram(), "docs/architecture.svg is stale: run make docs"


def test_the_same_configuration_draws_the_same_bytes() -> None:
    assert architecture.diagram() == architecture.diagram()


def test_the_flows_are_read_from_the_flow_resources() -> None:
    flows = _flows(architecture.build_graph())
    expected = {
        # The REST APIs' bodies integrate the api function, which writes the table.
        ('module.stack.module.api.aws_api_gateway_rest_api.this["edge"]', FUNCTIONS.format("api"), "triggers"),
        ('module.stack.module.api.aws_api_gateway_rest_api.this["regional"]', FUNCTIONS.format("api"), "triggers"),
        (FUNCTIONS.format("api"), TABLE, "calls"),
        # The table's stream feeds the publisher (event source mapping), which calls both topics and Kinesis.
        (TABLE, TABLE + "/stream", "triggers"),
        (TABLE + "/stream", FUNCTIONS.format("publisher"), "triggers"),
        (FUNCTIONS.format("publisher"), MESSAGING + 'aws_sns_topic.this["standard"]', "calls"),
        (FUNCTIONS.format("publisher"), MESSAGING + 'aws_sns_topic.this["fifo"]', "calls"),
        (FUNCTIONS.format("publisher"), "module.stack.module.streaming.aws_kinesis_stream.this", "calls"),
        # Subscriptions: topic to queue, topic to function; queues to consumers, with their DLQs.
        (MESSAGING + 'aws_sns_topic.this["standard"]', MESSAGING + 'aws_sqs_queue.this["standard"]', "triggers"),
        (MESSAGING + 'aws_sns_topic.this["fifo"]', MESSAGING + 'aws_sqs_queue.this["fifo"]', "triggers"),
        (MESSAGING + 'aws_sns_topic.this["standard"]', FUNCTIONS.format("notifier"), "triggers"),
        (MESSAGING + 'aws_sqs_queue.this["standard"]', FUNCTIONS.format("processor"), "triggers"),
        (MESSAGING + 'aws_sqs_queue.this["fifo"]', FUNCTIONS.format("sequencer"), "triggers"),
        ("module.stack.module.streaming.aws_kinesis_stream.this", FUNCTIONS.format("analytics"), "triggers"),
        (MESSAGING + 'aws_sqs_queue.this["standard"]', MESSAGING + 'aws_sqs_queue.dlq["standard"]', "failures"),
        (TABLE + "/stream", MESSAGING + 'aws_sqs_queue.failure["stream_failures"]', "failures"),
        # The schedule runs the reconciler; every consumer writes back to the table.
        (
            'module.stack.module.functions.aws_cloudwatch_event_rule.this["reconciler"]',
            FUNCTIONS.format("reconciler"),
            "triggers",
        ),
        *((FUNCTIONS.format(name), TABLE, "calls") for name in ("processor", "sequencer", "notifier", "analytics")),
    }
    assert expected <= flows


def test_the_apis_list_the_contracts_routes() -> None:
    graph = architecture.build_graph()
    edge = graph.nodes['module.stack.module.api.aws_api_gateway_rest_api.this["edge"]']
    assert (edge.title, edge.name) == ("REST API", "edge")
    assert edge.details[0] == "endpoint: EDGE"
    assert edge.details[1:] == architecture.routes(CONTRACT)
    assert "POST /v1/events" in edge.details
    assert graph.nodes[FUNCTIONS.format("processor")].name == "processor"  # the stack's name prefix dropped


@pytest.fixture
def configuration(tmp_path: Path) -> Path:
    """A copy of the Terraform configuration (and the contract its APIs read), to change."""
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    shutil.copytree(ROOT / "terraform" / "envs" / "local", tmp_path / "terraform" / "envs" / "local")
    shutil.copytree(
        ROOT / "terraform" / "modules", tmp_path / "terraform" / "modules", ignore=shutil.ignore_patterns("tests")
    )
    return tmp_path / "terraform" / "envs" / "local"


EXTRA_SUBSCRIPTION = """
  sns_subscriptions = {
    processor-fifo-alerts = {
      function      = "processor"
      topic_arn     = module.messaging.fifo_topic_arn
      filter_policy = null
    }
"""


def test_a_new_subscription_in_the_configuration_makes_the_diagram_stale(
    configuration: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = configuration.parents[2]
    committed, contract = repository / "architecture.svg", repository / "contracts" / "openapi.yaml"
    assert architecture.refresh(committed, configuration, contract, write=True)
    assert committed.read_text() == architecture.DIAGRAM.read_text()  # a faithful copy draws the same

    stack = configuration.parent.parent / "modules" / "stack" / "main.tf"
    text = stack.read_text()
    assert text.count("\n  sns_subscriptions = {\n") == 1
    stack.write_text(text.replace("\n  sns_subscriptions = {\n", EXTRA_SUBSCRIPTION, 1))

    flow = (MESSAGING + 'aws_sns_topic.this["fifo"]', FUNCTIONS.format("processor"), "triggers")
    assert flow in _flows(architecture.build_graph(configuration, contract))
    assert architecture.diagram(configuration, contract) != committed.read_text()
    arguments = ["--modules", str(configuration.parent.parent / "modules"), "--diagram", str(committed)]
    arguments += ["--env-root", str(configuration), "--contract", str(contract)]
    assert main(arguments) == 1
    assert "stale architecture diagram" in capsys.readouterr().err
    assert main([*arguments, "--write"]) == 0
    assert main(arguments) == 0


def test_an_edited_diagram_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = tmp_path / "architecture.svg"
    edited.write_text(architecture.DIAGRAM.read_text().replace("SQS queue", "SQS  queue", 1))
    assert architecture.refresh(edited)
    assert main(["--diagram", str(edited)]) == 1
    assert "stale architecture diagram" in capsys.readouterr().err
    assert not architecture.refresh(architecture.DIAGRAM)
