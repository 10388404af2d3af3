"""The socket shell of the GDB stub: one gdb client debugging one machine over TCP.

``serve_gdb(machine, host, port)`` listens, waits for gdb (``target remote HOST:PORT``),
attaches a ``vm.debugger.Debugger`` and serves gdb while the machine is stopped there; when gdb
continues, it returns the ``GdbSession`` and the caller runs the machine as usual
(``run_main()``, ``call("on_tick", 7)``...): the guest code stops at breakpoints, steps, faults
and Ctrl-C, and gdb is served again each time. The caller ends the session with
``exited(status)`` or ``close()`` (gdb sees the program exit)::

    with serve_gdb(machine, "127.0.0.1", 1234) as gdb:
        status = machine.run_main()          # or hook calls, as many as wanted
        gdb.exited(status)

The session is single-threaded and blocking (a debugged program waits for its debugger). A
lost connection detaches: the machine runs on freely, with its engine.
"""

from __future__ import annotations

import select
import socket
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from .debugger import Debugger, DebuggerKill, Resume, Stop, StopKind
from .gdbproto import MAX_PACKET, Interrupt, Packet, PacketReader, frame
from .gdbstub import GdbStub

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["GdbListener", "GdbSession", "serve_gdb", "parse_address"]


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, or ``PORT``) as (host, port); host defaults to 127.0.0.1.

    Raises:
        ValueError: not an address.
    """
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    number = int(port)
    if not 0 <= number <= 0xFFFF:
        raise ValueError(f"port {number} out of range")
    return host or "127.0.0.1", number


class GdbListener:
    """A listening socket for one gdb client (``port`` is known before anyone connects, even
    with port 0)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.create_server((host, port))
        self.host = host
        self.port: int = self.sock.getsockname()[1]

    def accept(self, machine: Machine) -> GdbSession:
        """Wait for gdb, then serve it with ``machine`` stopped where it is, until gdb
        resumes it; the listening socket is closed (one client per session)."""
        try:
            conn, _ = self.sock.accept()
        finally:
            self.sock.close()
        session = GdbSession(machine, conn)
        session.start()
        return session

    def close(self) -> None:
        """Stop listening (if no client came)."""
        self.sock.close()


def serve_gdb(machine: Machine, host: str = "127.0.0.1", port: int = 0, *,
              announce: Callable[[str], None] | None = None) -> GdbSession:
    """Listen on ``host:port``, wait for gdb, serve it until it resumes ``machine``.

    Args:
        announce: called with ``"HOST:PORT"`` once listening (port 0 picks a free port).

    Returns:
        The session; run the machine, then ``exited(status)`` or ``close()``.
    """
    listener = GdbListener(host, port)
    if announce is not None:
        announce(f"{host}:{listener.port}")
    return listener.accept(machine)


class GdbSession:
    """gdb's connection, the machine's debugger and the stub between them.

    Args:
        machine: the machine to debug.
        conn: the connected socket (the session owns it).
    """

    def __init__(self, machine: Machine, conn: socket.socket) -> None:
        self.machine = machine
        self.conn: socket.socket | None = conn
        self.reader = PacketReader(max_packet=MAX_PACKET)
        self.debugger = Debugger(machine, self._on_stop, self._poll)
        self.stub = GdbStub(machine, self.debugger, max_packet=MAX_PACKET)
        self._pending: list[Packet | Interrupt] = []

    @property
    def connected(self) -> bool:
        """True while gdb is attached."""
        return self.conn is not None

    def start(self) -> None:
        """Attach the debugger and serve gdb with the machine stopped, until it resumes."""
        self.debugger.attach()
        self.debugger.stop_now(StopKind.ATTACH)

    # --- ending ----------------------------------------------------------------------------------

    def exited(self, status: int) -> None:
        """Tell gdb the program exited with ``status`` (``W`` packet) and end the session."""
        self._finish(b"W%02x" % (status & 0xFF))

    def killed(self, signal: int) -> None:
        """Tell gdb the program died of ``signal`` (``X`` packet) and end the session."""
        self._finish(b"X%02x" % (signal & 0x7F))

    def close(self) -> None:
        """End the session as if the program exited with status 0 (if gdb is still there)."""
        self.exited(0)

    def __enter__(self) -> GdbSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _finish(self, packet: bytes) -> None:
        if self.conn is not None:
            self._send(frame(packet))
        self._disconnect()

    def _disconnect(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
        if self.debugger.on_stop == self._on_stop:
            self.debugger.detach()

    # --- serving ---------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self.conn is None or not data:
            return
        try:
            self.conn.sendall(data)
        except OSError:
            self._lost()

    def _lost(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _receive(self) -> bool:
        """Read what gdb sent into ``_pending``; False if the connection is gone."""
        if self.conn is None:
            return False
        try:
            data = self.conn.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            self._lost()
            return False
        self._pending += self.reader.feed(data)
        self._send(self.reader.take_output())
        return True

    def _poll(self) -> bool:
        """While running: True if gdb sent an interrupt (Ctrl-C)."""
        if self.conn is None:
            return False
        try:
            ready, _, _ = select.select([self.conn], [], [], 0)
        except (OSError, ValueError):
            return False
        if ready and not self._receive():
            return False
        hit = any(isinstance(e, Interrupt) for e in self._pending)
        self._pending = [e for e in self._pending if not isinstance(e, Interrupt)]
        return hit

    def _on_stop(self, stop: Stop) -> Resume:
        """The debugger's controller: report the stop, answer packets until gdb resumes."""
        self.stub.stop = stop
        if stop.kind is not StopKind.ATTACH:
            self._send(frame(self.stub.stop_reply(stop)))
        while True:
            while self._pending:
                event = self._pending.pop(0)
                if isinstance(event, Interrupt):
                    continue  # already stopped
                reply = self.stub.handle(event.payload)
                if reply.payload is not None:
                    self._send(frame(reply.payload))
                if reply.no_ack:
                    self.reader.no_ack = True
                if reply.kill:
                    self._disconnect()
                    raise DebuggerKill()
                if reply.resume is Resume.DETACH:
                    self._disconnect()
                    return Resume.DETACH
                if reply.resume is not None:
                    return reply.resume
            if not self._receive():
                print("riscade-vm: gdb went away: running on", file=sys.stderr)
                return Resume.DETACH
