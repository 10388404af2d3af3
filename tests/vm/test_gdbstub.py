"""The debugger runner (vm.debugger) and GDB's commands (vm.gdbstub), without a socket.

A scripted controller plays gdb: at each stop it sends the stub the next packets of its script
and returns the resume they ask for. Debugged runs must end exactly like undebugged ones
(result, instruction count, state hash, faults) on both engines.
"""

from __future__ import annotations

import random
import struct
import xml.etree.ElementTree as ET

import pytest

from vm import BudgetExceeded, DebuggerKill, Machine, StoreFault
from vm.debugger import MAX_BREAKPOINTS, Debugger, Resume, Stop, StopKind
from vm.gdbstub import TARGET_XML, GdbStub, Reply

ENGINES = ("interp", "translate")


class Gdb:
    """A scripted gdb: ``script`` holds, per stop, the packets to send there."""

    def __init__(self, machine: Machine, script: list[list[bytes]]) -> None:
        self.machine = machine
        self.script = list(script)
        self.debugger = Debugger(machine, self.on_stop)
        self.stub = GdbStub(machine, self.debugger, max_packet=0x4000)
        self.stops: list[Stop] = []
        self.replies: list[list[bytes | None]] = []
        self.debugger.attach()

    def on_stop(self, stop: Stop) -> Resume:
        self.stops.append(stop)
        self.stub.stop = stop
        packets = self.script.pop(0) if self.script else [b"c"]
        replies: list[bytes | None] = []
        self.replies.append(replies)
        for packet in packets:
            reply = self.stub.handle(packet)
            replies.append(reply.payload)
            if reply.kill:
                raise DebuggerKill()
            if reply.resume is not None:
                return reply.resume
        return Resume.CONTINUE


@pytest.fixture(params=ENGINES)
def machine(request: pytest.FixtureRequest, callee_elf: bytes) -> Machine:
    m = Machine(callee_elf, engine=request.param)
    assert m.run_main() == 0
    return m


def fresh(callee_elf: bytes, engine: str) -> Machine:
    m = Machine(callee_elf, engine=engine)
    m.run_main()
    return m


def reg(reply: bytes | None) -> int:
    assert reply is not None
    return int.from_bytes(bytes.fromhex(reply.decode()), "little")


def test_breakpoint_stops_before_the_function_and_changes_nothing(
        machine: Machine, callee_elf: bytes) -> None:
    square = machine.program.functions["square"]
    gdb = Gdb(machine, [])
    gdb.stub.handle(b"Z0,%x,2" % square)
    gdb.script = [[b"?", b"p20", b"p0a", b"c"], [b"c"]]
    assert machine.call("twice", 5) == 25 + 36
    assert [s.kind for s in gdb.stops] == [StopKind.BREAKPOINT, StopKind.BREAKPOINT]
    assert gdb.stops[0].pc == square
    assert gdb.replies[0][0] == b"T05thread:1;"
    assert reg(gdb.replies[0][1]) == square
    assert reg(gdb.replies[0][2]) == 5  # a0: square's argument
    plain = fresh(callee_elf, "interp")
    assert plain.call("twice", 5) == 61
    assert machine.instret == plain.instret
    assert machine.state_hash() == plain.state_hash()


def test_single_steps_retire_one_instruction_each(machine: Machine, callee_elf: bytes) -> None:
    start = machine.instret
    gdb = Gdb(machine, [])
    gdb.debugger.stepping = True
    gdb.script = [[b"vCont;s:1"]] * 10_000  # step until the call returns
    assert machine.call("add3", 1, 2, 3) == 14
    counts = [s for s in gdb.stops if s.kind is StopKind.STEP]
    plain = fresh(callee_elf, machine.engine.name if machine.engine else "interp")
    assert plain.call("add3", 1, 2, 3) == 14
    # Every instruction but the first stopped once after it ran.
    assert len(counts) == plain.instret - start - 1
    assert machine.instret == plain.instret
    assert machine.state_hash() == plain.state_hash()


