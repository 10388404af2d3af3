"""The translating engine against the reference interpreter, on real C programs.

Every comparison is to the bit: stdout, exit status, retired instructions, the state hash
(registers, memory, fcsr, heap), the pc and count where a budget stops, and faults (type, pc,
address, count, symbol). ``hot=0`` makes the translating engine translate everything at
once, so its generated code, not its interpreter fallback, is what runs.
"""

from __future__ import annotations

import functools
import gc
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import vm.translator.emitter
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import (
    ArgKind,
    BudgetExceeded,
    Fault,
    HostCallFault,
    HostFunction,
    HostRegistry,
    Machine,
    StoreFault,
    load_elf,
)
from vm.errors import TranslationError
from vm.translator.hosthelpers import cost

PROGRAMS = Path(__file__).parent.parent / "programs"
M = (1 << 64) - 1

#: (source, opt, compressed): a spread of code shapes, each under ~1M instructions.
CASES = [
    ("recursion.c", "O2", True),
    ("recursion.c", "O0", False),
    ("bytecode_vm.c", "O2", True),
    ("func_ptrs.c", "O0", True),
    ("switch_table.c", "O2", False),
    ("setjmp_longjmp.c", "O2", True),
    ("float_math.c", "O2", True),
    ("int64_ops.c", "O0", False),
    ("varargs.c", "O2", True),
]


def build(name: str, opt: str = "O2", compressed: bool = True) -> bytes:
    return compile_c(PROGRAMS / name, opt=opt, compressed=compressed,
                     out_dir=DEFAULT_CACHE_DIR).read_bytes()


def build_source(name: str, text: str, opt: str = "O2") -> bytes:
    """Compile a C program given as text (cached by content like the others)."""
    src_dir = DEFAULT_CACHE_DIR / "src"
    src_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / name
    if not src.exists() or src.read_text() != text:
        src.write_text(text)
    return compile_c(src, opt=opt, compressed=True, out_dir=DEFAULT_CACHE_DIR).read_bytes()


def machine(program: bytes | object, engine: str, hot: int | None = None, **kw) -> Machine:
    m = Machine(program, argv=["prog", "alpha", "beta"], engine=engine, **kw)
    if hot is not None:
        m.engine.hot = hot
    return m


def outcome(m: Machine, budget: int | None = None) -> tuple:
    """Everything observable after running main (to its end, a fault or the budget)."""
    try:
        result: tuple = ("exit", m.run_main(max_instructions=budget))
    except Fault as fault:
        result = (type(fault).__name__, fault.pc, fault.addr, fault.count, fault.symbol)
    return (result, m.instret, m.pc, bytes(m.stdout), bytes(m.stderr), m.state_hash(),
            m.x[:32], m.f[:], m.fflags, m.frm)


@pytest.mark.parametrize(("name", "opt", "compressed"), CASES)
def test_programs_run_identically(name: str, opt: str, compressed: bool) -> None:
    program = load_elf(build(name, opt, compressed))
    reference = outcome(machine(program, "interp"))
    assert reference[0][0] == "exit"
    assert outcome(machine(program, "translate", hot=0)) == reference
    gc.collect()  # that machine is gone, and with it its translations: the next starts cold
    assert outcome(machine(program, "translate")) == reference


@pytest.mark.parametrize("hot", [0, 16])
def test_budgets_stop_at_the_same_pc_and_count(hot: int) -> None:
    program = load_elf(build("recursion.c"))
    budgets = [1, 7, 100, 4_321, 65_537, 200_003]
    for budget in budgets:
        a = machine(program, "interp")
        b = machine(program, "translate", hot=hot)
        ra, rb = outcome(a, budget), outcome(b, budget)
        assert ra == rb, f"budget {budget}"
        assert ra[0][0] == "BudgetExceeded"
        # Resumable, and the rest of the run agrees too.
        assert outcome(a) == outcome(b), f"resumed after budget {budget}"


def test_budget_every_check_point_in_a_loop() -> None:
    """Small budgets in a hot loop: each stop is the first backward transfer at or past it."""
    program = load_elf(build("bytecode_vm.c"))
    warm = machine(program, "translate", hot=0)
    warm.run_main()  # translate everything once
    for budget in range(20_000, 20_064):
        a, b = machine(program, "interp"), machine(program, "translate", hot=0)
        assert outcome(a, budget)[:3] == outcome(b, budget)[:3], f"budget {budget}"


FAULTS_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile long sink;

