"""Run the fuzz targets and print how many examples each one ran.

    python -m tests.fuzz.counts                 # the CI profile
    RISCADE_FUZZ=long RISCADE_FUZZ_SCALE=20 python -m tests.fuzz.counts

Runs ``pytest tests/fuzz --hypothesis-show-statistics`` from the repository root, prints
pytest's own summary, then one line per hypothesis target: passing, failing and invalid
examples and the time hypothesis spent generating and running them. Extra arguments go to
pytest (e.g. ``-k elf``). Exits with pytest's status.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_TARGET = re.compile(r"^(tests/fuzz/\S+::\S+):$")
_PHASE = re.compile(r"during (\w+) phase \(([\d.]+) seconds\)")
_COUNTS = re.compile(r"(\d+) passing examples, (\d+) failing examples, (\d+) invalid examples")


def main(argv: list[str]) -> int:
    """Run pytest, print its tail and the per-target example counts; return its status."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-W", "ignore::DeprecationWarning", "tests/fuzz",
               "--hypothesis-show-statistics", *argv]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    rows: dict[str, list[float]] = {}
    target = None
    for line in proc.stdout.splitlines():
        if m := _TARGET.match(line.strip()):
            target = m.group(1).removeprefix("tests/fuzz/")
            rows[target] = [0, 0, 0, 0.0]
        elif target and (m := _PHASE.search(line)):
            rows[target][3] += float(m.group(2))
        elif target and (m := _COUNTS.search(line)):
            for i in range(3):
                rows[target][i] += int(m.group(i + 1))
    tail = [ln for ln in proc.stdout.splitlines() if " passed" in ln or " failed" in ln]
    if proc.returncode:
        print(proc.stdout[-6000:], proc.stderr[-2000:], sep="\n")
    print(f"profile {os.environ.get('RISCADE_FUZZ', 'ci')}, "
          f"scale {os.environ.get('RISCADE_FUZZ_SCALE', '-')}: {' '.join(tail[-1:])}")
    print(f"{'target':<58} {'passing':>8} {'failing':>8} {'invalid':>8} {'seconds':>8}")
    total = 0
    for name, (ok, bad, invalid, secs) in rows.items():
        total += int(ok + bad)
        print(f"{name:<58} {int(ok):>8} {int(bad):>8} {int(invalid):>8} {secs:>8.1f}")
    print(f"{'total examples run':<58} {total:>8}")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
