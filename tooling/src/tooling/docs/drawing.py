"""The architecture diagram drawn: a graph of boxes and arrows laid out in layers and written as SVG.

``architecture`` reads the graph from the Terraform configuration and the contract; this module
knows nothing of Terraform. The layout is layered, left to right (a box's layer is its longest
path from a start): arrows that close a loop (a consumer writing back to the table it was fed
from) or skip a layer run in lanes under the boxes, every other arrow goes straight to the next
layer. The SVG is written by hand (no graphviz on the machine or in CI) and is byte-for-byte the
same for the same graph: no timestamps, sorted iteration, integer coordinates.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

# Box title and colour by resource type (and facet).
STYLES: dict[str, tuple[str, str]] = {
    "callers": ("Callers", "#eceff1"),
    "aws_api_gateway_rest_api": ("REST API", "#f3e5f5"),
    "aws_lambda_function": ("Lambda function", "#fff3e0"),
    "aws_dynamodb_table": ("DynamoDB table", "#e3f2fd"),
    "aws_dynamodb_table/stream": ("DynamoDB stream", "#e3f2fd"),
    "aws_sns_topic": ("SNS topic", "#fce4ec"),
    "aws_sqs_queue": ("SQS queue", "#e8f5e9"),
    "aws_kinesis_stream": ("Kinesis stream", "#e0f7fa"),
    "aws_cloudwatch_event_rule": ("EventBridge schedule", "#f1f8e9"),
    "aws_scheduler_schedule": ("EventBridge schedule", "#f1f8e9"),
}
EDGE_STYLES = {
    "triggers": ("#37474f", ""),
    "calls": ("#1565c0", ""),
    "failures": ("#c62828", "5 4"),
}
EDGE_LEGEND = {
    "triggers": "delivers or invokes",
    "calls": "called by the function's code (its environment)",
    "failures": "failures, dead letters",
}


@dataclass
class Node:
    id: str
    type: str
    name: str
    details: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return STYLES.get(self.type, (self.type, ""))[0]


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    kind: str


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: list[Edge]
    notes: list[str]


# -- layout ------------------------------------------------------------------------------------------

CHAR_WIDTH = {"title": 6.6, "name": 7.2, "detail": 6.0}
LINE = 15
PAD = 10
GAP_X = 56
GAP_Y = 18
MARGIN = 24
HEADER = 44


@dataclass
class Box:
    node: Node
    layer: int
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0


def _width(node: Node) -> int:
    widths = [len(node.title) * CHAR_WIDTH["title"], len(node.name) * CHAR_WIDTH["name"]]
    widths += [len(line) * CHAR_WIDTH["detail"] for line in node.details]
    return int(max(widths) + 2 * PAD)


def _layers(graph: Graph) -> tuple[dict[str, int], set[Edge]]:
    """Each box's layer (longest path from a start), and the arrows that close loops (drawn back)."""
    successors: dict[str, list[str]] = defaultdict(list)
    incoming: dict[str, int] = defaultdict(int)
    for edge in graph.edges:
        successors[edge.source].append(edge.target)
        incoming[edge.target] += 1
    for targets in successors.values():
        targets.sort()
    starts = sorted(node for node in graph.nodes if not incoming[node])
    # Callers first: the loops are then broken where the data flows back, not at the front door.
    starts.sort(key=lambda node: node != "callers")
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str) -> None:
        state[node] = 1
        for target in successors[node]:
            if state.get(target) == 1:
                back.add((node, target))
            elif target not in state:
                visit(target)
        state[node] = 2

    for node in starts + sorted(graph.nodes):
        if node not in state:
            visit(node)
    forward = [e for e in graph.edges if (e.source, e.target) not in back]
    layer: dict[str, int] = dict.fromkeys(graph.nodes, 0)
    for _ in graph.nodes:  # longest path: at most one pass per node
        for edge in forward:
            layer[edge.target] = max(layer[edge.target], layer[edge.source] + 1)
    # A start (a schedule) sits just before the first thing it feeds, not at the far left.
    for node in starts:
        later = [layer[e.target] for e in forward if e.source == node]
        if later:
            layer[node] = min(later) - 1
    back_edges = {e for e in graph.edges if (e.source, e.target) in back}
    return layer, back_edges


