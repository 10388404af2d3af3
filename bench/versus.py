"""The VM before and after a change, in one run: ``python -m bench`` on two commits, interleaved.

    python -m bench.versus REV [--rounds N] [--only KERNEL[,...]] [--quick]

Checks out ``REV`` (a commit, branch or tag) into a temporary git worktree, then runs
``python -m bench --only ...`` alternately in that tree ("before") and in this one ("after"),
``--rounds`` times each, every run in its own process. Interleaving spreads the load of a
shared machine over both sides alike; each cell is the median over the rounds. Rows: each
kernel on each riscade engine (seconds and MIPS), each call row (microseconds) on each riscade
engine, and CPython's kernel rows as a control: a change to ``vm/`` cannot move them, so their
after/before ratio shows how much of a difference is noise.

Prints the table and exits 0; exits 1 if a run failed or a checksum disagreed. Nothing is
asserted about speed: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
DEFAULT_ONLY = "fib,mixed,calls"


def _run_bench(tree: Path, only: str, quick: bool, out: Path) -> dict[str, Any]:
    """One ``python -m bench`` in ``tree``'s code; its JSON result."""
    cmd = [sys.executable, "-m", "bench", "--only", only, "--json", str(out)]
    if quick:
        cmd.append("--quick")
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"bench in {tree} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
                           f"{proc.stdout[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _cells(result: dict[str, Any]) -> dict[tuple[str, str, str], float]:
    """(row, runtime, unit) -> value for the rows this comparison reads."""
    cells: dict[tuple[str, str, str], float] = {}
    for r in result["kernels"]:
        if "error" in r or not r.get("checksum_ok"):
            raise RuntimeError(f"{r['kernel']} on {r['runtime']}: {r.get('error', 'checksum')}")
        if r["runtime"].startswith("riscade-"):
            cells[(r["kernel"], r["runtime"], "s")] = r["seconds"]
            cells[(r["kernel"], r["runtime"], "MIPS")] = r["mips"]
        elif r["runtime"] == "cpython":
            cells[(r["kernel"], "cpython (control)", "s")] = r["seconds"]
    for r in result["calls"]:
        if r["runtime"].startswith("riscade-") and "us" in r:
            cells[(f"call {r['call']}", r["runtime"], "us")] = r["us"]
    return cells


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    """The table: each cell's median over the rounds, before and after, and their ratio."""
    series: dict[tuple[str, str, str], tuple[list[float], list[float]]] = defaultdict(
        lambda: ([], []))
    for side, results in ((0, before), (1, after)):
        for result in results:
            for key, value in _cells(result).items():
                series[key][side].append(value)
    rows = [("row", "runtime", "unit", "before", "after", "after/before")]
    for (row, runtime, unit), (b, a) in series.items():
        if not a or not b:
            rows.append((row, runtime, unit, "-" if not b else f"{statistics.median(b):.4g}",
                         "-" if not a else f"{statistics.median(a):.4g}", "only one side"))
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        rows.append((row, runtime, unit, f"{mb:.4g}", f"{ma:.4g}", f"{ma / mb:.3f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.versus",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("rev", help="the commit to compare this tree against (e.g. main, HEAD~3)")
    p.add_argument("--rounds", type=int, default=3, help="runs per side (default 3)")
    p.add_argument("--only", default=DEFAULT_ONLY,
                   help=f"passed to python -m bench --only (default {DEFAULT_ONLY})")
    p.add_argument("--quick", action="store_true", help="passed to python -m bench")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="riscade-versus-") as tmp:
        old = Path(tmp) / "before"
        add = subprocess.run(["git", "worktree", "add", "--detach", str(old), args.rev],
                             cwd=HERE, capture_output=True, text=True)
        if add.returncode != 0:
            print(f"bench.versus: cannot check out {args.rev}: {add.stderr.strip()}",
                  file=sys.stderr)
            return 2
        try:
            before: list[dict[str, Any]] = []
            after: list[dict[str, Any]] = []
            for i in range(args.rounds):
                for tree, bucket, name in ((old, before, "before"), (HERE, after, "after")):
                    print(f"round {i + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
                    bucket.append(_run_bench(tree, args.only, args.quick,
                                             Path(tmp) / f"{name}-{i}.json"))
            commit = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=HERE,
                                    capture_output=True, text=True).stdout.strip()
            print(f"before: {args.rev} ({commit}); after: this tree "
                  f"({after[0]['versions']['riscade']}); median of {args.rounds} "
                  f"interleaved runs each")
            print(compare(before, after), end="")
        except RuntimeError as exc:
            print(f"bench.versus: {exc}", file=sys.stderr)
            return 1
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=HERE,
                           capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
