"""Timing: median seconds per call over repeats, each repeat long enough to time well.

No timing is ever asserted anywhere: these numbers are for reading, not for tests.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Timing", "machine_info", "measure"]

MAX_LOOPS = 1 << 22


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds per call: the median over repeats, every repeat's value, and the counts."""

    median: float
    times: tuple[float, ...]
    loops: int  # calls per repeat
    calls: int  # calls made in all, calibration included
    result: Any  # what the last call returned


def _run(fn: Callable[..., Any], args: tuple[Any, ...], loops: int) -> tuple[float, Any]:
    clock = time.perf_counter
    if loops == 1:
        t0 = clock()
        result = fn(*args)
        return clock() - t0, result
    it = range(loops)
    t0 = clock()
    for _ in it:
        result = fn(*args)
    return clock() - t0, result


def measure(fn: Callable[..., Any], args: tuple[Any, ...] = (), *, repeat: int,
            min_time: float) -> Timing:
    """Time ``fn(*args)``: ``repeat`` repeats of ``loops`` calls each, where ``loops`` is the
    smallest count (found by one calibration run) that takes at least ``min_time`` seconds.
    A single call already that slow is its own first repeat.
    """
    first, result = _run(fn, args, 1)
    calls = 1
    times: list[float] = []
    if first >= min_time:
        loops = 1
        times.append(first)
    else:
        loops = min(MAX_LOOPS, max(2, math.ceil(min_time / max(first, 1e-7))))
        # One more calibration: the first call is often slower (caches, JIT, translation).
        t, result = _run(fn, args, loops)
        calls += loops
        loops = min(MAX_LOOPS, max(1, math.ceil(loops * min_time / max(t, 1e-9))))
    while len(times) < repeat:
        t, result = _run(fn, args, loops)
        times.append(t / loops)
        calls += loops
    return Timing(statistics.median(times), tuple(times), loops, calls, result)


def _cpu_model() -> str:
    """The CPU's model name, with family/model/stepping and clock where Linux tells them."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = next((fields[k] for k in ("model name", "Model", "uarch", "cpu model")
                 if fields.get(k)), "") or platform.processor() or platform.machine()
    extra = []
    if "cpu family" in fields:
        extra.append(f"family {fields['cpu family']} model {fields.get('model', '?')} "
                     f"stepping {fields.get('stepping', '?')}")
    if "cpu MHz" in fields:
        extra.append(f"{float(fields['cpu MHz']):.0f} MHz")
    return f"{name} ({', '.join(extra)})" if extra else name or "unknown"


def machine_info() -> dict[str, Any]:
    """What this ran on: CPU model, cores, Python, OS, and the load when asked."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_build": " ".join(platform.python_build()),
        "python_path": sys.executable,
        "platform": platform.platform(),
        "loadavg": load,
    }
