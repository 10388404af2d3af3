"""vm.profiler on a C program whose counts are known by hand (tests/vm/guests/profiled.c).

Three independent measures agree: the counts written in profiled.c's header (counted from its
assembly), qemu-riscv64 single-stepping the same ELF (one exec-log line per instruction), and
the VM's own retired-instruction count for the totals.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import (
    HOSTCALL_BASE,
    ArgKind,
    BudgetExceeded,
    HostFunction,
    HostRegistry,
    Machine,
    StoreFault,
)
from vm import profiler as profiler_module
from vm.profiler import (
    DEEPER,
    MAIN,
    OTHER_STACKS,
    FunctionTable,
    Profiler,
    collapsed_lines,
    parse_collapsed,
)

SOURCE = Path(__file__).parent / "guests" / "profiled.c"
#: Instructions of the assembly functions in one run of main (profiled.c's header).
BY_HAND = {"f": 65, "g": 2062, "tail": 2, "deep": 452, "bump": 14}
#: Functions whose counts do not depend on the environment (qemu's start-up differs).
PROGRAM_FUNCTIONS = ("f", "g", "tail", "deep", "bump", "bump_call", "jumper", "thrower",
                     "main", "__setjmp", "__longjmp")
BUMPS = 7
BUMP = 1
assert HOSTCALL_BASE + BUMP == 0x10001  # the number profiled.c's bump_call puts in a7

VARIANTS = [("O2", True), ("O0", False)]


@pytest.fixture(scope="module", params=VARIANTS,
                ids=lambda v: f"{v[0]}-{'rvc' if v[1] else 'norvc'}")
def elf(request: pytest.FixtureRequest) -> bytes:
    opt, compressed = request.param
    return compile_c(SOURCE, opt=opt, compressed=compressed, out_dir=DEFAULT_CACHE_DIR).read_bytes()


def _registry(calls: list[int], nested: bool = False) -> HostRegistry:
    def bump(m: Machine) -> int:
        calls.append(1)
        if nested and len(calls) == 1:
            m.call("g", 4)  # a guest call from inside a host call: 11 instructions
        return 3

    return HostRegistry([HostFunction(BUMP, "bump", (), ArgKind.I64, bump)])


def _profiled(elf: bytes, **kwargs: int) -> tuple[Machine, Profiler, list[int]]:
    calls: list[int] = []
    profiler = Profiler(elf, **kwargs)
    machine = profiler.attach(Machine(elf, engine="interp", hostcalls=_registry(calls)))
    return machine, profiler, calls


def test_counts_by_hand_and_totals_equal_retired_instructions(elf: bytes) -> None:
    machine, prof, calls = _profiled(elf)
    assert machine.run_main() == 0
    assert machine.stdout == b"1000 8 50 21 5\n"
    for name, count in BY_HAND.items():
        assert prof.functions[name] == count, name
    assert prof.total == machine.instret
    assert sum(prof.functions.values()) == machine.instret
    assert sum(prof.stacks.values()) == machine.instret
    assert prof.hooks == {MAIN: machine.instret}
    assert prof.calls == {MAIN: 1}
    assert prof.host_calls[(MAIN, "bump")] == len(calls) == BUMPS
    assert prof.overflows == 0 and prof.resyncs == 0


def test_counts_equal_qemu_single_stepping(elf: bytes, tmp_path: Path) -> None:
    qemu = shutil.which("qemu-riscv64")
    if qemu is None:
        pytest.fail("qemu-riscv64 not found: apt-get install qemu-user", pytrace=False)
    path = tmp_path / "profiled.elf"
    path.write_bytes(elf)
    path.chmod(0o755)
    log = tmp_path / "exec.log"
    # -singlestep: one instruction per translation block; nochain: each execution is logged.
    subprocess.run([qemu, "-singlestep", "-d", "exec,nochain", "-D", str(log), str(path)],
                   stdin=subprocess.DEVNULL, capture_output=True, env={}, timeout=120,
                   check=True)
    table = FunctionTable(elf)
    seen: collections.Counter[str] = collections.Counter()
    for line in log.read_text().splitlines():
        m = re.match(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/", line)
        if m:
            seen[table.name_at(int(m.group(1), 16))] += 1
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    for name in PROGRAM_FUNCTIONS:
        assert prof.functions[name] == seen[name], name
    assert {n: seen[n] for n in BY_HAND} == BY_HAND


def test_collapsed_stacks_parse_and_follow_calls_tail_calls_and_longjmp(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    lines = collapsed_lines(prof.stacks)
    assert all(re.fullmatch(r"[^; ]+(;[^; ]+)* \d+", line) for line in lines)
    stacks = parse_collapsed(lines)
    assert sum(stacks.values()) == machine.instret
    by_tail = {k[k.index("main"):]: v for k, v in stacks.items() if "main" in k}
    assert by_tail[("main", "f", "g")] == 10 * 203
    assert by_tail[("main", "g")] == 19  # tail(7) jumped into g: g replaces tail
    assert by_tail[("main", "tail")] == 2
    assert by_tail[("main", "bump_call", "bump")] == 2 * BUMPS
    # After longjmp out of thrower, g (called through a pointer) is jumper's callee.
    assert by_tail[("main", "jumper", "g")] == 13
    assert not [k for k in stacks if "thrower" in k and k[-1] == "g"]
    assert by_tail[("main",) + ("deep",) * 51] == 2  # deep(0) at depth 51
    assert sum(v for k, v in by_tail.items() if k[-1] == "deep") == 452


def test_a_shadow_stack_deeper_than_its_bound_is_capped_and_counted(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf, max_depth=8)
    machine.run_main()
    assert prof.overflows > 0
    assert max(len(k) for k in prof.stacks) <= 8 + 1
    assert any(k[-1] == DEEPER for k in prof.stacks)
    assert sum(prof.stacks.values()) == prof.total == machine.instret
    assert prof.functions["deep"] == 452
    # Once the recursion has returned, stacks are whole again.
    assert any(k[-2:] == ("jumper", "g") for k in prof.stacks)


def test_endless_recursion_is_capped_and_counted(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf, max_depth=16)
    machine.run_main()
    start, overflows = machine.instret, prof.overflows
    with pytest.raises(BudgetExceeded):
        machine.call("spin", budget=10_000)
    # spin is one instruction, a call, and a backward jump (the budget's check point).
    assert machine.instret - start == prof.functions["spin"] == 10_000
    assert prof.overflows - overflows == 10_000 - 15  # the root and 15 calls fit in 16
    assert prof.stacks[("spin",) * 16 + (DEEPER,)] == 10_000 - 16
    assert prof.total == machine.instret == sum(prof.stacks.values())


def test_a_return_to_a_made_up_address_restarts_the_stack(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    start, g = machine.instret, machine.program.functions["g"]
    with pytest.raises(BudgetExceeded):
        machine.call("liar", 0, g, budget=1000)
    assert prof.functions["liar"] == 3
    assert prof.resyncs > 0
    assert prof.total == machine.instret == sum(prof.stacks.values())
    assert prof.stacks[("g",)] == machine.instret - start - 3
    assert prof.hooks["liar"] == machine.instret - start


def test_budget_stop_and_resume_is_one_call(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    before, start = dict(prof.functions), machine.instret
    with pytest.raises(BudgetExceeded):
        machine.call("f", 10, 100, budget=500)
    while True:
        try:
            assert machine.resume(budget=300) == 1000
            break
        except BudgetExceeded:
            continue
    assert prof.calls["f"] == 1
    assert prof.functions["f"] - before["f"] == 65
    assert prof.functions["g"] - before["g"] == 2030
    assert prof.hooks["f"] == machine.instret - start == 2095
    assert prof.stacks[("f", "g")] == 2030


def test_a_fault_inside_a_block_counts_what_retired(elf: bytes) -> None:
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    before = prof.functions["deep"]
    machine.x[2] = 0x20  # sp in the null guard: deep's `sd ra` faults
    with pytest.raises(StoreFault):
        machine.call("deep", 3)
    assert prof.functions["deep"] - before == 2  # beqz, addi retired; sd did not
    assert prof.total == machine.instret


def test_host_calls_and_a_guest_call_from_a_host_call(elf: bytes) -> None:
    calls: list[int] = []
    prof = Profiler(elf)
    machine = prof.attach(Machine(elf, engine="interp", hostcalls=_registry(calls, nested=True)))
    machine.run_main()
    assert len(calls) == BUMPS and prof.host_calls[(MAIN, "bump")] == BUMPS
    assert prof.functions["g"] == BY_HAND["g"] + 11
    assert prof.total == machine.instret == sum(prof.stacks.values())
    nested = [k for k in prof.stacks if k[-2:] == ("bump", "g")]
    assert len(nested) == 1 and prof.stacks[nested[0]] == 11
    assert prof.calls == {MAIN: 1}  # the nested call is part of main's run


@pytest.mark.parametrize("engine", ["interp", "translate"])
def test_profiling_does_not_change_the_machine(elf: bytes, engine: str) -> None:
    plain = Machine(elf, engine=engine, hostcalls=_registry([]))
    profiled, _, _ = _profiled(elf)
    for m in (plain, profiled):
        m.run_main()
        m.call("f", 3, 9)
    assert profiled.instret == plain.instret
    assert profiled.state_hash() == plain.state_hash()
    assert profiled.stdout == plain.stdout


def test_a_translating_machine_profiles_alike(elf: bytes) -> None:
    interp, prof_i, _ = _profiled(elf)
    prof_t = Profiler(elf)
    translated = prof_t.attach(Machine(elf, hostcalls=_registry([])))
    for m in (interp, translated):
        m.run_main()
        m.call("f", 3, 9)
    assert prof_t.functions == prof_i.functions and prof_t.stacks == prof_i.stacks
    assert prof_t.total == translated.instret == interp.instret
    assert translated.state_hash() == interp.state_hash()


def test_a_profiler_follows_one_machine(elf: bytes) -> None:
    prof = Profiler(elf)
    prof.attach(Machine(elf, engine="interp"))
    with pytest.raises(ValueError, match="one machine"):
        prof.attach(Machine(elf, engine="interp"))
    with pytest.raises(ValueError):
        Profiler(elf, max_depth=0)


@pytest.mark.parametrize("line", ["a;b", "a;b x", " 3", "a;b -1", "a;b 1.5"])
def test_parse_collapsed_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(ValueError):
        parse_collapsed([line])


def test_distinct_stacks_are_capped(elf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiler_module, "MAX_STACKS", 5)
    machine, prof, _ = _profiled(elf)
    machine.run_main()
    assert len(prof.stacks) == 6 and OTHER_STACKS in prof.stacks
    assert sum(prof.stacks.values()) == prof.total == machine.instret


def test_collapsed_lines_keep_names_parseable() -> None:
    lines = collapsed_lines({("a b", "c;d"): 3, ("e",): 0}, ("mod",))
    assert lines == ["mod;a_b;c:d 3"]
    assert parse_collapsed(lines) == {("mod", "a_b", "c:d"): 3}
