"""GDB's remote protocol commands for one machine, sans I/O: a payload in, a reply out.

``GdbStub.handle(payload)`` answers one packet (``vm.gdbproto`` frames it) and says whether
the machine should go on (``Resume``) or die (``kill``). It serves a single-threaded riscv:rv64
target described by ``TARGET_XML`` (x0-x31, pc, f0-f31, fflags, frm, fcsr):

    ?  g G p P  m M X  Z0/z0 (Z1/z1 alike)  s c S C vCont  k vKill D
    qSupported qXfer:features:read qAttached qC qfThreadInfo qsThreadInfo H T
    QStartNoAckMode vMustReplyEmpty, and the empty reply for anything else.

Memory access keeps the guest's permissions: reads in ``[base, end)``, writes from the first
writable address (code is never writable), anything else answers ``E0e`` (EFAULT). A
malformed packet answers ``E16`` (EINVAL); nothing a client sends raises.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .constants import M
from .debugger import Debugger, Resume, Stop, StopKind

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["GdbStub", "Reply", "TARGET_XML", "stop_signal", "SIGINT", "SIGTRAP"]

SIGINT, SIGTRAP = 2, 5
#: Error replies: EFAULT, EINVAL, ENOSPC (errno values in hex).
E_FAULT, E_INVAL, E_NOSPC = b"E0e", b"E16", b"E1c"

PC_REG = 32
F0_REG = 33
#: fflags, frm and fcsr: gdb numbers CSRs 65 + their number.
FFLAGS_REG, FRM_REG, FCSR_REG = 66, 67, 68
#: Register numbers in ``g`` order, with their sizes in bytes.
REGISTERS: tuple[tuple[int, int], ...] = (
    tuple((r, 8) for r in range(F0_REG + 32)) + ((FFLAGS_REG, 4), (FRM_REG, 4), (FCSR_REG, 4))
)
_SIZES = dict(REGISTERS)
_G_LEN = sum(size for _, size in REGISTERS)

_X_NAMES = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 "
            "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()
_F_NAMES = ("ft0 ft1 ft2 ft3 ft4 ft5 ft6 ft7 fs0 fs1 fa0 fa1 fa2 fa3 fa4 fa5 fa6 fa7 "
            "fs2 fs3 fs4 fs5 fs6 fs7 fs8 fs9 fs10 fs11 ft8 ft9 ft10 ft11").split()


def _target_xml() -> bytes:
    x_types = {1: "code_ptr", 2: "data_ptr", 3: "data_ptr", 4: "data_ptr", 8: "data_ptr"}
    cpu = "".join(
        f'<reg name="{name}" bitsize="64" type="{x_types.get(i, "int")}" regnum="{i}"/>'
        for i, name in enumerate(_X_NAMES))
    fpu = "".join(f'<reg name="{name}" bitsize="64" type="riscv_double" regnum="{F0_REG + i}"/>'
                  for i, name in enumerate(_F_NAMES))
    return (
        '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
        '<target version="1.0"><architecture>riscv:rv64</architecture>'
        f'<feature name="org.gnu.gdb.riscv.cpu">{cpu}'
        f'<reg name="pc" bitsize="64" type="code_ptr" regnum="{PC_REG}"/></feature>'
        '<feature name="org.gnu.gdb.riscv.fpu"><union id="riscv_double">'
        '<field name="float" type="ieee_single"/><field name="double" type="ieee_double"/>'
        f'</union>{fpu}'
        f'<reg name="fflags" bitsize="32" type="int" regnum="{FFLAGS_REG}" group="float"/>'
        f'<reg name="frm" bitsize="32" type="int" regnum="{FRM_REG}" group="float"/>'
        f'<reg name="fcsr" bitsize="32" type="int" regnum="{FCSR_REG}" group="float"/>'
        '</feature></target>'
    ).encode()


#: The target description gdb reads with ``qXfer:features:read:target.xml``.
TARGET_XML = _target_xml()


def stop_signal(stop: Stop) -> int:
    """The signal a stop is reported with: SIGTRAP for breakpoints and steps, SIGINT for an
    interrupt, the fault's own signal (``Fault.signal``: SIGSEGV, SIGILL...) for a fault."""
    if stop.kind is StopKind.INTERRUPT:
        return SIGINT
    if stop.kind is StopKind.FAULT and stop.fault is not None:
        return (stop.fault.signal & 0x7F) or SIGTRAP
    return SIGTRAP


