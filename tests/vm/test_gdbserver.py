"""The GDB stub's socket shell (vm.gdbserver) on loopback, with a hand-played client: hostile
bytes are survived, a program runs to its exit under the client, Ctrl-C interrupts a loop."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from vm import Machine, StoreFault
from vm.debugger import Debugger, Resume, Stop, StopKind
from vm.gdbproto import MAX_PACKET, Packet, PacketReader, frame
from vm.gdbserver import GdbListener, parse_address

TIMEOUT = 30


class Client:
    """A minimal gdb: sends packets, reads replies."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.reader = PacketReader()
        self.pending: list[bytes] = []

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        while not self.pending:
            data = self.sock.recv(65536)
            assert data, "the stub closed the connection"
            self.pending += [e.payload for e in self.reader.feed(data) if isinstance(e, Packet)]
        return self.pending.pop(0)

    def ask(self, payload: bytes) -> bytes:
        self.send_raw(frame(payload))
        return self.reply()


def serve_in_thread(machine: Machine, work: Callable[[], object]) -> tuple[
        GdbListener, threading.Thread, list[object]]:
    """Listen; in a thread, accept and then run ``work`` (the debugged program's host)."""
    listener = GdbListener("127.0.0.1", 0)
    outcome: list[object] = []

    def host() -> None:
        session = listener.accept(machine)
        try:
            outcome.append(work())
        except Exception as exc:  # the test looks at it
            outcome.append(exc)
        finally:
            status = outcome[-1] if outcome and isinstance(outcome[-1], int) else 0
            session.exited(status)

    thread = threading.Thread(target=host, daemon=True)
    thread.start()
    return listener, thread, outcome


def test_hostile_bytes_then_a_run_to_exit(callee_elf: bytes) -> None:
    machine = Machine(callee_elf, stdout=None)
    listener, thread, outcome = serve_in_thread(machine, machine.run_main)
    gdb = Client(listener.port)
    # Garbage between packets, bad checksums, non-hex, an oversize packet, a huge length.
    gdb.send_raw(b"+++---garbage\x00\xff" + b"$g#00" + b"$m1,zz#" + b"%02x" % 0)
    gdb.send_raw(b"$" + b"A" * (MAX_PACKET * 4) + b"#00")
    assert gdb.ask(b"m0,ffffffffffffffff") == b"E0e"
    assert gdb.ask(b"mzz,4") == b"E16"
    assert gdb.ask(b"X1,ffffffff:") == b"E16"
    assert gdb.ask(b"qSupported:xmlRegisters=i386").startswith(b"PacketSize=")
    assert gdb.ask(b"?") == b"T05thread:1;"
    assert len(gdb.ask(b"g")) == 2 * (65 * 8 + 3 * 4)
    assert gdb.ask(b"QStartNoAckMode") == b"OK"
    gdb.reader.no_ack = True
    assert gdb.ask(b"vCont;c") == b"W00"  # callee's main returns 0
    thread.join(TIMEOUT)
    assert outcome == [0]
    assert bytes(machine.stdout) == b"callee ready\n"


def test_interrupt_stops_a_loop_and_gdb_going_away_detaches(callee_elf: bytes) -> None:
    machine = Machine(callee_elf, stdout=None)
    machine.run_main()
    plain = Machine(callee_elf, stdout=None)
    plain.run_main()
    expected = plain.call("spin", 300_000)
    listener, thread, outcome = serve_in_thread(machine, lambda: machine.call("spin", 300_000))
    gdb = Client(listener.port)
    gdb.send_raw(frame(b"c"))  # no reply until it stops
    gdb.send_raw(b"\x03")
    assert gdb.reply() == b"T02thread:1;"  # SIGINT
    pc = int.from_bytes(bytes.fromhex(gdb.ask(b"p20").decode()), "little")
    assert machine.program.functions["spin"] <= pc < machine.program.functions["spin"] + 64
    gdb.sock.close()  # gdb goes away: the machine runs on, undebugged
    thread.join(TIMEOUT)
    assert outcome == [expected]
    assert machine.instret == plain.instret


def test_the_debugger_polls_for_interrupts(callee_elf: bytes) -> None:
    machine = Machine(callee_elf)
    machine.run_main()
    stops: list[Stop] = []
    polls = iter([False, True])

    def on_stop(stop: Stop) -> Resume:
        stops.append(stop)
        return Resume.CONTINUE

    debugger = Debugger(machine, on_stop, poll=lambda: next(polls, False))
    debugger.attach()
    debugger._countdown = 1
    assert machine.call("spin", 50_000) == sum(range(50_000))
    assert [s.kind for s in stops] == [StopKind.INTERRUPT]


@pytest.mark.parametrize(("text", "address"), [
    ("127.0.0.1:1234", ("127.0.0.1", 1234)), (":99", ("127.0.0.1", 99)),
    ("4000", ("127.0.0.1", 4000)), ("[::1]:5", ("::1", 5)),
])
def test_parse_address(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "host:", "host:x", "host:70000", "host:-1"])
def test_parse_address_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)


def test_a_fault_leaving_the_session_block_is_a_signal_death(callee_elf: bytes) -> None:
    machine = Machine(callee_elf)
    machine.run_main()
    listener = GdbListener("127.0.0.1", 0)
    raised: list[BaseException] = []

    def host() -> None:
        try:
            with listener.accept(machine):
                machine.call("poke", 8)
        except StoreFault as exc:
            raised.append(exc)

    thread = threading.Thread(target=host, daemon=True)
    thread.start()
    gdb = Client(listener.port)
    assert gdb.ask(b"c") == b"T0bthread:1;"  # stopped at the fault first
    assert gdb.ask(b"c") == b"X0b"  # then the program dies of SIGSEGV
    thread.join(TIMEOUT)
    assert len(raised) == 1
