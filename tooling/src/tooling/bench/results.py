"""The bench's results: the printed table, the results document, the exit status, the atomic write."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tooling.bench.sections import Row, SectionResult


def render_table(results: Mapping[str, SectionResult | str]) -> str:
    header = Row("metric", "value", "budget", None)
    lines: list[tuple[str, str, str, str]] = [(header.metric, header.value, header.budget, "ok")]
    for name, result in results.items():
        if isinstance(result, str):
            first = result.splitlines()[0] if result else "failed"
            lines.append((f"{name}: ERROR", first, "-", "ERROR"))
            continue
        for row in result.rows:
            verdict = "-" if row.ok is None else ("yes" if row.ok else "NO")
            lines.append((row.metric, row.value, row.budget, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = []
    for idx, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if idx == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def results_document(results: Mapping[str, SectionResult | str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "meta": {
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
        }
    }
    for name, result in results.items():
        doc[name] = {"error": result} if isinstance(result, str) else result.data
    return doc


def exit_status(results: Mapping[str, SectionResult | str]) -> int:
    if any(isinstance(r, str) for r in results.values()):
        return 2
    if any(r.ok is False for r in results.values() if isinstance(r, SectionResult)):
        return 1
    return 0


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Atomic write, so a reader never sees a half-written results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(doc, handle, indent=2, sort_keys=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
