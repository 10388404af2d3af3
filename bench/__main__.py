"""riscade's speed against its peers: the same kernels on every runtime, and call costs.

    python -m bench [--quick] [--repeat N] [--only KERNEL[,KERNEL...]] [--json PATH]

Kernels (bench/kernels/*.c, written once in C, built for riscv64 and wasm32 with zig cc,
mirrored by hand in Lua and Python) run on: riscade's VM with each engine it has, wasmtime,
LuaJIT and Lua 5.4 (through lupa), and CPython. Each row gives the median seconds per call,
for the VM also the guest instructions retired and MIPS, and each VM engine's time divided
by the row's time, both net of one call into the runtime (how many times slower the VM is).
Every runtime must return the same checksum.
Then the cost of single calls across the host/guest boundary (see bench/calls.py).

``--only`` takes kernel names and/or ``calls``. A runtime whose package or engine is missing
is skipped with a note. Exits 1 if any checksum or call result disagrees. Timings are for
reading; nothing asserts them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from . import calls, runtimes
from .build import COMMON_FLAGS, BuildError, build_riscv, build_wasm
from .suite import KERNELS, Kernel
from .timing import machine_info, measure

FULL = {"min_time": 0.2, "hostcall_n": 20_000, "repeat": 5}
QUICK = {"min_time": 0.01, "hostcall_n": 200, "repeat": 3}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [k.name for k in KERNELS] + ["calls"]
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="small sizes: a few seconds in all (the smoke test uses this)")
    p.add_argument("--repeat", type=int, default=None,
                   help=f"repeats per measurement; the median is reported (default "
                        f"{FULL['repeat']})")
    p.add_argument("--only", action="append", default=None, metavar="KERNEL",
                   help=f"run only these (comma-separated, repeatable): {', '.join(names)}")
    p.add_argument("--json", type=Path, default=Path("bench-results.json"), metavar="PATH",
                   help="where to write the results (default: bench-results.json)")
    args = p.parse_args(argv)
    only = {x for item in args.only or [] for x in item.split(",") if x}
    unknown = only - set(names)
    if unknown:
        p.error(f"--only: unknown {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    args.only = only or set(names)
    if args.repeat is not None and args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def _git_commit() -> str | None:
    """The work tree's commit, with "-dirty" if it has uncommitted changes (None: no git)."""
    try:
        proc = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                              cwd=Path(__file__).resolve().parent, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"riscade": _git_commit()}
    for package in ("ziglang", "wasmtime", "lupa", "unicorn"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = None
    return out


def make_runtimes(skipped: list[dict[str, str]]) -> list[Any]:
    """Every runtime that can run here, VM engines first; the others noted in ``skipped``."""
    elf = build_riscv().read_bytes()
    wasm: Path | Exception
    try:
        wasm = build_wasm()
    except BuildError as exc:
        wasm = exc
    variants = dict.fromkeys(["interp", "translate", *runtimes.vm_variants()])
    makers = [*((f"riscade-{v}", lambda v=v: runtimes.make_vm(elf, v)) for v in variants),
              ("wasmtime", lambda: runtimes.make_wasm(wasm)),
              ("luajit", lambda: runtimes.make_lua("luajit")),
              ("lua54", lambda: runtimes.make_lua("lua54")),
              ("cpython", runtimes.PythonRuntime)]
    out = []
    for name, make in makers:
        try:
            out.append(make())
        except runtimes.Unavailable as exc:
            skipped.append({"runtime": name, "row": "all", "reason": exc.reason})
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == float(b)
    return int(a) == int(b)


def call_overheads(rts: list[Any], repeat: int, min_time: float) -> dict[str, float]:
    """Seconds one call of a kernel's shape (``bench_nop(n) = n``) costs on each runtime."""
    out = {}
    for rt in rts:
        fn = rt.function("bench_nop")
        try:
            fn(0)
            out[rt.name] = measure(fn, (0,), repeat=repeat, min_time=min_time).median
        except Exception as exc:  # shown again, with its kernel rows
            print(f"  {rt.name}: bench_nop failed: {exc!r}", file=sys.stderr)
    return out


def _time_kernel(k: Kernel, rt: Any, size: int, warm_size: int, repeat: int,
                 min_time: float, call: float) -> dict[str, Any]:
    fn = rt.kernel(k)
    fn(warm_size)  # warm-up: JITs compile, the VM translates, caches fill
    before = rt.instret if rt.kind == "vm" else 0
    t = measure(fn, (size,), repeat=repeat, min_time=min_time)
    row: dict[str, Any] = {
        "seconds": t.median, "times": list(t.times), "calls_per_repeat": t.loops,
        "call_seconds": call, "net_seconds": max(t.median - call, t.median / 2),
        "call_bound": call > t.median / 2, "checksum": k.returns(t.result),
    }
    if rt.kind == "vm":
        instret = (rt.instret - before) // t.calls
        row["instret"] = instret
        row["mips"] = instret / t.median / 1e6
    return row


def run_kernel(k: Kernel, rts: list[Any], size: int, warm_size: int, repeat: int,
               min_time: float, overhead: dict[str, float]) -> list[dict[str, Any]]:
    """One row per runtime; ratios and checksum agreement filled in against the others.

    Ratios compare ``seconds - call`` (``call``: the runtime's ``overhead``), so that a
    runtime with a costly call path (wasmtime-py's takes tens of microseconds) is not charged
    for it in kernel speed. Where the call is over half of a row's time, the ratio is rough
    and the row says so (``call_bound``). A runtime that raises gets a row with ``error``.
    """
    rows: list[dict[str, Any]] = []
    for rt in rts:
        row: dict[str, Any] = {"kernel": k.name, "size": size, "runtime": rt.name}
        try:
            row.update(_time_kernel(k, rt, size, warm_size, repeat, min_time,
                                    overhead.get(rt.name, 0.0)))
            print(f"  {k.name:8} {rt.name:24} {row['seconds']:10.6f} s", file=sys.stderr,
                  flush=True)
        except Exception as exc:  # an engine's bug is reported in the table, not fatal
            row["error"] = f"{type(exc).__name__}: {exc}"
            print(f"  {k.name:8} {rt.name:24} {row['error']}", file=sys.stderr, flush=True)
        rows.append(row)
    good = [r for r in rows if "error" not in r]
    reference = next((r["checksum"] for r in good if r["runtime"] == "cpython"),
                     good[0]["checksum"] if good else None)
    vm_net = {r["runtime"]: r["net_seconds"] for r in good if r["runtime"].startswith("riscade-")}
    for r in rows:
        r["checksum_ok"] = "error" not in r and _same(r["checksum"], reference)
        r["vm_over_this"] = ({} if "error" in r else
                             {name: t / r["net_seconds"] for name, t in vm_net.items()})
    return rows


# --- the printed report ------------------------------------------------------------------------

def _fmt_seconds(s: float) -> str:
    return f"{s:.4f}" if s >= 0.01 else f"{s * 1e3:.4f}ms" if s >= 1e-5 else f"{s * 1e6:.3f}us"


def _fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _spread(times: list[float], median: float) -> str:
    """Half the range of the repeats, in percent of the median: how noisy the row is."""
    return f"{(max(times) - min(times)) / 2 / median * 100:.0f}" if len(times) > 1 else "-"


def _short(runtime: str) -> str:
    """A VM variant's name for a column header: riscade-translate+helpers -> tr+helpers."""
    name = runtime.removeprefix("riscade-")
    return name.replace("translate+", "tr+")


def _call_cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    if "error" in r:
        return "ERROR"
    return f"{r['us']:.3f}" + ("" if r["ok"] else " WRONG")


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    v = result["versions"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable), "
        f"{m['platform']}",
        f"python: {m['python']}; load average at start {m['loadavg']}, at end "
        f"{result['loadavg_end']}",
        "runtimes: " + "; ".join(f"{r['name']} {r['version']}" for r in result["runtimes"]),
        f"riscade: commit {v['riscade']}; toolchain: ziglang {v['ziglang']} (zig cc "
        f"{' '.join(COMMON_FLAGS[:3])}); unicorn {v['unicorn']}",
        f"mode: {'quick' if result['options']['quick'] else 'full'}, "
        f"repeat {result['options']['repeat']}, median reported",
        "",
    ]
    vms = [r["name"] for r in result["runtimes"] if r["name"].startswith("riscade-")]
    if result["kernels"]:
        lines += textwrap.wrap(
            "kernels: median seconds per call; '+-%' = half the range of the repeats; "
            "'call' = one call of bench_nop(n) on that "
            "runtime; 'X/this' = riscade engine X's (seconds - call) divided by this "
            "runtime's: how many times slower the VM is ('*': the call is over half the "
            "time, so the ratio is rough)", 100, subsequent_indent="  ")
        for k in KERNELS:
            if any(r["kernel"] == k.name for r in result["kernels"]):
                lines.append(f"  {k.name:8} {k.what}")
        headers = ["kernel", "size", "runtime", "seconds", "+-%", "call", "guest instr", "MIPS",
                   *(f"{_short(e)}/this" for e in vms), "checksum"]
        rows = []
        last = None
        for r in result["kernels"]:
            first = r["kernel"] != last
            last = r["kernel"]
            lead = [r["kernel"] if first else "", f"{r['size']:,}" if first else "",
                    r["runtime"]]
            if "error" in r:
                rows.append([*lead, *["-"] * (5 + len(vms)), "ERROR " + r["error"][:60]])
                continue
            check = r["checksum"] if isinstance(r["checksum"], int) else repr(r["checksum"])
            rows.append([
                *lead, _fmt_seconds(r["seconds"]), _spread(r["times"], r["seconds"]),
                _fmt_seconds(r["call_seconds"]),
                f"{r['instret']:,}" if "instret" in r else "-",
                f"{r['mips']:.2f}" if "mips" in r else "-",
                *(_fmt_ratio(r["vm_over_this"].get(e)) + ("*" if r["call_bound"] else "")
                  for e in vms),
                f"{check} {'ok' if r['checksum_ok'] else 'MISMATCH'}",
            ])
        lines.append(_table(headers, rows, right={1, *range(3, 8 + len(vms))}))
        lines.append("")
    if result["calls"]:
        names = list(dict.fromkeys(r["runtime"] for r in result["calls"]))
        lines += textwrap.wrap(
            f"calls: median microseconds per call (guest->host: a loop of "
            f"{result['options']['hostcall_n']:,} host calls, divided by that)", 100,
            subsequent_indent="  ")
        cell = {(r["call"], r["runtime"]): r for r in result["calls"]}
        rows = []
        for row in calls.CALL_ROWS:
            if any((row.key, n) in cell for n in names):
                rows.append([row.label, *(_call_cell(cell.get((row.key, n))) for n in names)])
        lines.append(_table(["call", *names], rows, right=set(range(1, len(names) + 1))))
        lines += textwrap.wrap(
            "unicorn: reg_write x3, emu_start of two adds, reg_read; cpython: a plain Python "
            "function call, for scale; wasmtime: wasmtime-py's Func.__call__ (ctypes, every "
            "argument converted through its type objects)", 100, initial_indent="  ",
            subsequent_indent="  ")
        lines.append("")
    for r in result["calls"]:
        if "error" in r:
            lines.append(f"error: {r['runtime']} {r['call']}: {r['error']}")
    for s in result["skipped"]:
        lines.append(f"skipped: {s['runtime']} ({s['row']}): {s['reason']}")
    for rt in result["runtimes"]:
        if rt["note"]:
            lines.append(f"note: {rt['name']}: {rt['note']}")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = QUICK if args.quick else FULL
    repeat = args.repeat or mode["repeat"]
    started = time.time()
    result: dict[str, Any] = {
        "machine": machine_info(), "versions": _versions(),
        "options": {"quick": args.quick, "repeat": repeat, "only": sorted(args.only),
                    "min_time": mode["min_time"], "hostcall_n": mode["hostcall_n"]},
        "runtimes": [], "kernels": [], "calls": [], "skipped": [],
    }
    try:
        rts = make_runtimes(result["skipped"])
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 2
    result["runtimes"] = [{"name": rt.name, "version": rt.version, "note": rt.note}
                          for rt in rts]
    selected = [k for k in KERNELS if k.name in args.only]
    overhead = call_overheads(rts, repeat, mode["min_time"]) if selected else {}
    result["call_overhead_seconds"] = overhead
    for k in selected:
        size = k.quick_size if args.quick else k.size
        result["kernels"] += run_kernel(k, rts, size, k.quick_size, repeat, mode["min_time"],
                                        overhead)
    if "calls" in args.only:
        result["calls"] = calls.call_rows(rts, hostcall_n=mode["hostcall_n"], repeat=repeat,
                                          min_time=mode["min_time"],
                                          skipped=result["skipped"])
    result["loadavg_end"] = machine_info()["loadavg"]
    result["wall_seconds"] = time.time() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(report(result), end="")
    print(f"(results written to {args.json}; {result['wall_seconds']:.1f} s)")
    bad = [r for r in result["kernels"] if not r["checksum_ok"]]
    bad += [r for r in result["calls"] if not r["ok"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
