"""Command line: run a RISC-V program like ``qemu-riscv64 PROGRAM ARGS`` would.

Guest stdout and stderr go to ours, the exit status is the guest's. A fault prints one line
(kind, pc, symbol, count) and exits like a process killed by the matching signal would
(128 + signal number), a spent ``--max-instructions`` budget exits with 124. ``--gdb
HOST:PORT`` waits for gdb (``target remote HOST:PORT``) and runs under its control
(``vm.gdbserver``); gdb's ``kill`` exits with 137. A program the
VM cannot load (a corrupt ELF, limits it refuses) exits with 127, any other ``VMError`` (the
VM's own failure, not the guest's) with 1: one line on stderr each, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

from .errors import BudgetExceeded, DebuggerKill, Fault, VMError
from .gdbserver import GdbSession, parse_address, serve_gdb
from .machine import DEFAULT_ENGINE, ENGINES, Machine
from .memory import MachineLimits

__all__ = ["main"]


def _exit_code(fault: Fault) -> int:
    if isinstance(fault, BudgetExceeded):
        return 124
    return 128 + (fault.signal & 0x7F)


def _announce(address: str) -> None:
    print(f"riscade-vm: waiting for gdb: target remote {address}", file=sys.stderr, flush=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: list[str] | None = None, *, prog: str = "python -m vm") -> int:
    """Entry point of ``python -m vm`` (``prog`` names the command in its usage lines);
    returns the process exit status."""
    try:
        return _main(argv, prog)
    except BrokenPipeError:
        # Our reader went away (``| head``): stop quietly, as a native program would.
        sys.stderr.close()
        return 141


def _main(argv: list[str] | None, prog: str) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a static riscv64 ELF program")
    run.add_argument("program")
    run.add_argument("args", nargs=argparse.REMAINDER)
    run.add_argument("--max-instructions", type=int, default=None, metavar="N")
    run.add_argument("--memory", type=int, default=None, metavar="BYTES",
                     help="guest memory size (default 16 MiB)")
    run.add_argument("--stats", action="store_true",
                     help="print retired instructions, seconds and MIPS to stderr")
    run.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                     help=f"how to run guest code (default {DEFAULT_ENGINE})")
    run.add_argument("--host-helpers", action="store_true",
                     help="run libc's memcpy/memset/memmove/strlen/memcmp on the host "
                          "(translate engine; changes instruction counts)")
    run.add_argument("--gdb", metavar="HOST:PORT", default=None,
                     help="wait for gdb (target remote HOST:PORT) and run under its control")
    opts = parser.parse_args(argv)

    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        limits = MachineLimits() if opts.memory is None else MachineLimits(memory=opts.memory)
        with open(opts.program, "rb") as fh:
            elf = fh.read()
        machine = Machine(elf, argv=[opts.program, *opts.args], limits=limits,
                          stdout=out, stderr=err, engine=opts.engine,
                          host_helpers=opts.host_helpers)
    except (OSError, VMError, ValueError) as exc:  # ValueError: limits the VM refuses
        print(f"riscade-vm: cannot load {opts.program}: {_one_line(exc)}", file=sys.stderr)
        return 127
    session: GdbSession | None = None
    if opts.gdb is not None:
        try:
            host, port = parse_address(opts.gdb)
            session = serve_gdb(machine, host, port, announce=_announce)
        except (OSError, ValueError) as exc:
            print(f"riscade-vm: --gdb {opts.gdb}: {_one_line(exc)}", file=sys.stderr)
            return 1
    start = time.perf_counter()
    try:
        status = machine.run_main(max_instructions=opts.max_instructions)
    except Fault as fault:
        out.flush()
        print(f"riscade-vm: {fault}", file=sys.stderr)
        status = _exit_code(fault)
        if session is not None:
            session.killed(fault.signal)
    except DebuggerKill as exc:
        out.flush()
        print(f"riscade-vm: {exc}", file=sys.stderr)
        return 128 + 9
    except VMError as exc:  # not the guest's doing: the VM failed (a translator bug...)
        out.flush()
        print(f"riscade-vm: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    else:
        if session is not None:
            session.exited(status)
    elapsed = time.perf_counter() - start
    out.flush()
    if opts.stats:
        mips = machine.instret / elapsed / 1e6 if elapsed > 0 else 0.0
        print(f"riscade-vm: {machine.instret} instructions in {elapsed:.3f} s "
              f"= {mips:.2f} MIPS ({opts.engine})", file=sys.stderr)
        if machine.engine is not None:
            print(f"riscade-vm: {machine.engine.stats()}", file=sys.stderr)
    return status
