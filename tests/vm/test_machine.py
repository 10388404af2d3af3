"""vmcall, host calls, budgets and snapshots on a real C program (tests/vm/guests/callee.c)."""

from __future__ import annotations

import struct

import pytest

from vm import (
    ArgKind,
    BudgetExceeded,
    HostCallFault,
    HostCallUnknown,
    HostFunction,
    HostRegistry,
    Machine,
    SnapshotError,
    StoreFault,
)

M = (1 << 64) - 1


def fnv(data: bytes) -> int:
    h = 1469598103934665603
    for byte in data:
        h = ((h ^ byte) * 1099511628211) & M
    return h


def registry(log: list[str]) -> HostRegistry:
    def add(m: Machine, a: int, b: int) -> int:
        # Re-entrant: the host calls back into the guest from inside a host call.
        return a + m.call("square", b)

    def write_log(m: Machine, text: str) -> int:
        log.append(text)
        return len(text)

    return HostRegistry([
        HostFunction(1, "add", (("a", ArgKind.I64), ("b", ArgKind.I64)), ArgKind.I64, add),
        HostFunction(2, "log", (("text", ArgKind.STR),), ArgKind.I64, write_log),
    ])


@pytest.fixture
def machine(callee_elf: bytes) -> Machine:
    m = Machine(callee_elf, hostcalls=registry([]))
    assert m.run_main() == 0
    return m


def test_main_output_and_memory_persists(machine: Machine) -> None:
    assert bytes(machine.stdout) == b"callee ready\n"
    assert machine.call("bump", 5) == 105  # main set the counter to 100
    assert machine.call("bump", 7) == 112


def test_integer_float_and_buffer_arguments(machine: Machine) -> None:
    assert machine.call("add3", 1, 2, 3) == 1 + 4 + 9
    assert machine.call("add3", -1, 0, 0) == M  # a0 is returned as an unsigned register
    assert machine.call("scale", 1.5, 4, returns=float) == 6.25
    payload = bytes(range(200)) * 3
    assert machine.call("fnv", payload) == fnv(payload)
    assert machine.call("fnv", "héllo") == fnv("héllo".encode())


def test_heap_state_survives_between_calls(machine: Machine) -> None:
    assert machine.call("remember", "ab") == 2
    assert machine.call("remember", "cde") == 5
    assert machine.stdout.endswith(b"journal=ab\njournal=abcde\n")


def test_registers_restored_after_call(machine: Machine) -> None:
    before = machine.x[:]
    machine.call("add3", 10, 20, 30)
    assert machine.x == before


def test_host_call_is_reentrant(callee_elf: bytes) -> None:
    log: list[str] = []
    m = Machine(callee_elf, hostcalls=registry(log))
    m.run_main()
    # ask_host(a, b) = host add(a, b) + 1 = a + square(b) + 1
    assert m.call("ask_host", 3, 9) == 3 + 81 + 1
    assert m.call("log_text", "from the guest") == len("from the guest")
    assert log == ["from the guest"]


def test_host_call_with_bad_pointer_faults_cleanly(machine: Machine) -> None:
    with pytest.raises(HostCallFault) as info:
        machine.call("log_text", 0x10, 5)  # pointer into the null guard
    assert "points outside memory" in str(info.value)
    assert info.value.symbol and info.value.symbol.startswith("log_text")
    # The machine is still usable afterwards.
    assert machine.call("add3", 1, 1, 1) == 6


def test_unknown_host_call(machine: Machine) -> None:
    with pytest.raises(HostCallUnknown):
        machine.call("unknown_host")


def test_store_to_text_faults(machine: Machine) -> None:
    text = machine.program.functions["main"]
    with pytest.raises(StoreFault) as info:
        machine.call("poke", text)
    assert info.value.addr == text
    assert info.value.symbol.startswith("poke")


def test_budget_stops_deterministically_and_resumes(callee_elf: bytes) -> None:
    stops = []
    for _ in range(2):
        m = Machine(callee_elf)
        m.run_main()
        start = m.instret
        with pytest.raises(BudgetExceeded) as info:
            m.call("spin", 10_000, budget=5_000)
        stops.append((info.value.pc, m.instret - start))
        result = m.resume(budget=10_000_000)
        assert result == sum(range(10_000))
    assert stops[0] == stops[1]
    pc, used = stops[0]
    assert used >= 5_000
    assert used < 5_000 + 100  # the overshoot is bounded by the loop body