def test_registers_g_p_and_writes(machine: Machine) -> None:
    gdb = Gdb(machine, [])
    stub = gdb.stub
    machine.x[10] = 0x1122334455667788
    machine.f[10] = struct.unpack("<Q", struct.pack("<d", 1.5))[0]
    machine.fflags, machine.frm = 0x3, 2
    g = stub.handle(b"g").payload
    assert g is not None
    raw = bytes.fromhex(g.decode())
    assert len(raw) == 65 * 8 + 3 * 4
    assert raw[10 * 8:11 * 8] == (0x1122334455667788).to_bytes(8, "little")
    assert struct.unpack("<d", raw[(33 + 10) * 8:(34 + 10) * 8])[0] == 1.5
    assert raw[65 * 8:] == bytes.fromhex("03000000" "02000000" "43000000")
    assert stub.handle(b"P5=2a00000000000000").payload == b"OK"
    assert machine.x[5] == 42
    assert stub.handle(b"P0=2a00000000000000").payload == b"OK"
    assert machine.x[0] == 0  # x0 stays zero
    assert stub.handle(b"P2c=0000000000000840").payload == b"OK"  # f11 = 3.0
    assert struct.unpack("<d", struct.pack("<Q", machine.f[11]))[0] == 3.0
    assert stub.handle(b"P2c=00").payload == b"E16"  # wrong size
    assert stub.handle(b"p41").payload == b"E00"  # no register 0x41
    # G writes back exactly what g read.
    assert stub.handle(b"G" + g).payload == b"OK"
    assert stub.handle(b"G" + g[:-2]).payload == b"E16"
    assert machine.x[5] == int.from_bytes(raw[40:48], "little")
    assert stub.handle(b"g").payload == g


def test_memory_respects_permissions(machine: Machine) -> None:
    stub = Gdb(machine, []).stub
    mem = machine.memory
    text = machine.program.functions["square"]
    assert stub.handle(b"m0,4").payload == b"E0e"  # below the first page
    assert stub.handle(b"m%x,4" % mem.end).payload == b"E0e"
    assert stub.handle(b"m%x,4" % text).payload == mem.read(text, 4).hex().encode()
    # A read running off the end is cut short; a huge length is cut to the packet size.
    tail = stub.handle(b"m%x,100" % (mem.end - 2)).payload
    assert tail == mem.read(mem.end - 2, 2).hex().encode()
    huge = stub.handle(b"m%x,ffffffffffffffff" % mem.rw_start).payload
    assert huge is not None and len(huge) <= 0x4000
    assert stub.handle(b"M%x,4:01020304" % text).payload == b"E0e"  # code is not writable
    addr = mem.rw_start
    assert stub.handle(b"M%x,4:01020304" % addr).payload == b"OK"
    assert mem.read(addr, 4) == b"\x01\x02\x03\x04"
    assert stub.handle(b"X%x,2:#$" % addr).payload == b"OK"  # binary (unescaped by framing)
    assert mem.read(addr, 2) == b"#$"
    assert stub.handle(b"X%x,0:" % addr).payload == b"OK"  # gdb's probe
    assert stub.handle(b"M%x,4:0102" % addr).payload == b"E16"  # length mismatch
    assert stub.handle(b"M%x,1:zz" % addr).payload == b"E16"
    assert stub.handle(b"m0,0").payload == b"E16"


def test_malformed_and_hostile_packets_never_raise(machine: Machine) -> None:
    stub = Gdb(machine, []).stub
    for packet in [b"m", b"m,", b"mzz,4", b"m-1,4", b"m" + b"f" * 40 + b",4", b"P", b"Pzz=00",
                   b"Z0", b"Z0,zz,2", b"z0,", b"qXfer:features:read:target.xml:zz,10",
                   b"qXfer:features:read:other.xml:0,10", b"G12", b"Gzz", b"M1,1", b"X", b"c zz",
                   b"vCont;", b"vCont;x", b"\xff\xfe", b"C", b"Sff;zz"]:
        reply = stub.handle(packet)
        assert isinstance(reply, Reply)
    rng = random.Random(2)
    alphabet = b"?gGpPmMXZzcsCSvqQkDHT0123456789abcdef,:;=-#$}x"
    for _ in range(3000):
        packet = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        reply = stub.handle(packet)
        assert isinstance(reply, Reply)


def test_target_xml_read_in_chunks_describes_rv64_with_fp(machine: Machine) -> None:
    stub = Gdb(machine, []).stub
    data = b""
    while True:
        reply = stub.handle(b"qXfer:features:read:target.xml:%x,%x" % (len(data), 100)).payload
        assert reply is not None and reply[:1] in (b"m", b"l")
        data += reply[1:]
        if reply[:1] == b"l":
            break
    assert data == TARGET_XML
    root = ET.fromstring(data)
    assert root.findtext("architecture") == "riscv:rv64"
    regs = root.iter("reg")
    names = [r.get("name") for r in regs]
    assert len(names) == 32 + 1 + 32 + 3
    assert names[:2] == ["zero", "ra"] and "pc" in names and "fa0" in names and "fcsr" in names
    supported = stub.handle(b"qSupported:multiprocess+;swbreak+").payload
    assert supported is not None and b"qXfer:features:read+" in supported


