"""The lane monitor: when each subject's ordered lanes moved, sampled from the table during the run.

**Monitor.** The table records when an event was accepted (``received_at``), processed
(``processed_at``) and notified (``notified_at``), but not when it was sequenced or counted: the
ordered lanes keep only a per-subject cursor (``last_sequence``, ``counted_through``). From the
start of the load, a monitor thread reads every subject's head and both lane items (their keys and
cursors alone) with one consistent BatchGetItem per 100 keys every ``period`` seconds (one: the
reads share the local cloud's one interpreter with the run they measure, and sampling four times a
second cost it a tenth of its time) and keeps each change of a cursor with the time it was first seen; "position
p sequenced at" is then the first sample whose cursor reached p. The settle latency of an event
is the latest of its four lanes, so it is exact for the processor and notifier and overstated by
at most one period for the other two. BatchGetItem is not an operation any fault rule names, so
the monitor is never faulted.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tooling.events_table import ANALYTICS_SK, HEAD_SK, SEQUENCER_SK, batch_get, item_key, subject_pk

# Only the keys and the cursors: the lane items also hold counts by type, which would be read,
# serialized and parsed every period for nothing.
CURSOR_NAMES = {
    "#pk": "pk",
    "#sk": "sk",
    "#accepted": "accepted",
    "#sequenced": "last_sequence",
    "#counted": "counted_through",
}
CURSORS = ", ".join(CURSOR_NAMES)


@dataclass
class LaneSamples:
    """One subject's cursors as they changed: parallel lists of (time, value), times ascending."""

    times: dict[str, list[float]] = field(default_factory=lambda: {"accepted": [], "sequencer": [], "analytics": []})
    values: dict[str, list[int]] = field(default_factory=lambda: {"accepted": [], "sequencer": [], "analytics": []})

    def record(self, lane: str, at: float, value: int) -> None:
        # Cursors only move forward: a lower value is an older read that arrived late.
        values = self.values[lane]
        if not values or value > values[-1]:
            self.times[lane].append(max(at, self.times[lane][-1]) if values else at)
            values.append(value)

    def latest(self, lane: str) -> int:
        values = self.values[lane]
        return values[-1] if values else 0

    def reached(self, lane: str, position: int) -> float | None:
        """When the lane's cursor was first seen at ``position`` or beyond (cursors only move forward)."""
        values = self.values[lane]
        # Cursors are monotonic, so the first sample at or past the position is found by bisection.
        index = bisect.bisect_left(values, position)
        return self.times[lane][index] if index < len(values) else None


class LaneMonitor:
    """Samples every subject's head and lane cursors in a thread until stopped."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        subjects: Sequence[str],
        period: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._period = period
        self._clock = clock
        self._keys = [
            item_key(subject_pk(subject), sk) for subject in subjects for sk in (HEAD_SK, SEQUENCER_SK, ANALYTICS_SK)
        ]
        self.samples: dict[str, LaneSamples] = {subject: LaneSamples() for subject in subjects}
        self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def sample(self) -> None:
        items = batch_get(self._db, self._table, self._keys, CURSORS, CURSOR_NAMES)
        at = self._clock()
        with self._lock:
            for item in items:
                samples = self.samples.get(str(item.get("pk", "")).removeprefix("SUBJECT#"))
                if samples is None:
                    continue
                if item["sk"] == HEAD_SK:
                    samples.record("accepted", at, int(item.get("accepted", 0)))
                elif item["sk"] == SEQUENCER_SK:
                    samples.record("sequencer", at, int(item.get("last_sequence", 0)))
                elif item["sk"] == ANALYTICS_SK:
                    samples.record("analytics", at, int(item.get("counted_through", 0)))

    def accepted(self) -> dict[str, int]:
        """Each subject's head, as last seen."""
        with self._lock:
            return {subject: samples.latest("accepted") for subject, samples in self.samples.items()}

    def behind(self) -> dict[str, tuple[int, int, int]]:
        """Subjects whose ordered lanes are not at the head: (accepted, sequenced, counted)."""
        with self._lock:
            state = {
                s: (x.latest("accepted"), x.latest("sequencer"), x.latest("analytics")) for s, x in self.samples.items()
            }
        return {s: v for s, v in state.items() if not v[0] == v[1] == v[2]}

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a failed sample is a gap in the curve, not a failed run
                self.errors += 1
            self._stop.wait(self._period)
