"""GDB remote serial protocol framing, sans I/O: bytes in, packets and bytes out.

A packet on the wire is ``$payload#cc`` (``cc``: the modulo-256 sum of the payload's bytes,
two hex digits). The receiver answers ``+`` (good) or ``-`` (send again) until no-ack mode is
on. ``}`` escapes the next byte (XOR 0x20); a lone ``\\x03`` outside a packet is an interrupt
(Ctrl-C). ``PacketReader`` turns a byte stream into ``Packet``/``Interrupt`` events and the
acknowledgements to send; ``frame`` builds an outgoing packet. Nothing here owns a socket.

A hostile peer cannot make the reader hold more than ``max_packet`` bytes: a longer packet is
dropped whole (answered ``-``), as is one with a bad checksum or bad checksum digits.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Packet", "Interrupt", "PacketReader", "frame", "checksum", "escape", "unescape",
           "MAX_PACKET"]

#: The largest packet payload we accept (and advertise as ``PacketSize``).
MAX_PACKET = 0x4000

_ESCAPED = frozenset(b"$#}*")


def checksum(data: bytes) -> int:
    """The modulo-256 sum of ``data``."""
    return sum(data) & 0xFF


def escape(payload: bytes) -> bytes:
    """``payload`` with ``$ # } *`` escaped (``}`` then the byte XOR 0x20)."""
    if not any(b in _ESCAPED for b in payload):
        return payload
    out = bytearray()
    for b in payload:
        if b in _ESCAPED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Undo ``escape`` (a trailing lone ``}`` is dropped)."""
    if b"}" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    """The packet carrying ``payload`` on the wire: ``$`` escaped payload ``#`` checksum."""
    body = escape(payload)
    return b"$" + body + b"#%02x" % checksum(body)


@dataclass(frozen=True, slots=True)
class Packet:
    """A packet received intact; ``payload`` is unescaped."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Interrupt:
    """The peer sent ``\\x03`` (Ctrl-C) between packets."""


Event = Packet | Interrupt

_HEX = frozenset(b"0123456789abcdefABCDEF")


class PacketReader:
    """Reassembles packets from bytes, however they are split.

    ``feed(data)`` returns the events completed by ``data``; ``take_output()`` the
    acknowledgements to send (nothing once ``no_ack`` is True).

    Args:
        max_packet: the longest payload kept (escaped, as on the wire); longer ones are
            dropped and answered ``-``.
    """

    def __init__(self, *, max_packet: int = MAX_PACKET) -> None:
        self.max_packet = max_packet
        self.no_ack = False
        #: Packets dropped so far (bad checksum, too long).
        self.dropped = 0
        self._out = bytearray()
        self._body = bytearray()
        self._state = 0  # 0: between packets, 1: payload, 2/3: checksum digits
        self._sum_digits = bytearray()
        self._oversize = False

    def take_output(self) -> bytes:
        """The bytes to send to the peer (acknowledgements); cleared."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def feed(self, data: bytes) -> list[Event]:
        """Consume ``data``; the packets and interrupts it completed, in order."""
        events: list[Event] = []
        i, n = 0, len(data)
        while i < n:
            if self._state == 0:
                start = data.find(b"$", i)
                stray = data[i:] if start < 0 else data[i:start]
                if 3 in stray:
                    events.append(Interrupt())
                if start < 0:
                    return events
                i = start + 1
                self._state = 1
                self._body.clear()
                self._oversize = False
            elif self._state == 1:
                end = data.find(b"#", i)
                restart = data.find(b"$", i, None if end < 0 else end)
                if restart >= 0:  # a new packet began inside this one: resynchronise
                    self.dropped += 1
                    self._body.clear()
                    self._oversize = False
                    i = restart + 1
                    continue
                chunk = data[i:] if end < 0 else data[i:end]
                if not self._oversize:
                    if len(self._body) + len(chunk) > self.max_packet:
                        self._oversize = True
                        self._body.clear()
                    else:
                        self._body += chunk
                if end < 0:
                    return events
                i = end + 1
                self._state = 2
                self._sum_digits.clear()
            else:
                self._sum_digits.append(data[i])
                i += 1
                if len(self._sum_digits) == 2:
                    self._state = 0
                    event = self._finish()
                    if event is not None:
                        events.append(event)
        return events

    def _finish(self) -> Packet | None:
        digits = bytes(self._sum_digits)
        body = bytes(self._body)
        ok = (not self._oversize and all(d in _HEX for d in digits)
              and int(digits, 16) == checksum(body))
        if not ok:
            self.dropped += 1
            if not self.no_ack:
                self._out += b"-"
            return None
        if not self.no_ack:
            self._out += b"+"
        return Packet(unescape(body))