__attribute__((noinline)) static void write_text(int how)
{
    long *p = (long *)(void *)write_text;
    long acc = 0;
    for (int i = 0; i < 1000; i++) acc += i * how;     /* a hot loop first */
    sink = acc;
    if (how == 1) p[1] = acc;                          /* store into text */
    if (how == 2) sink = *(volatile long *)(long)(acc - acc + 8);  /* null page load */
    if (how == 3) {  /* a loop that stores its way off the end of memory */
        volatile char *q = malloc(16);
        for (long i = 0;; i += 4096) q[i] = (char)i;
    }
    if (how >= 4) {  /* several accesses through one base: misaligned (4), or bad (5) */
        static char buf[64];
        volatile struct pair { long a, b; } *s = (volatile struct pair *)(buf + 1);
        if (how == 5) s = (volatile struct pair *)(long)(acc - acc + 16);
        for (int i = 0; i < 300; i++) { s->a = i; s->b = s->a + acc; acc += s->b; }
        sink = acc;
        printf("%ld\n", acc);
    }
}

int main(int argc, char **argv)
{
    printf("start\n");
    fflush(stdout);
    for (int i = 0; i < 50; i++) write_text(0);
    write_text(argc);
    return 0;
}
"""


@pytest.mark.parametrize("argc", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("hot", [0, 16])
def test_faults_are_identical(argc: int, hot: int) -> None:
    program = load_elf(build_source("engine_faults.c", FAULTS_C))
    results = []
    for engine in ("interp", "translate"):
        m = Machine(program, argv=["p"] + ["x"] * (argc - 1), engine=engine)
        if m.engine is not None:
            m.engine.hot = hot
        results.append(outcome(m))
    assert results[0] == results[1]
    kind = results[0][0][0]
    assert kind == {1: "StoreFault", 2: "LoadFault", 3: "StoreFault", 4: "exit",
                    5: "StoreFault"}[argc]


def test_second_machine_reuses_the_translations() -> None:
    """Translations are shared by every live machine running the same code, even from another
    copy of the ELF: the second translates nothing, and runs to the same state."""
    elf = build("recursion.c")
    first = machine(load_elf(elf), "translate", hot=0)
    expected = outcome(first)
    cache = first.engine.cache
    made, regions = cache.translated, dict(cache.regions)
    assert made > 0 and first.engine.regions_made == made
    second = machine(elf, "translate", hot=0)  # its own Program, loaded again
    assert second.engine.cache is cache
    assert outcome(second) == expected
    assert second.engine.regions_made == 0, "the second machine translated again"
    assert cache.translated == made
    assert all(cache.regions[pc] is fn for pc, fn in regions.items())
    # Another memory size is another geometry: its own translations.
    from vm import MachineLimits

    third = machine(elf, "translate", hot=0, limits=MachineLimits(memory=8 << 20))
    assert third.engine.cache is not cache
    assert outcome(third)[0] == expected[0]
    assert third.engine.regions_made > 0


SHARED_C = r"""
__attribute__((noinline)) long square(long x) { return x * x; }
long sum(long n) { long s = 0; for (long i = 0; i < n; i++) s += square(i); return s; }
long clobber(void) { *(volatile unsigned *)(void *)&square = 0x00100073u; return 1; }
int main(void) { return 0; }
"""


def _sum_of_squares(n: int) -> int:
    return sum(i * i for i in range(n))


def test_machines_share_translations_but_not_their_code_or_state() -> None:
    """Two machines on the same ELF: the second translates nothing, both agree with the
    interpreter to the state hash, and one trying to change its code (a guest store, a host
    write, raw bytes in its memory) changes nothing the other runs."""
    elf = build_source("shared_code.c", SHARED_C)
    a, b, ref = (Machine(elf, engine=e) for e in ("translate", "translate", "interp"))
    for m in (a, b, ref):
        assert m.run_main() == 0
    for n in range(400):  # a gets the code hot and translated
        assert a.call("sum", n) == _sum_of_squares(n)
    assert a.engine.regions_made > 0
    for n in range(400):
        assert b.call("sum", n) == ref.call("sum", n) == _sum_of_squares(n)
    assert b.engine.regions_made == 0 and b.engine.cache is a.engine.cache
    assert a.state_hash() == b.state_hash() == ref.state_hash()
    assert a.instret == b.instret == ref.instret

    square = a.program.functions["square"]
    with pytest.raises(StoreFault) as stored:  # code is read-only to the guest...
        a.call("clobber")
    assert stored.value.addr == square
    with pytest.raises(HostCallFault):  # ... and to host functions
        a.write(square, b"\x73\x00\x10\x00")
    a.mem[square - a.base:square - a.base + 4] = b"\x73\x00\x10\x00"  # raw: an ebreak
    for n in (0, 7, 399, 1000):  # code runs from the decoded program, never from memory
        assert a.call("sum", n) == b.call("sum", n) == ref.call("sum", n) == _sum_of_squares(n)
    assert b.state_hash() == ref.state_hash() != a.state_hash()
    assert a.memory.read(square, 4) != b.memory.read(square, 4)


# --- vmcalls -------------------------------------------------------------------------------


def registry() -> HostRegistry:
    def add(m: Machine, a: int, b: int) -> int:
        return a + m.call("square", b)  # re-enters the machine from inside a host call

    return HostRegistry([
        HostFunction(1, "add", (("a", ArgKind.I64), ("b", ArgKind.I64)), ArgKind.I64, add),
        HostFunction(2, "log", (("text", ArgKind.STR),), ArgKind.I64,
                     lambda m, text: len(text)),
    ])


def callee(elf: bytes, engine: str, hot: int | None = None) -> Machine:
    m = Machine(elf, engine=engine, hostcalls=registry())
    if hot is not None:
        m.engine.hot = hot
    assert m.run_main() == 0
    return m


def snapshot(m: Machine) -> tuple:
    return (m.instret, m.pc, m.state_hash(), m.x[:32], m.f[:], bytes(m.stdout), len(m.state.frames))


CALLS = [
    ("add3", (int, int, int), (1, 2, 3), int),
    ("add3", (int, int, int), (-1, 0, 7), int),
    ("scale", (float, int), (1.5, 4), float),
    ("fnv", (bytes,), (bytes(range(200)) * 3,), int),
    ("remember", (str,), ("héllo",), int),
    ("bump", (int,), (5,), int),
    ("ask_host", (int, int), (3, 9), int),
    ("log_text", (str,), ("from the guest",), int),
    ("spin", (int,), (3_000,), int),
]


@pytest.mark.parametrize("hot", [0, 16])
def test_call_and_prepared_call_agree_with_the_interpreter(callee_elf: bytes,
                                                           hot: int) -> None:
    ref = callee(callee_elf, "interp")
    tr = callee(callee_elf, "translate", hot)
    prepared_interp = callee(callee_elf, "interp")
    prepared = callee(callee_elf, "translate", hot)
    for _ in range(3):  # warm: later rounds run translated code
        for name, types, args, returns in CALLS:
            want = ref.call(name, *args, returns=returns)
            assert tr.call(name, *args, returns=returns) == want, name
            for m in (prepared_interp, prepared):
                assert m.prepare(name, *types, returns=returns)(*args) == want, name
            assert snapshot(tr) == snapshot(ref), name
            assert snapshot(prepared) == snapshot(ref), name
            assert snapshot(prepared_interp) == snapshot(ref), name


@pytest.mark.parametrize("hot", [0, 16])
def test_prepared_call_budget_and_resume(callee_elf: bytes, hot: int) -> None:
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, "translate", hot)
    spin = m.prepare("spin", int)
    for budget in (10, 999, 5_000):
        with pytest.raises(BudgetExceeded) as want:
            ref.call("spin", 10_000, budget=budget)
        with pytest.raises(BudgetExceeded) as got:
            spin(10_000, budget=budget)
        assert (got.value.pc, got.value.count) == (want.value.pc, want.value.count)
        assert snapshot(m) == snapshot(ref)
        assert m.resume() == ref.resume() == sum(range(10_000))
        assert snapshot(m) == snapshot(ref)


def test_prepared_call_fault_restores_registers(callee_elf: bytes) -> None:
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, "translate", 0)
    poke = m.prepare("poke", int)
    text = m.program.functions["main"]
    with pytest.raises(StoreFault) as want:
        ref.call("poke", text)
    with pytest.raises(StoreFault) as got:
        poke(text)
    assert (got.value.pc, got.value.addr, got.value.count, got.value.symbol) == (
        want.value.pc, want.value.addr, want.value.count, want.value.symbol)
    assert snapshot(m) == snapshot(ref)
    assert poke.__doc__ and m.prepare("add3", int, int, int)(1, 1, 1) == 6


#: (function, args, budget) for entries: every way out of one, each taken several times.
ENTRY_CALLS = [
    ("add3", (1, 2, 3), None),
    ("twice", (7,), None),
    ("twice", (7,), 5),
    ("deep", (12,), None),
    ("deep", (12,), 300),
    ("fsum", (50,), None),
    ("fsum", (50,), 100),
    ("pick", (2,), None),
    ("pick", (1 << 40,), None),
    ("poke", (0x10,), None),
    ("ask_host", (3, 9), None),
    ("unknown_host", (), None),
    ("spin", (500,), 700),
    ("leave", (3,), None),
    ("after_call_switch", (5,), None),
    ("after_call_switch", (6,), None),
    ("chatty", (40,), None),
    ("chatty", (40,), 150),
]


def _outcome(fn, *args: int, budget: int | None) -> tuple:
    try:
        return ("ok", fn(*args, budget=budget))
    except Fault as fault:
        return (type(fault).__name__, fault.pc, getattr(fault, "addr", None), fault.count,
                fault.symbol)


@pytest.mark.parametrize("hot", [0, 16])
def test_prepared_entries_agree_with_the_interpreter(callee_elf: bytes, hot: int) -> None:
    """Typed prepared calls run through entries once warm: every outcome, count, register,
    frame and byte of memory as the interpreter's ``call``, round after round."""
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, "translate", hot)
    prepared = {(name, len(args)): m.prepare(name, *([int] * len(args)))
                for name, args, _ in ENTRY_CALLS}
    for _ in range(20 if hot else 3):
        for name, args, budget in ENTRY_CALLS:
            fn = prepared[name, len(args)]
            want = _outcome(functools.partial(ref.call, name), *args, budget=budget)
            assert _outcome(fn, *args, budget=budget) == want, name
            assert snapshot(m) == snapshot(ref), name
            if want[0] == "BudgetExceeded":
                assert m.resume() == ref.resume(), name
                assert snapshot(m) == snapshot(ref), name
    assert m.engine.cache.entries, "no entry was made"


