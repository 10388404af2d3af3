"""One client connection of the game server: its link, its outbox and the task that writes it,
and how a connection ends (``End``: the Bye code and reason, the websocket close code)."""

from __future__ import annotations

import asyncio
import contextlib

import websockets
from websockets.asyncio.server import ServerConnection

from protocol import Code, Limits, Link, Role

from .metrics import ServerMetrics
from .names import shown
from .ratelimit import PlayerRates

__all__ = ["Connection", "End", "close_text", "ws_reason"]


class End(Exception):
    """Ends one connection: the Bye code and reason it gets, and the websocket close code."""

    def __init__(self, code: Code, reason: str, ws_code: int) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.ws_code = ws_code


def ws_reason(text: str) -> str:
    """``text`` cut to fit a websocket close frame (at most 123 bytes of UTF-8)."""
    return text.encode("utf-8", "replace")[:120].decode("utf-8", "ignore")


def close_text(code: int, reason: str) -> str:
    """What a close frame websockets sent on its own means, for a log line."""
    if code == 1011 and "keepalive" in reason:
        return "keepalive ping timeout: no pong in time"
    if code == 1009:
        return "message too big (1009)"
    return f"closed ({code} {shown(reason, 80)})"


class Connection:
    """One client connection: its link, its outbox and who it is."""

    def __init__(self, ws: ServerConnection, limits: Limits, outbox_messages: int,
                 metrics: ServerMetrics | None = None) -> None:
        self.ws = ws
        self.metrics = metrics
        address = ws.remote_address
        self.address = str(address[0]) if address else "?"
        self.peer = f"{address[0]}:{address[1]}" if address else "?"
        self.link = Link(Role.SERVER, limits=limits)
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue(outbox_messages)
        self.queued_bytes = 0  # bytes in the outbox and in the send under way
        self._sent = asyncio.Event()
        self.pid: int | None = None
        self.name = "?"
        self.admin = False  # it sent the server's admin token
        self.joined = False  # its player is (or joins) the world: it gets a grace period
        self.kicked = False  # an admin removed it: it leaves at once
        self.rates: PlayerRates | None = None
        self.playing = False
        self.dropped = False
        self.ending = False  # the reason was logged and a Bye queued: log nothing more
        self.close_code = 1000
        self.close_reason = ""
        self.resync_wanted = False
        self.resynced_at: int | None = None
        self.writer_task: asyncio.Task[None] | None = None

    @property
    def who(self) -> str:
        """The peer, and the player if there is one, for log lines."""
        if self.pid is None:
            return self.peer
        return f"{self.peer} player {self.pid} {shown(self.name)}"

    def push(self, data: bytes) -> bool:
        """Queue ``data``; False (and the connection marked dropped) if the outbox is full."""
        if self.dropped:
            return False
        try:
            self.outbox.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        self.queued_bytes += len(data)
        return True

    def finish(self, ws_code: int, reason: str) -> None:
        """After what is queued, close the websocket with ``ws_code``."""
        self.close_code, self.close_reason = ws_code, ws_reason(reason)
        self.ending = True
        with contextlib.suppress(asyncio.QueueFull):
            self.outbox.put_nowait(None)

    async def drained(self, limit: int) -> None:
        """Wait until at most ``limit`` bytes are queued (or the connection is gone)."""
        while self.queued_bytes > limit and not self.dropped:
            self._sent.clear()
            await self._sent.wait()

    async def writer(self) -> None:
        """Send what is queued, in order; on the end marker, close with the chosen code."""
        try:
            while True:
                data = await self.outbox.get()
                if data is None:
                    await self.ws.close(self.close_code, self.close_reason)
                    return
                await self.ws.send(data)
                if self.metrics is not None:
                    self.metrics.sent_bytes += len(data)
                self.queued_bytes -= len(data)
                self._sent.set()
        except websockets.ConnectionClosed:
            self.dropped = True
        finally:
            self._sent.set()
