"""Call-cost rows: what one call across the host/guest boundary costs, in microseconds.

- host -> guest with 0, 3 and 8 integer arguments: ``machine.call`` (and the callable that
  ``machine.prepare`` returns, where the machine has it); wasmtime-py calling an export;
  lupa calling a Lua function; a plain Python call; unicorn starting emulation of a
  two-instruction function.
- guest -> host: a guest loop calling ``host_add(s, i)`` n times (riscade: ``ecall`` with
  a7 = 0x10000 + number; wasmtime: an imported Python function; Lua: a Python function), timed
  as a whole and divided by n, so it includes a few guest instructions of loop per call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .runtimes import Unavailable
from .timing import measure

__all__ = ["CALL_ROWS", "CallRow", "call_rows", "make_unicorn"]

ARGS = {0: (), 3: (1, 2, 3), 8: (1, 2, 3, 4, 5, 6, 7, 8)}
SYMBOL = {0: "bench_call0", 3: "bench_call3", 8: "bench_call8"}
EXPECT = {0: 1, 3: 6, 8: 36}


@dataclass(frozen=True, slots=True)
class CallRow:
    """One kind of call: its key in the JSON and its label in the table."""

    key: str
    label: str


CALL_ROWS = (
    CallRow("call0", "host->guest, 0 args"),
    CallRow("call3", "host->guest, 3 args"),
    CallRow("call8", "host->guest, 8 args"),
    CallRow("prepared0", "prepared, 0 args"),
    CallRow("prepared3", "prepared, 3 args"),
    CallRow("prepared8", "prepared, 8 args"),
    CallRow("hostcall", "guest->host, 2 args"),
)


def make_unicorn() -> Callable[[int, int, int], int]:
    """A callable running ``a0 = a0 + a1 + a2`` (two RISC-V adds) in unicorn.

    Raises:
        Unavailable: unicorn is not installed.
    """
    try:
        import unicorn
        from unicorn import riscv_const as rc
    except ImportError:
        raise Unavailable("unicorn", "unicorn is not installed (pip install '.[test]')") from None
    base = 0x10000

    def add(rd: int, rs1: int, rs2: int) -> int:
        return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33

    code = b"".join(w.to_bytes(4, "little") for w in (add(10, 10, 11), add(10, 10, 12)))
    uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
    uc.mem_map(base, 0x1000)
    uc.mem_write(base, code)
    end = base + len(code)
    write, read, start = uc.reg_write, uc.reg_read, uc.emu_start
    a0, a1, a2 = rc.UC_RISCV_REG_A0, rc.UC_RISCV_REG_A1, rc.UC_RISCV_REG_A2

    def call3(a: int, b: int, c: int) -> int:
        write(a0, a)
        write(a1, b)
        write(a2, c)
        start(base, end)
        return read(a0)

    return call3


def _row(key: str, runtime: str, method: str, fn: Callable[..., Any], args: tuple[Any, ...],
         expect: int, per: int, *, repeat: int, min_time: float) -> dict[str, Any]:
    row: dict[str, Any] = {"call": key, "runtime": runtime, "method": method,
                           "expected": expect}
    try:
        result = fn(*args)  # warm-up, and the correctness check
        t = measure(fn, args, repeat=repeat, min_time=min_time)
    except Exception as exc:  # an engine's bug is reported in the table, not fatal
        row.update(error=f"{type(exc).__name__}: {exc}", ok=False)
        return row
    row.update(us=t.median / per * 1e6, times_us=[x / per * 1e6 for x in t.times],
               calls_per_repeat=t.loops * per, result=result, ok=result == expect)
    return row


def _prepared_rows(rt: Any, skipped: list[dict[str, str]],
                   opts: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for ``machine.prepare(symbol, int, ...)(*args)`` (typed, as a game prepares its
    hooks); none (and a note) if there is no prepare."""
    if not callable(getattr(rt.machine, "prepare", None)):
        skipped.append({"runtime": rt.name, "row": "prepared",
                        "reason": "Machine has no prepare() yet"})
        return []
    try:
        return [_row(f"prepared{n}", rt.name, "machine.prepare", rt.prepared(SYMBOL[n], n),
                     ARGS[n], EXPECT[n], 1, **opts) for n in (0, 3, 8)]
    except Exception as exc:  # a new API: report it rather than stop the suite
        skipped.append({"runtime": rt.name, "row": "prepared",
                        "reason": f"machine.prepare failed: {exc!r}"})
        return []


def call_rows(runtimes: list[Any], *, hostcall_n: int, repeat: int, min_time: float,
              skipped: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Measure every call row each runtime supports; notes what was skipped in ``skipped``."""
    rows: list[dict[str, Any]] = []
    opts = {"repeat": repeat, "min_time": min_time}
    hostcall_expect = hostcall_n * (hostcall_n - 1) // 2
    for rt in runtimes:
        if rt.kind == "vm":
            for n in (0, 3, 8):
                rows.append(_row(f"call{n}", rt.name, "machine.call", rt.function(SYMBOL[n]),
                                 ARGS[n], EXPECT[n], 1, **opts))
            rows += _prepared_rows(rt, skipped, opts)
            rows.append(_row("hostcall", rt.name, "ecall", rt.function("bench_hostcall"),
                             (hostcall_n,), hostcall_expect, hostcall_n, **opts))
        elif rt.name == "wasmtime":
            for n in (0, 3, 8):
                rows.append(_row(f"call{n}", rt.name, "Func.__call__", rt.function(SYMBOL[n]),
                                 ARGS[n], EXPECT[n], 1, **opts))
            rows.append(_row("hostcall", rt.name, "import", rt.function("bench_hostcall"),
                             (hostcall_n,), hostcall_expect, hostcall_n, **opts))
        elif rt.name in ("luajit", "lua54"):
            rows.append(_row("call3", rt.name, "lupa call", rt.function("bench_call3"),
                             ARGS[3], EXPECT[3], 1, **opts))
            rows.append(_row("hostcall", rt.name, "Lua->Python", rt.function("bench_hostcall"),
                             (hostcall_n,), hostcall_expect, hostcall_n, **opts))
        elif rt.name == "cpython":
            rows.append(_row("call3", rt.name, "Python call", rt.function("bench_call3"),
                             ARGS[3], EXPECT[3], 1, **opts))
    try:
        fn = make_unicorn()
    except Unavailable as exc:
        skipped.append({"runtime": "unicorn", "row": "call3", "reason": exc.reason})
    else:
        rows.append(_row("call3", "unicorn", "emu_start", fn, ARGS[3], EXPECT[3], 1, **opts))
    return rows