@dataclass(frozen=True)
class Reply:
    """The answer to one packet: ``payload`` to send (None: send nothing), then ``resume`` the
    machine, or ``kill`` it, or turn no-ack mode on after sending."""

    payload: bytes | None
    resume: Resume | None = None
    kill: bool = False
    no_ack: bool = False


def _hex_int(text: bytes) -> int:
    """A non-negative hex number (ValueError if it is not one, or absurdly long)."""
    if not text or len(text) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in text):
        raise ValueError(text)
    return int(text, 16)


class GdbStub:
    """Answers GDB's packets for one machine under a ``Debugger``.

    Args:
        machine: the machine (registers and memory are read and written here).
        debugger: its debugger (breakpoints live there).
        max_packet: the ``PacketSize`` advertised; memory replies stay within it.
    """

    def __init__(self, machine: Machine, debugger: Debugger, *, max_packet: int) -> None:
        self.machine = machine
        self.state = machine.state
        self.debugger = debugger
        self.max_packet = max_packet
        #: The stop the machine is at (``?`` reports it).
        self.stop = Stop(StopKind.ATTACH, self.state.pc)

    def stop_reply(self, stop: Stop | None = None) -> bytes:
        """The stop reply for ``stop`` (default: the current one), e.g. ``T05thread:1;``."""
        return b"T%02xthread:1;" % stop_signal(stop or self.stop)

    # --- dispatch ------------------------------------------------------------------------------

    def handle(self, payload: bytes) -> Reply:
        """Answer one packet's payload; a malformed packet gets ``E16``, never an exception."""
        try:
            return self._dispatch(payload)
        except (ValueError, IndexError, struct.error, OverflowError):
            return Reply(E_INVAL)

    def _dispatch(self, p: bytes) -> Reply:
        if not p:
            return Reply(b"")
        head, rest = p[:1], p[1:]
        if head == b"?":
            return Reply(self.stop_reply())
        if head == b"g":
            return Reply(self._read_all())
        if head == b"G":
            return Reply(self._write_all(rest))
        if head == b"p":
            return Reply(self._read_reg(_hex_int(rest)))
        if head == b"P":
            reg, _, value = rest.partition(b"=")
            return Reply(self._write_reg(_hex_int(reg), value))
        if head == b"m":
            return Reply(self._read_mem(rest))
        if head == b"M":
            return Reply(self._write_mem(rest, binary=False))
        if head == b"X":
            return Reply(self._write_mem(rest, binary=True))
        if head in (b"Z", b"z"):
            return Reply(self._breakpoint(head == b"Z", rest))
        if head in (b"c", b"s", b"C", b"S"):
            return self._resume(head.lower() == b"s", rest, with_signal=head in (b"C", b"S"))
        if head == b"k":
            return Reply(None, kill=True)
        if head == b"D":
            return Reply(b"OK", resume=Resume.DETACH)
        if head == b"H" or head == b"T":
            return Reply(b"OK")
        if head == b"v":
            return self._v(p)
        if head == b"q" or head == b"Q":
            return self._query(p)
        return Reply(b"")

    # --- queries -------------------------------------------------------------------------------

    def _query(self, p: bytes) -> Reply:
        if p.startswith(b"qSupported"):
            return Reply(b"PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+"
                         % self.max_packet)
        if p.startswith(b"qXfer:features:read:"):
            return Reply(self._xfer(p[len(b"qXfer:features:read:"):]))
        if p.startswith(b"qAttached"):
            return Reply(b"1")
        if p == b"qC":
            return Reply(b"QC1")
        if p == b"qfThreadInfo":
            return Reply(b"m1")
        if p == b"qsThreadInfo":
            return Reply(b"l")
        if p == b"QStartNoAckMode":
            return Reply(b"OK", no_ack=True)
        if p.startswith(b"qSymbol"):
            return Reply(b"OK")
        return Reply(b"")

    def _xfer(self, args: bytes) -> bytes:
        annex, _, span = args.partition(b":")
        if annex != b"target.xml":
            return b"E00"
        off_text, _, len_text = span.partition(b",")
        off, length = _hex_int(off_text), _hex_int(len_text)
        length = min(length, self.max_packet - 16)
        chunk = TARGET_XML[off:off + length]
        return (b"m" if off + length < len(TARGET_XML) else b"l") + chunk

    def _v(self, p: bytes) -> Reply:
        if p == b"vCont?":
            return Reply(b"vCont;c;C;s;S")
        if p.startswith(b"vCont;"):
            # The first action names what our one thread does (a step wins over a continue).
            actions = [a.split(b":")[0][:1] for a in p[len(b"vCont;"):].split(b";")]
            if b"s" in actions or b"S" in actions:
                return Reply(None, resume=Resume.STEP)
            if b"c" in actions or b"C" in actions:
                return Reply(None, resume=Resume.CONTINUE)
            return Reply(E_INVAL)
        if p.startswith(b"vKill"):
            return Reply(b"OK", kill=True)
        return Reply(b"")

    # --- running -------------------------------------------------------------------------------

    def _resume(self, step: bool, rest: bytes, *, with_signal: bool) -> Reply:
        if with_signal:  # "C sig[;addr]": the signal is not delivered (there are none)
            _, _, rest = rest.partition(b";")
        if rest:
            self.state.pc = _hex_int(rest)
        return Reply(None, resume=Resume.STEP if step else Resume.CONTINUE)

    def _breakpoint(self, insert: bool, rest: bytes) -> bytes:
        kind, addr_text, *_ = rest.split(b",")
        if kind not in (b"0", b"1"):
            return b""  # watchpoints: not supported
        addr = _hex_int(addr_text)
        if not insert:
            self.debugger.breakpoints.discard(addr)
            return b"OK"
        return b"OK" if self.debugger.add_breakpoint(addr) else E_NOSPC

    # --- registers -----------------------------------------------------------------------------

    def _get(self, reg: int) -> int:
        state = self.state
        if reg < 32:
            return state.x[reg]
        if reg == PC_REG:
            return state.pc
        if F0_REG <= reg < F0_REG + 32:
            return state.f[reg - F0_REG]
        if reg == FFLAGS_REG:
            return state.fflags
        if reg == FRM_REG:
            return state.frm
        return (state.frm << 5) | state.fflags

    def _set(self, reg: int, value: int) -> None:
        state = self.state
        if 0 < reg < 32:
            state.x[reg] = value & M
        elif reg == PC_REG:
            state.pc = value & M
        elif F0_REG <= reg < F0_REG + 32:
            state.f[reg - F0_REG] = value & M
        elif reg == FFLAGS_REG:
            state.fflags = value & 0x1F
        elif reg == FRM_REG:
            state.frm = value & 7
        elif reg == FCSR_REG:
            state.fflags, state.frm = value & 0x1F, (value >> 5) & 7

    def _encode(self, reg: int) -> bytes:
        size = _SIZES[reg]
        return (self._get(reg) & ((1 << (8 * size)) - 1)).to_bytes(size, "little").hex().encode()

    def _read_all(self) -> bytes:
        return b"".join(self._encode(reg) for reg, _ in REGISTERS)

    def _read_reg(self, reg: int) -> bytes:
        if reg not in _SIZES:
            return b"E00"
        return self._encode(reg)

    def _write_all(self, data: bytes) -> bytes:
        raw = bytes.fromhex(data.decode("ascii"))
        if len(raw) != _G_LEN:
            return E_INVAL
        at = 0
        for reg, size in REGISTERS:
            self._set(reg, int.from_bytes(raw[at:at + size], "little"))
            at += size
        return b"OK"

    def _write_reg(self, reg: int, value: bytes) -> bytes:
        if reg not in _SIZES:
            return b"E00"
        raw = bytes.fromhex(value.decode("ascii"))
        if len(raw) != _SIZES[reg]:
            return E_INVAL
        self._set(reg, int.from_bytes(raw, "little"))
        return b"OK"

    # --- memory --------------------------------------------------------------------------------

    def _read_mem(self, args: bytes) -> bytes:
        addr_text, _, len_text = args.partition(b",")
        addr, length = _hex_int(addr_text), _hex_int(len_text)
        if length == 0:
            return E_INVAL
        memory = self.machine.memory
        # Within the packet size, and up to the end of memory (a short read is allowed).
        length = min(length, (self.max_packet - 4) // 2, max(0, memory.end - addr))
        if length == 0 or not memory.readable(addr, length):
            return E_FAULT
        return memory.read(addr, length).hex().encode()

    def _write_mem(self, args: bytes, *, binary: bool) -> bytes:
        where, sep, data = args.partition(b":")
        if not sep:
            return E_INVAL
        addr_text, _, len_text = where.partition(b",")
        addr, length = _hex_int(addr_text), _hex_int(len_text)
        raw = data if binary else bytes.fromhex(data.decode("ascii"))
        if len(raw) != length:
            return E_INVAL
        if length == 0:
            return b"OK"
        memory = self.machine.memory
        if not memory.writable(addr, length):
            return E_FAULT
        memory.write(addr, raw)
        return b"OK"
