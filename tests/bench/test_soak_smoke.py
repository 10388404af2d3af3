"""Smoke test of ``python -m bench.soak``: a few seconds of bots joining and leaving print a
memory time series and totals whose numbers parse. No timing or size is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = re.compile(r"^\s*(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+([\d,]+)\s+(\d+)\s+(\d+)\s+"
                    r"(\d+)\s+(\d+)\s+(\d+)$")


def test_soak_prints_samples_and_totals() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--seconds", "3", "--sample", "1",
         "--max-bots", "3", "--min-ticks", "5", "--max-ticks", "15"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"exit status {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out = proc.stdout
    assert "per-address cap: OFF" in out
    samples = [m.groups() for m in map(SAMPLE.match, out.splitlines()) if m]
    assert len(samples) >= 3, out
    times = [float(s[0]) for s in samples]
    assert times == sorted(times) and times[0] == 0.0
    assert all(float(s[1]) > 0 for s in samples)  # VmRSS in MiB
    ticks = [int(s[6]) for s in samples]
    assert ticks == sorted(ticks) and ticks[-1] > 0
    totals = re.search(r"totals: bots started (\d+), joins (\d+), leaves (\d+), "
                       r"failures (\d+), desyncs (\d+)", out)
    assert totals, out
    started, joins, leaves, failures, desyncs = map(int, totals.groups())
    assert started >= 2 and joins == leaves == started  # the long-lived bot and at least one
    assert failures == 0 and desyncs == 0
    server = re.search(r"server: ticks (\d+), connections (\d+), drops (\d+), kicks (\d+)", out)
    assert server and int(server[1]) > 0 and int(server[2]) == started
    assert server[3] == "0" and server[4] == "0"
    long = re.search(r"long-lived bot \(a process of its own\): (\d+) ticks, 0 desyncs, "
                     r"tick interval median (\d+\.\d) ms, p99 (\d+\.\d) ms", out)
    assert long and int(long[1]) > 0 and 0 < float(long[2]) <= float(long[3]), out
