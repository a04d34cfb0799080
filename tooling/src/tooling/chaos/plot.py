"""``chaos.png``: accepted and settled events over the run, the fault windows shaded, the answers below.

Top: the cumulative count of events accepted (their ``received_at``) and settled (see
``report``), against seconds since the load started; each fault window is a shaded band
labelled with its name, the poison message a dashed line. Bottom: the answers of every attempt
per second, stacked by status, so a window's 503s line up with the band that caused them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a build machine

import matplotlib.pyplot as plt

from tooling.chaos.invariants import Answer
from tooling.chaos.report import SettlePoint

STATUS_COLOURS = {
    "201": "#2f7d32",
    "200": "#81c784",
    "429": "#f9a825",
    "503": "#ef6c00",
    "abandoned": "#9e9e9e",
    "transport-error": "#b71c1c",
}
WINDOW_COLOURS = ("#90caf9", "#ce93d8", "#ffcc80", "#a5d6a7", "#ef9a9a", "#b0bec5", "#fff59d", "#80deea")


def _label(answer: Answer) -> str:
    if answer.status is not None:
        return str(answer.status)
    return "abandoned" if answer.abandoned else "transport-error"


def draw(
    path: Path,
    started: float,
    answers: Sequence[Answer],
    points: Sequence[SettlePoint],
    windows: Sequence[dict[str, Any]],
    title: str,
) -> None:
    """Write the figure to ``path``; ``started`` is the epoch time the load began (x = 0)."""
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(12, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}, layout="constrained"
    )
    accepted = sorted(p.accepted_at - started for p in points)
    settled = sorted(p.settled_at - started for p in points if p.settled_at is not None)
    top.step(accepted, range(1, len(accepted) + 1), where="post", label=f"accepted ({len(accepted)})", color="#1565c0")
    top.step(settled, range(1, len(settled) + 1), where="post", label=f"settled ({len(settled)})", color="#2e7d32")
    for index, window in enumerate(w for w in windows if w.get("opened_s") is not None):
        opened, closed = window["opened_s"], window["closed_s"] or window["opened_s"]
        if window.get("poison"):
            for axis in (top, bottom):
                axis.axvline(opened, color="#6a1b9a", linestyle="--", linewidth=1)
            top.annotate("poison message", (opened, 0.02), xycoords=("data", "axes fraction"), rotation=90, fontsize=8)
            continue
        colour = WINDOW_COLOURS[index % len(WINDOW_COLOURS)]
        for axis in (top, bottom):
            axis.axvspan(opened, closed, color=colour, alpha=0.35, linewidth=0)
        # Staggered, so that the names of windows opening close together stay readable.
        top.annotate(
            window["name"],
            (opened, 0.98 - 0.3 * (index % 3)),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            fontsize=8,
        )
    top.set_ylabel("events")
    top.set_title(title)
    top.legend(loc="lower right")
    top.grid(alpha=0.3)

    per_second: dict[str, Counter[int]] = {}
    for answer in answers:
        per_second.setdefault(_label(answer), Counter())[int(answer.started - started)] += 1
    end = max((int(a.started - started) for a in answers), default=0) + 1
    seconds = list(range(end))
    bottoms = [0] * end
    for label in sorted(per_second, key=lambda name: (name not in STATUS_COLOURS, name)):
        counts = [per_second[label].get(second, 0) for second in seconds]
        bottom.bar(
            seconds,
            counts,
            width=1.0,
            align="edge",
            bottom=bottoms,
            label=label,
            color=STATUS_COLOURS.get(label, "#455a64"),
        )
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    bottom.set_ylabel("answers / s")
    bottom.set_xlabel("seconds since the load started")
    bottom.legend(loc="upper right", ncols=min(len(per_second), 6), fontsize=8)
    bottom.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