def layout(graph: Graph) -> tuple[list[Box], set[Edge], int, int]:
    layer, back = _layers(graph)
    columns: dict[int, list[Box]] = defaultdict(list)
    for node_id in sorted(graph.nodes):
        node = graph.nodes[node_id]
        box = Box(node, layer[node_id])
        box.width = _width(node)
        box.height = 2 * PAD + LINE * (2 + len(node.details))
        columns[box.layer].append(box)
    # Order each column by where its feeders are (their mean position), then by name.
    position: dict[str, float] = {}
    forward = [e for e in graph.edges if e not in back]
    for index in sorted(columns):
        column = columns[index]

        def rank(box: Box) -> tuple[float, str, str]:
            feeders = [position[e.source] for e in forward if e.target == box.node.id and e.source in position]
            mean = sum(feeders) / len(feeders) if feeders else float(len(position))
            return (mean, box.node.title, box.node.name)

        column.sort(key=rank)
        for offset, box in enumerate(column):
            position[box.node.id] = offset + (index * 0.001)
    heights = {index: sum(b.height for b in column) + GAP_Y * (len(column) - 1) for index, column in columns.items()}
    tallest = max(heights.values(), default=0)
    x = MARGIN
    for index in sorted(columns):
        column = columns[index]
        width = max(box.width for box in column)
        y = HEADER + MARGIN + (tallest - heights[index]) // 2
        for box in column:
            box.x, box.y, box.width = x, y, width
            y += box.height + GAP_Y
        x += width + GAP_X
    boxes = [box for index in sorted(columns) for box in columns[index]]
    return boxes, back, x - GAP_X + MARGIN, HEADER + MARGIN + tallest


# -- SVG -----------------------------------------------------------------------------------------------


def _text(x: int, y: int, text: str, css: str, anchor: str = "start") -> str:
    return f'<text x="{x}" y="{y}" class="{css}" text-anchor="{anchor}">{html.escape(text)}</text>'


def render(graph: Graph, source: str) -> str:
    boxes, back, width, bottom = layout(graph)
    at = {box.node.id: box for box in boxes}
    # Arrows that go back, or past a layer, run in a lane under the boxes (one lane per target), so
    # that no arrow crosses a box: out of the source's right side, down, along, up, into the target's left.
    routed = [e for e in graph.edges if e in back or at[e.target].layer - at[e.source].layer > 1]
    lanes = sorted({e.target for e in routed})
    lane_y = {target: bottom + 22 + 12 * index for index, target in enumerate(lanes)}
    legend_y = bottom + 22 + 12 * len(lanes) + 18
    height = legend_y + 22 * (1 + len(graph.notes)) + MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        "<style>.title{font-size:11px;fill:#546e7a}.name{font-size:13px;font-weight:bold;fill:#263238}"
        ".detail{font-size:10px;fill:#37474f;font-family:Menlo, Consolas, monospace}"
        ".head{font-size:15px;font-weight:bold;fill:#263238}.note{font-size:11px;fill:#455a64}</style>",
        "<defs>"
        + "".join(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for kind, (colour, _) in sorted(EDGE_STYLES.items())
        )
        + "</defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        _text(MARGIN, MARGIN + 8, "Events service: how an event flows", "head"),
        _text(MARGIN, MARGIN + 26, f"Generated by make docs from {source}; do not edit.", "note"),
    ]
    for edge in graph.edges:
        a, b = at[edge.source], at[edge.target]
        colour, dash = EDGE_STYLES[edge.kind]
        if edge in routed:
            sx, sy, tx, ty = a.x + a.width, a.y + a.height // 2, b.x, b.y + b.height // 2
            out_x, in_x, y = sx + GAP_X // 4, tx - GAP_X // 4, lane_y[edge.target]
            path = f"M{sx},{sy} L{out_x},{sy} L{out_x},{y} L{in_x},{y} L{in_x},{ty} L{tx},{ty}"
        else:
            sx, sy, tx, ty = a.x + a.width, a.y + a.height // 2, b.x, b.y + b.height // 2
            middle = (sx + tx) // 2 if b.x - a.x - a.width <= GAP_X else sx + GAP_X // 2
            path = f"M{sx},{sy} C{middle},{sy} {middle},{ty} {tx},{ty}"
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.4"{dashes} '
            f'marker-end="url(#arrow-{edge.kind})"/>'
        )
    for box in boxes:
        fill = STYLES.get(box.node.type, ("", "#fafafa"))[1]
        out.append(
            f'<rect x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}" rx="6" '
            f'fill="{fill}" stroke="#90a4ae"/>'
        )
        y = box.y + PAD + 11
        out.append(_text(box.x + PAD, y, box.node.title, "title"))
        out.append(_text(box.x + PAD, y + LINE, box.node.name, "name"))
        for index, line in enumerate(box.node.details):
            out.append(_text(box.x + PAD, y + LINE * (2 + index), line, "detail"))
    x = MARGIN
    for kind, (colour, dash) in EDGE_STYLES.items():
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="M{x},{legend_y} L{x + 34},{legend_y}" stroke="{colour}" stroke-width="1.4"{dashes} '
            f'marker-end="url(#arrow-{kind})"/>'
        )
        out.append(_text(x + 42, legend_y + 4, EDGE_LEGEND[kind], "note"))
        x += 42 + int(len(EDGE_LEGEND[kind]) * 6.2) + 28
    for index, note in enumerate(graph.notes):
        out.append(_text(MARGIN, legend_y + 22 * (index + 1) + 4, "Also: " + note, "note"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