@pytest.mark.parametrize("engine", ["interp", "translate"])
def test_untyped_prepare_takes_integers(callee_elf: bytes, engine: str) -> None:
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, engine)
    add3, bump, scale = m.prepare("add3"), m.prepare("bump"), m.prepare("scale")
    for _ in range(20):
        assert add3(1, 2, 3) == ref.call("add3", 1, 2, 3) == 14
        assert add3(-1, 0, 7, budget=1000) == ref.call("add3", -1, 0, 7) == 20
        assert bump(True) == ref.call("bump", True)  # not an int: falls back to call()
        assert scale(1.5, 4) == ref.call("scale", 1.5, 4)  # a float: fa0, via call()
        assert snapshot(m) == snapshot(ref)


def test_prepare_rejects_bad_signatures(callee_elf: bytes) -> None:
    m = callee(callee_elf, "translate")
    with pytest.raises(TypeError):
        m.prepare("add3", list)
    with pytest.raises(TypeError):
        m.prepare("add3", *([int] * 9))
    with pytest.raises(KeyError):
        m.prepare("no_such_function")


# --- host helpers ---------------------------------------------------------------------------

HELPERS_C = r"""
#include <stdio.h>
#include <string.h>

static char a[4096], b[4096];

int main(int argc, char **argv)
{
    unsigned long sum = 0;
    for (int round = 0; round < 40; round++) {
        memset(a, 'a' + round % 26, sizeof a - 1);
        memcpy(b, a, 1000 + round);
        memmove(b + 3, b, 2000);
        b[100 + round] = 0;
        sum += strlen(b) + (unsigned)memcmp(a, b, 200 + round) + (unsigned)memcmp(a, a, 64);
        sum += (unsigned)memcmp(b, "zz", 2);
    }
    printf("%lu %s\n", sum, argc > 1 ? "overlap" : "");
    if (argc > 1)  /* an overlapping memcpy: the helper declines, the guest's code runs */
        memcpy(b + 1, b, 100);
    if (argc > 2)  /* a memset into text faults inside the guest's own code */
        memset((void *)main, 0, 8);
    printf("%d\n", (int)strlen(b));
    return (int)(sum & 0x7f);
}
"""


