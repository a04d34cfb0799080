"""tooling.docs.drawing: boxes in layers by their longest path from a start, arrows that go back or
skip a layer in lanes under the boxes, and the same graph drawn to the same bytes."""

from __future__ import annotations

import re

from tooling.docs.drawing import Edge, Graph, Node, layout, render


def _graph() -> Graph:
    # callers -> api -> table -> worker -> table (a loop), and callers -> table (skips a layer).
    nodes = {
        "callers": Node("callers", "callers", "clients"),
        "api": Node("api", "aws_lambda_function", "api", ["app.app"]),
        "table": Node("table", "aws_dynamodb_table", "events"),
        "worker": Node("worker", "aws_lambda_function", "worker"),
    }
    edges = [
        Edge("callers", "api", "triggers"),
        Edge("api", "table", "calls"),
        Edge("table", "worker", "triggers"),
        Edge("worker", "table", "calls"),
        Edge("callers", "table", "calls"),
    ]
    return Graph(nodes, edges, ["a side note"])


def test_boxes_sit_in_layers_by_their_longest_path_and_a_loop_is_broken_where_it_flows_back() -> None:
    boxes, back, _, _ = layout(_graph())

    assert {box.node.id: box.layer for box in boxes} == {"callers": 0, "api": 1, "table": 2, "worker": 3}
    assert back == {Edge("worker", "table", "calls")}
    xs = [box.x for box in sorted(boxes, key=lambda b: b.layer)]
    assert xs == sorted(xs)
    assert len(set(xs)) == 4


def test_an_arrow_back_or_past_a_layer_runs_in_a_lane_under_the_boxes() -> None:
    graph = _graph()
    svg = render(graph, "a test")
    boxes, _, _, bottom = layout(graph)

    paths = re.findall(r'<path d="(M[^"]+)" fill="none"', svg)
    assert len(paths) == len(graph.edges)
    lanes = [p for p in paths if " C" not in p]  # straight segments: routed; curves: to the next layer
    assert len(lanes) == 2  # worker -> table (back) and callers -> table (skips api's layer)
    for path in lanes:
        ys = [int(y) for y in re.findall(r"[ML]\d+,(\d+)", path)]
        assert max(ys) > bottom  # under every box
    assert all(f">{box.node.name}<" in svg for box in boxes)
    assert "Also: a side note" in svg


def test_the_same_graph_draws_the_same_bytes() -> None:
    assert render(_graph(), "a test") == render(_graph(), "a test")