def test_fault_stops_at_the_faulting_instruction_first(machine: Machine) -> None:
    gdb = Gdb(machine, [[b"?", b"p20", b"c"]])
    with pytest.raises(StoreFault) as info:
        machine.call("poke", 8)
    stop = gdb.stops[0]
    assert stop.kind is StopKind.FAULT and stop.fault is info.value
    assert gdb.replies[0][0] == b"T0bthread:1;"  # SIGSEGV
    assert reg(gdb.replies[0][1]) == info.value.pc
    assert info.value.symbol is not None and info.value.symbol.startswith("poke")


def test_budget_stop_is_the_engines(machine: Machine, callee_elf: bytes) -> None:
    gdb = Gdb(machine, [[b"?", b"c"]])
    with pytest.raises(BudgetExceeded) as debugged:
        machine.call("spin", 10_000, budget=5_000)
    assert gdb.replies[0][0] == b"T18thread:1;"  # SIGXCPU
    plain = fresh(callee_elf, "translate")
    with pytest.raises(BudgetExceeded) as undebugged:
        plain.call("spin", 10_000, budget=5_000)
    assert (debugged.value.pc, debugged.value.count) == (undebugged.value.pc,
                                                         undebugged.value.count)
    assert machine.state_hash() == plain.state_hash()
    assert machine.resume() == plain.resume()
    assert machine.instret == plain.instret


def test_breakpoint_inside_a_block_and_kill(machine: Machine) -> None:
    twice = machine.program.functions["twice"]
    inside = twice + 4  # a pc inside twice's first block (not its start)
    gdb = Gdb(machine, [[b"k"]])
    gdb.stub.handle(b"Z0,%x,2" % inside)
    with pytest.raises(DebuggerKill):
        machine.call("twice", 3)
    assert gdb.stops[0].kind is StopKind.BREAKPOINT
    assert gdb.stops[0].pc == inside


def test_detach_gives_the_engine_back(machine: Machine) -> None:
    square = machine.program.functions["square"]
    gdb = Gdb(machine, [[b"D"]])
    gdb.stub.handle(b"Z0,%x,2" % square)
    assert machine.call("twice", 2) == 4 + 9
    assert len(gdb.stops) == 1 and gdb.replies[0] == [b"OK"]
    assert not gdb.debugger.breakpoints
    assert machine.call("twice", 2) == 13 and len(gdb.stops) == 1


def test_breakpoints_are_bounded(machine: Machine) -> None:
    stub = Gdb(machine, []).stub
    for i in range(MAX_BREAKPOINTS):
        assert stub.handle(b"Z0,%x,2" % (0x10000 + 2 * i)).payload == b"OK"
    assert stub.handle(b"Z0,ffff0,2").payload == b"E1c"
    assert stub.handle(b"z0,10000,2").payload == b"OK"
    assert stub.handle(b"Z0,ffff0,2").payload == b"OK"
    assert stub.handle(b"Z2,10000,4").payload == b""  # watchpoints: unsupported


def test_queries_for_threads_and_attach(machine: Machine) -> None:
    stub = Gdb(machine, []).stub
    assert stub.handle(b"qAttached").payload == b"1"
    assert stub.handle(b"qfThreadInfo").payload == b"m1"
    assert stub.handle(b"qsThreadInfo").payload == b"l"
    assert stub.handle(b"qC").payload == b"QC1"
    assert stub.handle(b"Hg0").payload == b"OK"
    assert stub.handle(b"vCont?").payload == b"vCont;c;C;s;S"
    assert stub.handle(b"vMustReplyEmpty").payload == b""
    no_ack = stub.handle(b"QStartNoAckMode")
    assert no_ack.payload == b"OK" and no_ack.no_ack
    assert stub.handle(b"k").kill and stub.handle(b"vKill;1").kill
    assert stub.handle(b"D").resume is Resume.DETACH
    assert stub.handle(b"s").resume is Resume.STEP
    assert stub.handle(b"C05").resume is Resume.CONTINUE
