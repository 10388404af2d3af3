"""The machine: registers, memory, the run loop, vmcalls, host calls and snapshots.

A ``Machine`` runs one program. ``run_main()`` runs it from its entry point until it exits;
the machine keeps its memory afterwards, so ``call("on_tick", 7)`` can call exported
functions again and again with globals and heap intact.

Budget rule (every engine implements exactly this): instructions are counted as they retire;
the budget is checked only when control moves backwards, i.e. when the next pc is at or below
the pc of the instruction that transferred control. If the count has reached the limit there,
``BudgetExceeded`` is raised with ``pc`` = that next pc, and ``resume()`` goes on from it.
Every endless run passes backward transfers, and the straight-line stretch between two of them
is bounded by the size of the code, so the overshoot is bounded and identical everywhere.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

from .constants import EXIT_ADDR, NEVER, M
from .elf import PAGE, Program, load_elf
from .errors import (
    BudgetExceeded,
    Fault,
    FetchFault,
    GuestExit,
    HostCallFault,
    HostCallUnknown,
    VMError,
)
from .fastcall import entry_caller, host_adapter, prepare
from .hostcalls import HOSTCALL_BASE, HostRegistry
from .interpreter import Interpreter
from .memory import MachineLimits, Memory
from .snapshot import StateHasher, dump, load
from .state import State
from .syscalls import ENOSYS, SYSCALLS
from .translator import TranslatingEngine
from .translator.runtime import HostAdapter, TranslatedState

__all__ = ["Machine"]

#: Engines: the reference interpreter, and the translating engine (``vm.translator``).
ENGINES = ("interp", "translate")
DEFAULT_ENGINE = "translate"

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY = 0, 3, 4, 5, 6, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM = 11, 12, 13, 14, 23, 25


def _register(name: str, doc: str) -> property:
    """A property of ``Machine`` that reads and writes ``machine.state.<name>``."""

    def get(self: Machine) -> Any:
        return getattr(self.state, name)

    def put(self: Machine, value: Any) -> None:
        setattr(self.state, name, value)

    return property(get, put, doc=doc)


class Machine:
    """An RV64GC user-mode machine running one program.

    Args:
        program: the ELF file's bytes, or an already loaded ``Program``.
        argv: the guest's argv (argv[0] defaults to ``"program"``).
        limits: memory and size limits.
        hostcalls: the host functions the guest may call with ``ecall`` (fixed for the
            machine's life; the registry may still grow).
        stdout, stderr: binary streams for the guest's output; None captures it in
            ``self.stdout`` / ``self.stderr`` (bytearrays, up to ``limits.max_output``).
        random_seed: seeds ``getrandom`` and AT_RANDOM: same seed, same bytes.
        engine: "interp" (the reference interpreter) or "translate" (``vm.translator``); both
            behave identically to the bit, including counts, budgets and faults.
        host_helpers: run libc's memcpy, memset, memmove, strlen and memcmp on the host
            (``vm.translator.hosthelpers``; translate engine only). Results and memory
            effects are the guest's, but instruction counts follow the helpers' documented
            cost rule.

    Raises:
        ElfError: if the program cannot be loaded.
    """

    def __init__(
        self,
        program: bytes | Program,
        *,
        argv: list[str] | None = None,
        limits: MachineLimits | None = None,
        hostcalls: HostRegistry | None = None,
        stdout: BinaryIO | None = None,
        stderr: BinaryIO | None = None,
        random_seed: bytes = b"riscade",
        engine: str = DEFAULT_ENGINE,
        host_helpers: bool = False,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        if host_helpers and engine == "interp":
            raise ValueError("host_helpers needs engine='translate'")
        self.limits = limits or MachineLimits()
        if not isinstance(program, Program):
            program = load_elf(program, memory_limit=self.limits.memory - self.limits.stack)
        self.program = program
        self.memory = Memory(program, self.limits)
        self.mem = self.memory.data
        self.hostcalls = hostcalls or HostRegistry()
        self._streams = {1: stdout, 2: stderr}
        self.stdout = bytearray()
        self._hasher: StateHasher | None = None
        self.stderr = bytearray()
        self.random_seed = random_seed
        self.random_counter = 0
        self.unknown_syscalls = 0
        self.exit_status: int | None = None
        self._host_adapters: dict[int, HostAdapter] = {}  # by a7
        self._callers: dict[tuple[int, int], Callable[..., int | float]] = {}
        #: Registers, pc, counters, frames: what the engines run on (``vm.state``).
        self.state: State
        #: The translating engine (``vm.translator``), or None under the interpreter alone.
        self.engine: TranslatingEngine | None = None
        if engine == "translate":
            tstate = TranslatedState(program, self.memory, self.ecall, self._host_adapters)
            self.state = tstate
            self.interpreter = Interpreter(tstate)
            self.engine = TranslatingEngine(tstate, self.interpreter,
                                            host_helpers=host_helpers)
            self._run: Callable[[int], None] = self.engine.run
        else:
            self.state = State(program, self.memory, self.ecall)
            self.interpreter = Interpreter(self.state)
            self._run = self.interpreter.run
        #: The integer and float registers (``state.x``, ``state.f``: the same lists).
        self.x = self.state.x
        self.f = self.state.f
        self._setup_stack(argv if argv is not None else ["program"])

    pc = _register("pc", "The pc (of the next instruction, or where the guest stopped).")
    instret = _register("instret", "Instructions retired so far.")
    fflags = _register("fflags", "The accrued floating-point exception flags.")
    frm = _register("frm", "The dynamic rounding mode.")
    reservation = _register("reservation", "The LR/SC reservation (an address) or None.")

    @property
    def base(self) -> int:
        """The first address of guest memory."""
        return self.memory.base

    @property
    def size(self) -> int:
        """The size of guest memory in bytes."""
        return self.memory.size

    @property
    def rw_off(self) -> int:
        """The offset in guest memory of its first writable byte."""
        return self.state.rw_off

    @classmethod
    def from_file(cls, path: str, **kwargs: Any) -> Machine:
        """A machine for the ELF file at ``path`` (same keyword arguments as the class)."""
        with open(path, "rb") as fh:
            return cls(fh.read(), **kwargs)

    # --- start-up ------------------------------------------------------------------------

    def _setup_stack(self, argv: list[str]) -> None:
        """Lay out argc, argv, envp and auxv at the top of the stack, as Linux does."""
        top = self.memory.end - 64
        strings = b""
        offsets = []
        for arg in argv:
            offsets.append(len(strings))
            strings += arg.encode() + b"\0"
        random_bytes = hashlib.sha256(b"AT_RANDOM" + self.random_seed).digest()[:16]
        strings_addr = (top - len(strings) - 16) & ~15
        random_addr = strings_addr + len(strings)
        self.memory.write(strings_addr, strings)
        self.memory.write(random_addr, random_bytes)
        p = self.program
        auxv = [
            (AT_PHDR, p.phdr_addr), (AT_PHENT, p.phentsize), (AT_PHNUM, p.phnum),
            (AT_PAGESZ, PAGE), (AT_ENTRY, p.entry), (AT_UID, 0), (AT_EUID, 0), (AT_GID, 0),
            (AT_EGID, 0), (AT_SECURE, 0), (AT_RANDOM, random_addr), (AT_NULL, 0),
        ]
        words = [len(argv)] + [strings_addr + o for o in offsets] + [0] + [0]
        for key, value in auxv:
            words += [key, value]
        sp = (strings_addr - 8 * len(words)) & ~15
        self.memory.write(sp, struct.pack(f"<{len(words)}Q", *words))
        self.x[2] = sp

    # --- output ----------------------------------------------------------------------------

    def emit(self, fd: int, data: bytes) -> None:
        """Deliver guest output on fd 1 or 2 to its stream, or capture it (bounded)."""
        stream = self._streams.get(fd)
        if stream is not None:
            stream.write(data)
            return
        buf = self.stdout if fd == 1 else self.stderr
        room = self.limits.max_output - len(buf)
        if room > 0:
            buf += data[:room]

    # --- public running API -------------------------------------------------------------------

    def run_main(self, *, max_instructions: int | None = None) -> int:
        """Run the program from its entry point until it exits; return the exit status.

        Raises:
            Fault: if the guest faults or runs out of ``max_instructions``.
        """
        limit = NEVER if max_instructions is None else self.instret + max_instructions
        try:
            self._run(limit)
        except GuestExit as done:
            self.exit_status = done.status
            return done.status
        fault = FetchFault(self.pc, self.pc, "the entry point returned")
        fault.count = self.instret
        raise fault

    def call(self, function: str | int, *args: int | float | bytes | str,
             budget: int | None = None, returns: type = int) -> int | float:
        """Call a guest function by symbol name or address and return its result.

        Integers go to a0..a7, floats (as doubles) to fa0..fa7, bytes and str are copied onto
        the guest stack and passed as pointer and length (two integer registers). The guest
        returns to an exit address; ``returns=float`` reads fa0 instead of a0.
        Registers are restored afterwards (memory is not), so a host function may call back
        into the guest from inside a host call.

        Raises:
            KeyError: no such symbol. Fault: the guest faulted; BudgetExceeded is resumable
            with ``resume()``.
        """
        addr = function if isinstance(function, int) else self.program.functions[function]
        if self.engine is not None and returns is int and len(args) <= 8:
            # Integers only: the prepared caller, which runs through the function's entry
            # once it is translated (same behaviour, generated once per address and arity).
            for a in args:
                if type(a) is not int:
                    break
            else:
                key = (addr, len(args))
                caller = self._callers.get(key)
                if caller is None:
                    caller = self._callers[key] = entry_caller(self, addr, addr, len(args))
                return caller(*args, budget=budget)
        state = self.state
        x, f = state.x, state.f
        state.push_frame()
        sp = x[2]
        ints: list[int] = []
        floats: list[float] = []
        for arg in args:
            if isinstance(arg, bool | int):
                ints.append(arg & M)
            elif isinstance(arg, float):
                floats.append(arg)
            elif isinstance(arg, bytes | bytearray | str):
                blob = arg.encode() if isinstance(arg, str) else bytes(arg)
                sp = (sp - len(blob) - 1) & ~15
                if not self.memory.writable(sp, len(blob) + 1):
                    state.pop_frame()
                    raise VMError("no stack room for call arguments")
                self.memory.write(sp, blob + b"\0")
                ints += [sp, len(blob)]
            else:
                state.pop_frame()
                raise TypeError(f"cannot pass {type(arg).__name__} to the guest")
        if len(ints) > 8 or len(floats) > 8:
            state.pop_frame()
            raise TypeError("at most 8 integer and 8 float argument registers")
        for i, v in enumerate(ints):
            x[10 + i] = v
        for i, d in enumerate(floats):
            f[10 + i] = struct.unpack("<Q", struct.pack("<d", d))[0]
        x[2] = sp & ~15
        x[1] = EXIT_ADDR
        state.pc = addr
        return self._finish_call(budget, returns)

    def prepare(self, function: str | int, *argtypes: type,
                returns: type = int) -> Callable[..., int | float]:
        """A fast caller for one guest function: ``f = m.prepare("add3", int, int, int)``.

        ``f(1, 2, 3)`` (and ``f(..., budget=n)``) does what ``call("add3", 1, 2, 3)`` does,
        with the argument handling generated once for ``argtypes`` (``vm.fastcall``).
        """
        return prepare(self, function, *argtypes, returns=returns)

    def resume(self, *, budget: int | None = None, returns: type = int) -> int | float:
        """Go on with a call that ran out of budget; returns its result when it returns."""
        if not self.state.frames:
            raise VMError("no call to resume")
        return self._finish_call(budget, returns)

    def _finish_call(self, budget: int | None, returns: type) -> int | float:
        state = self.state
        limit = NEVER if budget is None else state.instret + budget
        try:
            self._run(limit)
        except Fault as fault:
            if not isinstance(fault, BudgetExceeded):
                state.pop_frame()
            raise
        if returns is float:
            result: int | float = struct.unpack("<d", struct.pack("<Q", state.f[10]))[0]
        else:
            result = state.x[10]
        state.pop_frame()
        return result

    def abandon_call(self) -> None:
        """Give up a call that ran out of budget: restore registers as they were before it."""
        if self.state.frames:
            self.state.pop_frame()

    # --- ecall: syscalls and host calls ----------------------------------------------------------

    def ecall(self, pc: int) -> int:
        """Handle ``ecall`` at ``pc``; return the next pc."""
        state = self.state
        x = state.x
        state.pc = pc
        nr = x[17]
        adapter = self._host_adapters.get(nr)
        if adapter is not None:  # a host call made before: the hot path
            x[10] = adapter(state, pc)
            return pc + 4
        if nr >= HOSTCALL_BASE:
            x[10] = self._hostcall(pc, nr)
            return pc + 4
        handler = SYSCALLS.get(nr)
        if handler is None:
            self.unknown_syscalls += 1
            x[10] = -ENOSYS & M
        else:
            x[10] = handler(self, x[10], x[11], x[12], x[13], x[14], x[15]) & M
        return pc + 4

    def _hostcall(self, pc: int, nr: int) -> int:
        """First host call with a7 = ``nr``: find the function, generate and keep its adapter.

        Registries only grow and a number is never registered twice, so the adapter stays
        right for as long as this machine lives (``hostcalls`` is fixed at construction).
        """
        fn = self.hostcalls.lookup(nr - HOSTCALL_BASE)
        if fn is None:
            raise HostCallUnknown(pc, detail=f"number {nr - HOSTCALL_BASE}")
        # Arguments are decoded by code generated per host function (``vm.fastcall``).
        adapter = host_adapter(fn, self)
        self._host_adapters[nr] = adapter
        return adapter(self.state, pc)

    # --- CSRs ------------------------------------------------------------------------------------

    def read_csr(self, csr: int) -> int:
        """Value of a user-level CSR (``State.read_csr``)."""
        return self.state.read_csr(csr)

    def write_csr(self, csr: int, value: int) -> None:
        """Write fflags, frm or fcsr (``State.write_csr``)."""
        self.state.write_csr(csr, value)

    # --- guest memory for hosts ----------------------------------------------------------------

    def read(self, addr: int, n: int) -> bytes:
        """Read guest memory for the host; a bad range is a ``HostCallFault``."""
        if not self.memory.readable(addr, n):
            raise HostCallFault(self.pc, addr, f"cannot read {n} bytes")
        return self.memory.read(addr, n)

    def write(self, addr: int, data: bytes) -> None:
        """Write guest memory for the host; a read-only or bad range is a ``HostCallFault``."""
        if not self.memory.writable(addr, len(data)):
            raise HostCallFault(self.pc, addr, f"cannot write {len(data)} bytes")
        self.memory.write(addr, data)

    # --- snapshots -------------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Serialise the machine's whole guest-visible state (see ``vm.snapshot``)."""
        return dump(self)

    def restore(self, data: bytes) -> None:
        """Make this machine identical to the one ``data`` was taken from.

        Raises:
            SnapshotError: corrupt data, or a snapshot of another program or memory size.
        """
        load(self, data)

    def state_hash(self) -> str:
        """SHA-256 (hex) of the state a snapshot holds: equal states, equal hashes. Kept up
        to date incrementally (``vm.snapshot.StateHasher``): a call costs what changed."""
        if self._hasher is None:
            self._hasher = StateHasher(self.memory.image)
        return self._hasher.hexdigest(self)

