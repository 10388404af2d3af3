"""The translating engine: guest code to Python functions, compiled once, run many times.

The dispatcher (``TranslatingEngine.run``) looks the pc up among the region functions of the
program (``vm.translator.emitter`` writes them) and calls the one found; regions call each other
directly for guest calls, so the dispatcher sees mostly the pcs where translated code ends.
A pc without a region runs as one block of the reference interpreter and warms up (the
dispatcher is the interpreter's block loop, ``Interpreter.run``, with ``enter`` running the
regions first); once the dispatcher has reached it ``hot`` times, the region starting there
is translated:

- it takes in the successors that ran at least ``LEAST_HEAT`` times while interpreted (and
  the return addresses of its calls), and stops where another region begins;
- when a successor it left out warms up and gets a region of its own, the regions that left
  it out are made again with it inside (``MAX_REBUILDS``), so hot paths stay translated.

Sync ops (ecall, CSRs) run inside regions through their reference closures, with every
register in ``x`` and ``instret`` up to date, so system and host calls see exactly the
state they would in the interpreter and may call back into the machine. Ebreak and illegal
instructions always run in the reference interpreter.

Translations live in a ``TranslationCache`` per code and memory geometry (``vm.translator.cache``):
every machine running the same code (the same bytes at the same addresses, whichever ELF
object or file they came from) with the same memory layout reuses them, for as long as one
such machine lives. Generated functions take ``(m, x, f, limit)`` and close over nothing
machine-specific; what is per machine is on ``m``, the machine's ``TranslatedState``
(``vm.translator.runtime``): memory views, reference closures (built on first use), host-call
adapters. Code is never read from guest memory (``vm.interpreter.code_fetcher``), so no store
of one machine can change what another runs.

Observable behaviour is the reference interpreter's to the bit: registers, memory, fflags,
``instret``, the pc and count where a budget runs out (the rule in ``vm.machine``'s docstring)
and faults (type, pc, addr, count, symbol). ``tests/vm/test_engines.py`` compares the two.
With ``host_helpers`` (``vm.translator.hosthelpers``), libc's memory and string functions
run on the host and counts follow that module's cost rule instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..constants import EXIT_ADDR
from ..decoder import TERMINATORS, Instr, decode_run
from ..errors import FetchFault
from ..interpreter import Interpreter
from ..semantics import SYNC_OPS
from . import emitter, hosthelpers
from .cache import TranslationCache, shared_cache
from .emitter import Geometry
from .runtime import EntryFn, RegionFn, TranslatedState, compile_region

__all__ = ["TranslatingEngine", "HOT_THRESHOLD"]

#: A pc is translated once the dispatcher has reached it this many times.
HOT_THRESHOLD = 256
#: Successors that ran fewer times than this (while interpreted) are left out of a region.
LEAST_HEAT = 8
#: How often a region may be made again to take in a successor that warmed up.
MAX_REBUILDS = 4
#: A region is made once its code has run this many times its size (see ``translate``).
WORTH = 16

class TranslatingEngine:
    """Runs a machine's guest code through translated regions (see the module docstring).

    Args:
        state: the machine's state.
        interpreter: the machine's reference interpreter on the same state (cold code, and
            the block loop the dispatcher runs in).
        hot: dispatcher visits before a pc is translated (0 or 1: translate at once).
        host_helpers: run libc's memory and string functions on the host
            (``vm.translator.hosthelpers``).

    Attributes:
        cache: the translations, shared with other machines running the same code.
        regions_made: regions (and rebuilds) this engine translated itself; a machine whose
            code another live machine already ran hot makes none of those again.
    """

    name = "translate"

    def __init__(self, state: TranslatedState, interpreter: Interpreter, *,
                 hot: int = HOT_THRESHOLD, host_helpers: bool = False) -> None:
        self.state = state
        self.interpreter = interpreter
        self.hot = hot
        self.host_helpers = host_helpers
        self.regions_made = 0
        geo = Geometry(state.base, state.size, state.rw_off)
        self.cache: TranslationCache = shared_cache(state.program, geo, host_helpers)
        state.attach(self.cache.instrs, self.run)
        self.enter = self._enterer()
        if host_helpers:
            hosthelpers.install(self)

    # --- translation --------------------------------------------------------------------

    def translate(self, pc: int, *, force: bool = False) -> RegionFn | None:
        """Translate the region at ``pc`` (or return the one there); None if none can start.

        Unless ``force``d, a region is made only once its code has run, while interpreted,
        ``WORTH`` times its size in instructions (its blocks' heat times their lengths);
        before that the pc is tried again when its heat has doubled.

        A region leaves out the successors that were cold when it was made. When one of them
        gets a region of its own (it warmed up), the regions that left it out are made again
        with it inside (at most ``MAX_REBUILDS`` times each), so a hot path does not keep
        going through the dispatcher.
        """
        cache = self.cache
        fn = cache.regions.get(pc)
        if fn is not None or pc in cache.untranslatable:
            return fn
        if not force and cache.heat.get(pc, 0) < cache.postponed.get(pc, 0):
            return None
        fn = self._build(pc, worth=WORTH if not force and self.hot > 1 else 0)
        if fn is not None:
            for r in sorted(cache.cold_exits.pop(pc, ())):
                n = cache.rebuilds.get(r, 0)
                if n < MAX_REBUILDS and r in cache.regions:
                    cache.rebuilds[r] = n + 1
                    cache.absorb.setdefault(r, set()).add(pc)
                    self._build(r)
                    self._refresh_entries(r)
        return fn

    def _refresh_entries(self, pc: int) -> None:
        """Make the entries at ``pc`` again (its region took in code that warmed up), and hand
        the new ones to the callers using the old."""
        cache = self.cache
        for key in [k for k in cache.entries if k[0] == pc]:
            del cache.entries[key]
            fn = self.entry(*key)
            if fn is not None:
                for use in cache.entry_users.get(key, ()):
                    use[0] = fn

    def _plan(self, pc: int, *, entry: bool = False) -> tuple[emitter.RegionPlan | None,
                                                              list[int]]:
        """The region at ``pc`` as the heat seen so far draws it, and the successors left out.

        An ``entry`` goes on through other regions' code too: leaving an entry for the
        dispatcher costs far more than chaining regions does.
        """
        cache = self.cache
        # Follow only the paths that ran often enough while interpreted: the region is the
        # hot code around ``pc``, and colder code gets regions of its own once it warms up.
        # A region also ends where another begins (they chain through the dispatcher),
        # except at the return address of a call, where it goes on after a nested call.
        regions = cache.regions
        heat, least = cache.heat, LEAST_HEAT if self.hot > 1 else 0
        absorb = cache.absorb.get(pc, ())
        cold: list[int] = []

        def explore(t: int, link: bool) -> bool:
            if link or t == pc or t in absorb:
                return True
            if heat.get(t, 0) < least:
                cold.append(t)
                return False
            return entry or t not in regions

        return emitter.plan_region(pc, self._decode_run, explore=explore), cold

    def _build(self, pc: int, worth: int = 0) -> RegionFn | None:
        cache = self.cache
        started = time.perf_counter()
        plan, cold = self._plan(pc)
        if plan is None:
            cache.untranslatable.add(pc)
            return None
        heat = cache.heat
        if worth:
            work = sum(heat.get(b, 0) * len(blk.instrs) for b, blk in plan.blocks.items())
            if work < worth * plan.size:
                cache.postponed[pc] = 2 * heat.get(pc, 1)
                cache.seconds += time.perf_counter() - started
                return None
        source, fix, refs = emitter.generate(plan, cache.geometry)
        fn = compile_region(source, fix, cache.regions, f"<riscade region 0x{pc:x}>")
        cache.instrs.update(refs)
        cache.regions[pc] = fn
        self._left_out(pc, plan, cold)
        cache.translated += 1
        self.regions_made += 1
        cache.instructions += plan.size
        cache.code_bytes += plan.code_bytes
        cache.source_bytes += len(source)
        if cache.sources is not None:
            cache.sources[pc] = source
        cache.seconds += time.perf_counter() - started
        return fn

    def _left_out(self, pc: int, plan: emitter.RegionPlan, cold: list[int]) -> None:
        """Note the cold successors the code at ``pc`` was made without (see ``translate``)."""
        for t in cold:
            if t not in plan.blocks:
                self.cache.cold_exits.setdefault(t, set()).add(pc)

    def entry(self, pc: int, nargs: int) -> EntryFn | None:
        """The entry for host calls of the function at ``pc`` with ``nargs`` integer arguments.

        Made once per program (see ``emitter.generate``), from the region the dispatcher
        would make there now; None where no region can start.
        """
        cache = self.cache
        key = (pc, nargs)
        if key in cache.entries:
            return cache.entries[key]
        started = time.perf_counter()
        plan, cold = self._plan(pc, entry=True) if pc not in cache.helpers else (None, [])
        fn = None
        if plan is not None:
            # When what it left out warms up, the region at pc is made again, and with it
            # this entry (``_refresh_entries``).
            self._left_out(pc, plan, cold)
            source, fix, refs = emitter.generate(plan, cache.geometry, entry_args=nargs)
            fn = compile_region(source, fix, cache.regions, f"<riscade entry 0x{pc:x}>",
                                name="entry")
            cache.instrs.update(refs)
            cache.source_bytes += len(source)
            if cache.sources is not None:
                cache.sources[-pc] = source
        cache.entries[key] = fn
        cache.seconds += time.perf_counter() - started
        return fn

    def _decode_run(self, pc: int) -> list[tuple[int, Instr]]:
        """The instructions from ``pc`` up to a terminator, a sync op or the end of code.

        Like ``Interpreter.decode_block`` but cached apart from ``Program.decode_cache``,
        which thus keeps holding only blocks the interpreter ran.
        """
        cache = self.cache.decoded
        found = cache.get(pc)
        if found is not None:
            return found
        fetch = self.interpreter.fetch16
        if pc & 1 or fetch(pc) is None:
            raise FetchFault(pc, pc, "not in executable code")
        out = decode_run(fetch, pc, emitter.MAX_REGION_INSTRS, TERMINATORS | SYNC_OPS)
        cache[pc] = out
        return out

    def stats(self) -> str:
        """One line on the translations of this machine's code (shared with its peers)."""
        c = self.cache
        per = c.seconds * 1e3 / (c.code_bytes / 1024) if c.code_bytes else 0.0
        return (f"translated {c.translated} regions, {c.instructions} instructions "
                f"({c.code_bytes / 1024:.1f} KB of guest code, {c.source_bytes / 1024:.0f} KB "
                f"of Python) in {c.seconds * 1e3:.0f} ms = {per:.1f} ms per KB of guest code")

    # --- the dispatcher -------------------------------------------------------------------

    def run(self, limit: int, start: int | None = None) -> None:
        """Run from ``state.pc`` (or ``start``) until the guest returns to EXIT_ADDR.

        A negative ``start`` is where a region bailed out: interpret from ``-start``.
        """
        self.interpreter.run(limit, start, self.enter)

    def _enterer(self) -> Callable[[int, int], int]:
        """The dispatcher's part of the block loop (``vm.interpreter.Enter``): run regions
        from ``pc`` as long as there are any, count heat, translate what got hot; return the
        pc of the block to interpret (or EXIT_ADDR)."""
        m = self.state
        x, f = m.x, m.f
        cache = self.cache
        get = cache.regions.get
        heat = cache.heat
        translate = self.translate

        def enter(pc: int, limit: int) -> int:
            while True:
                fn = get(pc)
                while fn is not None:
                    pc = fn(m, x, f, limit)
                    fn = get(pc)
                if pc == EXIT_ADDR:
                    return pc
                if pc < 0:
                    return -pc  # a region bailed out: interpret from here
                h = heat.get(pc, 0) + 1
                heat[pc] = h
                if h < self.hot or translate(pc) is None:
                    return pc

        return enter
