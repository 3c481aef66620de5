"""How every benchmark measures time and memory, written once so their numbers mean the same.

It lives in ``training`` because that is the lowest floor its users share: the recsys benchmarks
(``training/recsys/scale.py``, ``serving_bench.py``, ``scale_retrain.py``), the training pipeline
and its data-parallel workers, and the site benchmarks in ``bench/`` above them. ``recsys`` has
no benchmarks and should not carry their tooling.

Two kinds of memory are measured: this process's peak resident set (``ru_maxrss``, what a
training or a benchmark cost itself), and another process's (``VmHWM`` from ``/proc``, what a
worker it started cost).
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """Peak resident memory so far, in bytes (``ru_maxrss`` is KiB on Linux, bytes on macOS):
    of this process, or with ``RUSAGE_CHILDREN`` of its largest waited-for child."""
    peak = resource.getrusage(who).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return peak_rss_bytes() / 2**20


def children_peak_mb() -> float:
    """Peak resident memory of the largest child this process has waited for, in MiB (the
    data-parallel ranks a member task started, for instance)."""
    return peak_rss_bytes(resource.RUSAGE_CHILDREN) / 2**20


def children_cpu_seconds() -> float:
    """CPU time (user + system) of the children this process has waited for, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_peak_mb(pid: int) -> float:
    """Peak resident memory (``VmHWM``) of process ``pid`` in MiB, from ``/proc``; NaN where
    the kernel does not report it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class Timing:
    """Milliseconds per call: wall-clock median and 95th percentile, and the median CPU time
    of this process. On a shared machine a call preempted by other processes counts their turns
    in its wall time, not in its CPU time (one thread, so CPU time is the call's own work)."""

    median_ms: float
    p95_ms: float
    median_cpu_ms: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def time_calls(call: Callable[[], object], repeats: int, warmup: int) -> Timing:
    """Time ``repeats`` calls of ``call`` after ``warmup`` untimed ones (caches, lazy
    initialisation and the allocator settle first, so the timed calls are the steady state)."""
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return Timing(
        median_ms=float(np.median(wall)),
        p95_ms=float(np.percentile(wall, 95)),
        median_cpu_ms=float(np.median(cpu)),
    )