@pytest.mark.parametrize("argc", [1, 2, 3])
def test_host_helpers_same_results_fewer_instructions(argc: int) -> None:
    program = load_elf(build_source("engine_helpers.c", HELPERS_C))
    argv = ["p"] + ["x"] * (argc - 1)
    plain = Machine(program, argv=argv, engine="interp")
    fast = Machine(program, argv=argv, engine="translate", host_helpers=True)
    a, b = outcome(plain), outcome(fast)
    if argc < 3:
        assert a[0] == b[0] and a[0][0] == "exit"
        assert (a[3], a[4]) == (b[3], b[4])  # stdout, stderr
        assert b[1] < a[1] // 2  # far fewer instructions
    else:
        assert a[0][0] == b[0][0] == "StoreFault"
        assert (a[0][1], a[0][2], a[0][4]) == (b[0][1], b[0][2], b[0][4])
        assert a[3] == b[3]


def test_host_helper_cost_rule() -> None:
    assert cost(0) == 16 and cost(7) == 16 and cost(8) == 17 and cost(4096) == 16 + 512
    with pytest.raises(ValueError):
        Machine(build("recursion.c"), engine="interp", host_helpers=True)


# --- plumbing ----------------------------------------------------------------------------------


def test_compile_failure_carries_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    real = vm.translator.emitter.generate

    def broken(plan, geo):  # type: ignore[no-untyped-def]
        source, pend, refs = real(plan, geo)
        return source + "    ) not python (\n", pend, refs

    monkeypatch.setattr(vm.translator.emitter, "generate", broken)
    m = machine(load_elf(build("recursion.c")), "translate", hot=0)
    with pytest.raises(TranslationError) as info:
        m.run_main()
    assert "def region(" in info.value.source
    assert ") not python (" in info.value.source


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        Machine(build("recursion.c"), engine="jit")


