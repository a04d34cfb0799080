"""Waiting until the pipeline is idle, with every fault cleared.

**Settled**, in two stages, with every fault cleared and the schedules fired every few seconds
(``POST /_localcloud/tick``, where the endpoint exists):

1. *the work is done*: every subject's ordered lanes are at its head, no event of the run in
   the ``pending`` index still lacks its processing or notification (the run's items are read
   by key: an item is in the sparse index while it has a ``pending_bucket``), the standard and
   FIFO queues hold nothing (not even in flight: a message that failed comes back after the
   visibility timeout and could still end in a DLQ), and the poison message has reached the DLQ;
2. *the index is clean*: finished entries leave the ``pending`` index only when the reconciler
   runs over them (a subject's head always; see ``invariants``), and it only looks at entries
   older than its cut-off, ``reconcile_after_seconds`` (read from the reconciler's environment;
   300 s unless the environment sets it, at least 60). The wait goes on while the last entry's
   cut-off falls inside the deadline; otherwise what is left is reported as left to the
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from tooling.chaos.monitor import LaneMonitor
from tooling.chaos.queues import WORK_QUEUES, queue_depth
from tooling.events_table import HEAD_SK, batch_get, event_key, item_key, subject_pk


def pending_entries(dynamodb: Any, table: str, accepted: Mapping[str, int]) -> list[dict[str, Any]]:
    """The run's heads and events that are in the pending index (plain values).

    Read by key rather than from the index: an item is in the sparse index exactly while it has a
    ``pending_bucket``, and a BatchGetItem of the run's own items is cheap everywhere, where an
    index Query makes moto sort every item of the table (the local cloud's own hot spot).
    """
    keys = [
        key
        for subject, count in accepted.items()
        for key in (
            item_key(subject_pk(subject), HEAD_SK),
            *(event_key(subject, position) for position in range(1, count + 1)),
        )
    ]
    items = batch_get(
        dynamodb,
        table,
        keys,
        projection="pk, sk, entity, subject, #status, #type, notified_at, pending_bucket, received_at",
        names={"#status": "status", "#type": "type"},
    )
    return [item for item in items if "pending_bucket" in item]


def unfinished(entry: dict[str, Any], behind: Mapping[str, Any]) -> bool:
    """Whether a pending entry still has work to be done (else only the reconciler's clean-up is due)."""
    if entry.get("entity") == "event":
        alert = str(entry.get("type", "")).startswith("alert.")
        return entry.get("status") != "processed" or (alert and "notified_at" not in entry)
    return str(entry.get("subject")) in behind


def reconcile_after_seconds(target: Any) -> int | None:
    """The reconciler's cut-off, from its function's environment; None if it cannot be read."""
    try:
        name = target.outputs["function_names"]["reconciler"]
        configuration = target.client("lambda").get_function_configuration(FunctionName=name)
        return int(configuration["Environment"]["Variables"]["RECONCILE_AFTER_SECONDS"])
    except Exception:  # another stack version, or no permission: settle without the clean-up stage
        return None


def rfc3339(moment: float) -> str:
    """The table's canonical form (fixed-width UTC), so strings compare as times."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def tick(session: requests.Session, endpoint: str) -> bool:
    """Fire the local cloud's schedules now; False where the target has no such endpoint."""
    if not endpoint:
        return False
    try:
        response = session.post(f"{endpoint.rstrip('/')}/_localcloud/tick", timeout=120)
    except requests.RequestException:
        return False
    return response.status_code == 200


@dataclass
class SettleResult:
    settled: bool  # both stages done
    work_done: bool
    seconds: float
    work_seconds: float | None  # when the first stage was done, from the start of settling
    ticks: int
    tick_available: bool
    reconcile_after_seconds: int | None
    reconciled_before: str | None  # cut-off of the last reconciler run fired (see invariants)
    still_due: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "settled": self.settled,
            "work_done": self.work_done,
            "seconds": round(self.seconds, 1),
            "work_seconds": None if self.work_seconds is None else round(self.work_seconds, 1),
            "ticks": self.ticks,
            "tick_available": self.tick_available,
            "reconcile_after_seconds": self.reconcile_after_seconds,
            "reconciled_before": self.reconciled_before,
            "still_due": self.still_due,
        }


def wait_until_settled(
    target: Any,
    monitor: LaneMonitor,
    poison_baseline: int | None,
    deadline_seconds: float,
    tick_every: float = 5.0,
    report: Callable[[str], None] = print,
) -> SettleResult:
    """Poll until the pipeline is idle and the index clean (see the module docstring) or the deadline passes."""
    outputs = target.outputs
    sqs, dynamodb = target.client("sqs"), target.client("dynamodb")
    reconcile_after = reconcile_after_seconds(target)
    started = time.monotonic()
    deadline = time.time() + deadline_seconds
    endpoint = outputs.get("aws_endpoint_url") or ""
    ticks = 0
    tick_available = bool(endpoint)
    last_tick = float("-inf")
    reconciled_before: str | None = None
    last_report = started
    work_seconds: float | None = None
    with requests.Session() as session:
        while True:
            if tick_available and time.monotonic() - last_tick >= tick_every:
                fired_at = time.time()
                tick_available = tick(session, endpoint)
                if tick_available:
                    ticks += 1
                    last_tick = time.monotonic()
                    if reconcile_after is not None:
                        reconciled_before = rfc3339(fired_at - reconcile_after)
            behind = monitor.behind()
            work = {
                "subjects_behind": len(behind),
                **{f"{name}_queue_messages": queue_depth(sqs, outputs[o]) for name, o in WORK_QUEUES.items()},
            }
            # Every event of the run is read by key: only worth it once the cheap checks pass.
            entries = (
                []
                if any(work.values())
                else pending_entries(dynamodb, outputs["events_table_name"], monitor.accepted())
            )
            work["unfinished_pending_entries"] = sum(1 for e in entries if unfinished(e, behind))
            if poison_baseline is not None:
                work["poison_not_dead_lettered"] = int(queue_depth(sqs, outputs["standard_dlq_url"]) <= poison_baseline)
            cleanup = [e for e in entries if not unfinished(e, behind)]
            due = {**work, "finished_pending_entries": len(cleanup)}
            elapsed = time.monotonic() - started
            work_done = not any(work.values())
            if work_done and work_seconds is None:
                work_seconds = elapsed
            stop = not any(due.values()) or time.time() >= deadline
            if work_done and cleanup and not stop:
                # Worth waiting only if the reconciler's cut-off passes the newest entry before the deadline.
                newest = max(epoch_of(str(e["received_at"])) for e in cleanup)
                stop = not tick_available or reconcile_after is None
                stop = stop or newest + (reconcile_after or 0) + 2 * tick_every > deadline
            if stop:
                return SettleResult(
                    settled=not any(due.values()),
                    work_done=work_done,
                    seconds=elapsed,
                    work_seconds=work_seconds,
                    ticks=ticks,
                    tick_available=tick_available,
                    reconcile_after_seconds=reconcile_after,
                    reconciled_before=reconciled_before,
                    still_due=due,
                )
            if time.monotonic() - last_report >= 15:
                report(f"settling, {elapsed:.0f}s: still due {', '.join(f'{k}={v}' for k, v in due.items() if v)}")
                last_report = time.monotonic()
            time.sleep(1.0)


def epoch_of(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()
