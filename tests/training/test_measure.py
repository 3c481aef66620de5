"""The one measurement helper every benchmark uses: what it times, and what memory it reports."""

from __future__ import annotations

import os
import resource
import sys
import time

import pytest

from training import measure


def test_warm_up_calls_are_made_but_not_timed():
    calls = []

    def call():
        calls.append(None)
        time.sleep(0.02 if len(calls) <= 2 else 0.0)  # only the two warm-up calls are slow

    timing = measure.time_calls(call, repeats=5, warmup=2)
    assert len(calls) == 7
    assert timing.median_ms < 10 and timing.p95_ms < 10


def test_median_and_p95_are_of_wall_time_and_cpu_time_is_the_process_own():
    timing = measure.time_calls(lambda: time.sleep(0.01), repeats=5, warmup=0)
    assert 9 <= timing.median_ms <= timing.p95_ms
    assert timing.median_cpu_ms < timing.median_ms  # sleeping costs wall time, not CPU time
    assert list(timing.to_dict()) == ["median_ms", "p95_ms", "median_cpu_ms"]


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB and /proc are Linux's")
def test_peak_memory_is_ru_maxrss_and_procs_high_water_mark():
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert measure.peak_rss_bytes() >= kib * 1024
    assert measure.peak_memory_mb() == pytest.approx(measure.peak_rss_bytes() / 2**20)
    assert measure.process_peak_mb(os.getpid()) == pytest.approx(measure.peak_memory_mb(), rel=0.05)