def test_cli_engine_option(tmp_path: Path) -> None:
    elf = compile_c(PROGRAMS / "recursion.c", opt="O2", compressed=True,
                    out_dir=DEFAULT_CACHE_DIR)
    runs = [subprocess.run([sys.executable, "-m", "vm", "run", "--stats", "--engine", engine,
                            str(elf)], capture_output=True, cwd=Path(__file__).parents[2],
                           timeout=120)
            for engine in ("interp", "translate")]
    assert runs[0].stdout == runs[1].stdout and runs[0].returncode == runs[1].returncode
    counts = [r.stderr.split(b" instructions")[0].rsplit(b" ", 1)[-1] for r in runs]
    assert counts[0] == counts[1]
    assert b"translated" in runs[1].stderr


def test_float_registers_pass_through_translated_code() -> None:
    program = load_elf(build("float_math.c"))
    a, b = machine(program, "interp"), machine(program, "translate", hot=0)
    a.run_main()
    b.run_main()
    assert a.f == b.f and a.fflags == b.fflags
    assert struct.pack("<32Q", *a.f) == struct.pack("<32Q", *b.f)


def test_prepared_caller_survives_a_restore(callee_elf: bytes) -> None:
    """A caller made before ``restore`` keeps working after it (it must not hold state the
    restore replaces)."""
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, "translate", 16)
    add3, bump = m.prepare("add3", int, int, int), m.prepare("bump", int)
    saved, ref_saved = m.snapshot(), ref.snapshot()
    for round_ in range(40):
        if round_ % 10 == 0:
            m.restore(saved)
            ref.restore(ref_saved)
        assert add3(1, 2, round_) == ref.call("add3", 1, 2, round_)
        assert bump(round_) == ref.call("bump", round_)
        assert snapshot(m) == snapshot(ref)


def test_an_entry_takes_in_code_that_warms_up_later(callee_elf: bytes) -> None:
    """An entry made while one side of a branch was cold is made again once that side gets
    hot, and callers switch to it: the call stops going through the dispatcher."""
    ref = callee(callee_elf, "interp")
    m = callee(callee_elf, "translate", 16)
    phased = m.prepare("phased", int)
    for i in range(300):
        assert phased(i) == ref.call("phased", i)
    dispatched = []
    run = m.engine.run
    # The ways into the dispatcher: the engine's run (callers) and the state's (entries).
    m.engine.run = m.state.dispatch = lambda *a: (dispatched.append(a), run(*a))[1]
    for i in range(600):
        assert phased(1024 + i) == ref.call("phased", 1024 + i)
    assert dispatched, "the cold side should have left the first entry"
    dispatched.clear()
    for i in range(100):
        assert phased(1024 + i) == ref.call("phased", 1024 + i)
    assert dispatched == []
    assert snapshot(m)[1:] == snapshot(ref)[1:] and m.instret == ref.instret
