"""Smoke test of ``python -m bench.attack``: a few scenarios at tiny sizes print a table whose
rows name what the attacker got and whose numbers parse. No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^(?P<scenario>[\w-]+)\s+(?P<outcome>.+?)\s+(?P<median>\d+\.\d)\s+"
                 r"(?P<p99>\d+\.\d)\s+(?P<ratio>\d+\.\d\d|-)\s+(?P<max>\d+\.\d)\s+(?P<step>\d+\.\d)\s+"
                 r"(?P<desyncs>\d+)\s+(?P<running>yes|NO)$")


def test_attack_prints_a_row_per_scenario() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.attack", "--ticks", "20", "--idle", "20",
         "--only", "baseline,chat-flood,idle-hellos"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"exit status {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    rows = {m["scenario"]: m for m in map(ROW.match, proc.stdout.splitlines()) if m}
    assert set(rows) == {"baseline", "chat-flood", "idle-hellos"}, proc.stdout
    for row in rows.values():
        assert 0 < float(row["median"]) <= float(row["p99"]) <= float(row["max"])
        assert row["desyncs"] == "0" and row["running"] == "yes"
    assert rows["baseline"]["ratio"] == "1.00"
    assert re.fullmatch(r"kicked/1008 x\d+", rows["chat-flood"]["outcome"]), proc.stdout
    # The default cap is 8 connections from one address; the two bots hold two of them (they
    # play 22 ticks, over a second: the 20 sockets are open long before they leave).
    assert rows["idle-hellos"]["outcome"] == "20 opened: 6 admitted, 14 refused (1013)"
    assert "note:" not in proc.stdout