def test_snapshot_round_trip_between_calls(callee_elf: bytes) -> None:
    a = Machine(callee_elf)
    a.run_main()
    a.call("remember", "xy")
    a.call("bump", 3)
    snap = a.snapshot()
    b = Machine(callee_elf)
    b.restore(snap)
    assert b.state_hash() == a.state_hash()
    for m in (a, b):
        m.stdout.clear()
        assert m.call("bump", 1) == 104
        assert m.call("remember", "z") == 3
    assert bytes(a.stdout) == bytes(b.stdout) == b"journal=xyz\n"
    assert a.state_hash() == b.state_hash()
    assert a.instret == b.instret


def test_snapshot_mid_call_resumes_identically(callee_elf: bytes) -> None:
    a = Machine(callee_elf)
    a.run_main()
    with pytest.raises(BudgetExceeded):
        a.call("spin", 3_000, budget=1_000)
    b = Machine(callee_elf)
    b.restore(a.snapshot())
    assert a.resume() == b.resume() == sum(range(3_000))
    assert a.state_hash() == b.state_hash()


def test_state_hash_changes_with_state(machine: Machine) -> None:
    h1 = machine.state_hash()
    assert machine.state_hash() == h1
    machine.call("bump", 1)
    assert machine.state_hash() != h1


def test_snapshot_refuses_other_program_and_corruption(callee_elf: bytes) -> None:
    a = Machine(callee_elf)
    a.run_main()
    snap = a.snapshot()
    other = bytearray(callee_elf)
    other[-1] ^= 0xFF  # a different file: different sha256
    with pytest.raises(SnapshotError, match="program"):
        Machine(bytes(other)).restore(snap)
    corrupt = bytearray(snap)
    corrupt[len(corrupt) // 2] ^= 1
    with pytest.raises(SnapshotError, match="corrupt"):
        Machine(callee_elf).restore(bytes(corrupt))
    with pytest.raises(SnapshotError):
        Machine(callee_elf).restore(snap[:100])
    with pytest.raises(SnapshotError):
        Machine(callee_elf).restore(b"garbage")


def test_snapshot_is_small_for_a_fresh_mod(machine: Machine) -> None:
    # Only pages that differ from the loaded image are stored.
    assert len(machine.snapshot()) < 64 * 1024


def test_float_registers_in_snapshot(machine: Machine) -> None:
    machine.f[5] = struct.unpack("<Q", struct.pack("<d", 2.5))[0]
    b = Machine(machine.program)
    b.restore(machine.snapshot())
    assert b.f[5] == machine.f[5]


@pytest.mark.parametrize("size_pages", [1, 63, 64, 65, 300])
def test_changed_pages_finds_every_changed_page(size_pages: int) -> None:
    """Against the definition, page by page: first/last bytes of pages and chunks, the last
    partial chunk, several changes in one page, a change undone."""
    import random

    from vm.snapshot import PAGE, changed_pages

    rng = random.Random(size_pages)
    image = bytes(rng.randrange(256) for _ in range(size_pages * PAGE))
    for _ in range(20):
        data = bytearray(image)
        for _ in range(rng.randrange(6)):
            at = rng.choice([0, len(data) - 1, rng.randrange(len(data)),
                             (rng.randrange(size_pages) * PAGE) or 0])
            data[at] ^= 1 + rng.randrange(255)
        if rng.random() < 0.2:
            data[5] ^= 7
            data[5] ^= 7
        want = [i for i in range(size_pages)
                if data[i * PAGE:(i + 1) * PAGE] != image[i * PAGE:(i + 1) * PAGE]]
        assert changed_pages(data, image) == want


def test_state_hash_follows_every_page_change_and_revert(callee_elf: bytes) -> None:
    # The hash is kept incrementally (vm.snapshot.StateHasher): a page written, changed again,
    # or put back as the image has it must hash as a fresh machine in that state does.
    a = Machine(callee_elf)
    a.run_main()
    fresh = a.state_hash()
    mem = a.memory
    at = mem.size - 4 * 4096  # stack pages: writable, equal to the image (zeros) at first
    assert mem.data[at:at + 4096] == mem.image[at:at + 4096]
    for value in (b"\x01", b"\x02", b"\x00"):
        mem.data[at + 100:at + 101] = value
        b = Machine(callee_elf)
        b.restore(a.snapshot())  # a machine that never hashed anything before
        assert a.state_hash() == b.state_hash()
    assert a.state_hash() == fresh  # written back to the image's bytes: the first hash again
