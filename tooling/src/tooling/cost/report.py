"""Rendering a cost report and its capacity table: plain text for the terminal, Markdown, and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tooling.cost.capacity import STACK, SUBJECT, CapacityReport
from tooling.cost.data import CostData
from tooling.cost.model import CostReport


def number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def usd(value: float) -> str:
    if 0 < abs(value) < 0.01:
        return f"{value:.4f}"
    return f"{value:,.2f}"


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _md_table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    header, *body = rows
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(cell(c) for c in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _cost_rows(report: CostReport, with_basis: bool) -> list[list[str]]:
    other = f"{report.other_architecture} USD/1M"
    header = ["line", "per event", "price", "USD/1M events", other]
    if with_basis:
        header.append("basis")
    rows = [header]
    for line in report.lines:
        row = [
            f"{line.service}: {line.item}" + (" (fixed)" if line.fixed else ""),
            number(line.quantity),
            line.price_text,
            usd(line.usd_per_million),
            usd(line.other_usd_per_million) if line.other_unit_price is not None else "",
        ]
        if with_basis:
            row.append(line.basis)
        rows.append(row)
    total = ["total", "", "", usd(report.total), usd(report.other_total)]
    rows.append([*total, ""] if with_basis else total)
    return rows


def _headline(report: CostReport) -> str:
    sizing = report.sizing
    memory = sorted({f.memory_size for f in sizing.functions.values()})
    return (
        f"{report.env}: {sizing.architecture}, {sizing.runtime}, memory {'/'.join(str(m) for m in memory)} MB, "
        f"stream {sizing.stream_mode.lower().replace('_', '-')}, {report.monthly_events:,.0f} events a month"
    )


def _summary(report: CostReport) -> list[str]:
    dominant = report.dominant
    share = dominant.usd_per_million / report.total if report.total else 0.0
    return [
        f"Total: {usd(report.total)} USD per million accepted events ({report.other_architecture}: "
        f"{usd(report.other_total)}); {usd(report.monthly_total)} USD a month at {report.monthly_events:,.0f} events.",
        f"Dominant line: {dominant.service}: {dominant.item}, {usd(dominant.usd_per_million)} USD per million "
        f"({share:.0%}).",
        f"To cut it: {report.dominant_lever}",
    ]


def _capacity_rows(capacity: CapacityReport, with_sources: bool) -> list[list[str]]:
    header = ["stage", "scope", "events/s", "basis", "lifted by"]
    if with_sources:
        header.append("source")
    rows = [header]
    for stage in capacity.stages:
        row = [stage.name, stage.scope, f"{stage.events_per_second:,.0f}", stage.basis, stage.lever]
        if with_sources:
            row.append("; ".join(stage.sources) or "duration model")
        rows.append(row)
    return rows


def _bindings(capacity: CapacityReport) -> list[str]:
    stack, subject = capacity.binding(STACK), capacity.binding(SUBJECT)
    return [
        f"Binds first for the whole stack: {stack.name}, {stack.events_per_second:,.0f} events/s "
        f"(lifted by: {stack.lever}).",
        f"Binds first for one subject: {subject.name}, {subject.events_per_second:,.0f} events/s "
        f"(lifted by: {subject.lever}).",
    ]


def _doubtful(data: CostData, report: CostReport) -> list[str]:
    used = [data.prices[line.price_key] for line in report.lines]
    unverified = sorted({p.key for p in used if p.evidence == "unverified"})
    secondary = sorted({p.key for p in used if p.evidence == "secondary"})
    out = []
    if unverified:
        out.append(f"Unverified prices (check them): {', '.join(unverified)}.")
    if secondary:
        out.append(f"Prices from secondary sources: {len(secondary)} of {len({p.key for p in used})}.")
    return out


def render_text(report: CostReport, capacity: CapacityReport, data: CostData) -> str:
    parts = [
        f"== Cost per million accepted events, {_headline(report)} ==",
        _table(_cost_rows(report, with_basis=True), right=(1, 3, 4)),
        "",
        *_summary(report),
        *[f"Note: {note}" for note in report.notes],
        *_doubtful(data, report),
        "",
        f"== Capacity on paper, {report.env} ==",
        _table(_capacity_rows(capacity, with_sources=False), right=(2,)),
        "",
        *_bindings(capacity),
    ]
    return "\n".join(parts) + "\n"


def render_markdown(report: CostReport, capacity: CapacityReport, data: CostData, level: int = 3) -> str:
    hashes = "#" * level
    parts = [
        f"{hashes} {report.env}: cost per million accepted events",
        "",
        _headline(report) + ".",
        "",
        _md_table(_cost_rows(report, with_basis=True), right=(1, 3, 4)),
        "",
        *[f"- {line}" for line in _summary(report)],
        *[f"- Note: {note}" for note in report.notes],
        *[f"- {line}" for line in _doubtful(data, report)],
        "",
        f"{hashes} {report.env}: capacity on paper",
        "",
        _md_table(_capacity_rows(capacity, with_sources=True), right=(2,)),
        "",
        *[f"- {line}" for line in _bindings(capacity)],
        "",
    ]
    return "\n".join(parts)


def document(report: CostReport, capacity: CapacityReport, data: CostData, bench_source: str) -> dict[str, Any]:
    dominant = report.dominant
    prices_used = sorted({line.price_key for line in report.lines})
    env = data.assumptions.environment(report.env)
    return {
        "environment": report.env,
        "architecture": report.architecture,
        "other_architecture": report.other_architecture,
        "monthly_events": report.monthly_events,
        "inputs": {"bench": bench_source, "data": str(data.path)},
        "sizing": report.sizing.to_dict(),
        "assumptions": asdict(env),
        "stream_records_per_event": report.stream_records_per_event,
        "lines": [
            {
                "id": line.id,
                "service": line.service,
                "item": line.item,
                "quantity_per_event": line.quantity,
                "unit": line.unit,
                "price_key": line.price_key,
                "price": line.price_text,
                "unit_price_usd": line.unit_price,
                "usd_per_million": line.usd_per_million,
                "other_architecture_usd_per_million": line.other_usd_per_million,
                "fixed_monthly": line.fixed,
                "basis": line.basis,
            }
            for line in report.lines
        ],
        "totals": {
            "usd_per_million": report.total,
            "other_architecture_usd_per_million": report.other_total,
            "monthly_usd": report.monthly_total,
        },
        "dominant": {
            "id": dominant.id,
            "item": f"{dominant.service}: {dominant.item}",
            "usd_per_million": dominant.usd_per_million,
            "share": dominant.usd_per_million / report.total if report.total else 0.0,
            "lever": report.dominant_lever,
        },
        "functions": {name: asdict(u) for name, u in report.usages.items()},
        "capacity": {
            "stages": [asdict(stage) for stage in capacity.stages],
            "binding": {scope: capacity.binding(scope).name for scope in (STACK, SUBJECT)},
        },
        "notes": list(report.notes),
        "prices_used": [asdict(data.prices[key]) for key in prices_used],
        "quotas": [asdict(quota) for quota in data.quotas.all()],
    }
