"""The Lambda duration model: how long one invocation runs, and what it bills, at a function's memory.

Duration of one invocation::

    duration_ms = cpu_ms * max(1, 1769 / memory_mb) + sum(calls[op] * latency_ms[op])
    billed_ms   = ceil(duration_ms)                      # Lambda bills 1 ms increments per invocation

``cpu_ms`` is the bench's median CPU time of the handler at that batch size (interpolated between the
measured batch sizes), on the assumption that a full Lambda vCPU is as fast as the bench machine's core
and that arm64 and x86_64 run this Python equally fast: the architecture changes the price, not the
duration. Below 1,769 MB a function has that fraction of a vCPU, so its CPU time stretches. Network time
does not stretch: every AWS call the bench counted adds its assumed in-region latency. A cold start adds
the init CPU and the first call's extra CPU (lazy imports), scaled the same way, billed since August 2025;
with SnapStart (api only) the init is replaced by a restore charge and a cache charge (``lines``).

The lowest module of the cost model: ``usage``, the line builders, ``model`` and ``capacity`` build on it,
and its ``ModelError`` is the one error of them all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tooling.cost.measurements import FunctionBench


class ModelError(Exception):
    """The inputs cannot be combined (a missing latency, an unsupported schedule, an oversized item)."""


def cpu_scale(memory_mb: float, full_vcpu_mb: float) -> float:
    """How much longer CPU work takes with less than one full vCPU."""
    return max(1.0, full_vcpu_mb / memory_mb)


def modeled_duration_ms(
    cpu_ms: float, calls: Mapping[str, float], memory_mb: float, latency_ms: Mapping[str, float], full_vcpu_mb: float
) -> float:
    unknown = sorted(op for op, n in calls.items() if n > 0 and op not in latency_ms)
    if unknown:
        raise ModelError(f"no assumed latency for {', '.join(unknown)} (add it to assumptions.latency_ms)")
    network = sum(n * float(latency_ms[op]) for op, n in calls.items() if n > 0)
    return cpu_ms * cpu_scale(memory_mb, full_vcpu_mb) + network


def billed_ms(duration_ms: float) -> int:
    """Lambda rounds each invocation up to the next millisecond."""
    return max(1, math.ceil(round(duration_ms, 6)))


@dataclass(frozen=True)
class Invocation:
    records: float
    cpu_ms: float
    duration_ms: float
    billed_ms: int
    calls: Mapping[str, float]
    read_units: float
    write_units: float
    log_bytes: float


class FunctionModel:
    """One function's invocations at its configured memory."""

    def __init__(
        self, bench: FunctionBench, memory_mb: int, latency_ms: Mapping[str, float], full_vcpu_mb: float
    ) -> None:
        self.bench = bench
        self.memory_mb = memory_mb
        self.latency_ms = latency_ms
        self.full_vcpu_mb = full_vcpu_mb

    @property
    def memory_gb(self) -> float:
        return self.memory_mb / 1024

    def invocation(
        self,
        records: float,
        extra_calls: Mapping[str, float] | None = None,
        extra_read_units: float = 0.0,
        extra_write_units: float = 0.0,
    ) -> Invocation:
        point = self.bench.at(records)
        calls = dict(point.calls)
        for op, n in (extra_calls or {}).items():
            calls[op] = calls.get(op, 0.0) + n
        duration = modeled_duration_ms(point.cpu_ms, calls, self.memory_mb, self.latency_ms, self.full_vcpu_mb)
        return Invocation(
            records=records,
            cpu_ms=point.cpu_ms,
            duration_ms=duration,
            billed_ms=billed_ms(duration),
            calls=calls,
            read_units=point.read_units + extra_read_units,
            write_units=point.write_units + extra_write_units,
            log_bytes=point.log_bytes,
        )

    def cold_start_ms(self) -> float:
        """Extra duration of a cold start: init, plus the first call's CPU beyond a warm one's."""
        warm = self.bench.at(1).cpu_ms
        extra_cpu = self.bench.init_cpu_ms + max(0.0, self.bench.first_cpu_ms - warm)
        return extra_cpu * cpu_scale(self.memory_mb, self.full_vcpu_mb)
