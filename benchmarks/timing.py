"""Timing shared by the benchmarks: medians of interleaved repeats.

    >>> med = median_times({"scan": lambda: sum(range(1000)), "noop": lambda: None}, repeats=3)
    >>> sorted(med)
    ['noop', 'scan']
"""
from __future__ import annotations

import statistics
import time


def median_times(variants: dict, repeats: int) -> dict[str, float]:
    """Median seconds per variant; repeats interleave the variants so that load from other
    processes on the machine hits them alike and the ratios between them stay meaningful."""
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}
