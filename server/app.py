"""The asyncio shell of the server: websockets in, ticks out.

Each connection is its own task and owns a bounded outbox drained by its own writer task, so
a slow or misbehaving client never stalls the tick loop or the others: when its outbox is
full it is disconnected. A connection walks the protocol ``Link``: Hello → Welcome (or
Refusal) → the missing mods → Ready → Snapshot → Ticks. Anything a client does wrong closes
that connection only, with a ``Bye`` naming the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.server import ServerConnection

from game.simulation import ALL_PLAYERS, ModImage, Simulation
from protocol import (
    DEFAULT_LIMITS,
    SUPPORTED_VERSIONS,
    Bye,
    Chat,
    Code,
    Desync,
    Hello,
    Input,
    Limits,
    Link,
    ModBlob,
    ModEntry,
    Player,
    ProtocolError,
    Ready,
    Refusal,
    Role,
    Tick,
    TickChat,
    TickInput,
    Welcome,
    encode,
    negotiate,
    split_snapshot,
)
from vm import VM_ABI

from .room import Room, tick_hash

__all__ = ["ServedMod", "GameServer"]

log = logging.getLogger("riscade.server")

#: Messages queued for one client before it counts as too slow and is dropped.
OUTBOX_LIMIT = 256
HANDSHAKE_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServedMod:
    """A built mod as the server serves it: manifest entry, image and compressed blob."""

    entry: ModEntry
    image: ModImage
    blob: bytes


class _Conn:
    """One client connection: its link, its outbox and who it is."""

    def __init__(self, ws: ServerConnection, limits: Limits) -> None:
        self.ws = ws
        self.link = Link(Role.SERVER, limits=limits)
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue(OUTBOX_LIMIT)
        self.pid: int | None = None
        self.name = "?"
        self.playing = False
        self.dropped = False

    def push(self, data: bytes) -> bool:
        """Queue ``data``; False (and the connection marked dropped) if the outbox is full."""
        if self.dropped:
            return False
        try:
            self.outbox.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True

    async def writer(self) -> None:
        while True:
            data = await self.outbox.get()
            if data is None:
                return
            await self.ws.send(data)


@dataclass
class GameServer:
    """The game server: serves mods and runs the authoritative tick loop."""

    mods: list[ServedMod]
    seed: int = 1
    tick_rate: int = 20
    limits: Limits = DEFAULT_LIMITS
    host_abi: str = ""
    on_log: Callable[[str], None] = print
    on_tick: Callable[[int, str], None] | None = None  # (tick, state hash) after each tick
    room: Room = field(init=False)
    port: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        sim = Simulation([m.image for m in self.mods], seed=self.seed, side="server",
                         on_log=lambda mod, text: self.on_log(f"[{mod}] {text}"))
        self.room = Room(sim)
        self._print_mod_chat()  # what the mods said while starting
        self._conns: list[_Conn] = []
        self._want_snapshot: list[_Conn] = []
        self._blobs = {m.entry.sha256: m for m in self.mods}
        self._server: websockets.asyncio.server.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.stats = {"connections": 0, "mod_bytes_sent": 0, "refused": 0, "dropped": 0,
                      "desyncs_reported": 0}

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0: any free port) and start ticking; returns the port."""
        self._server = await websockets.serve(
            self._handle, host, port, max_size=self.limits.max_message_size,
            compression=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ticker = asyncio.create_task(self._tick_loop())
        return self.port

    async def stop(self) -> None:
        """Stop ticking, say goodbye to everyone, close. Safe to call twice."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for conn in list(self._conns):
            self._say_bye(conn, Code.SHUTDOWN, "the server is stopping")
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # --- ticking ------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.tick_rate
        next_at = loop.time()
        while True:
            next_at += period
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = loop.time()  # running late: do not try to catch up in a burst
                await asyncio.sleep(0)
            try:
                self.step()
            except Exception:
                log.exception("the tick loop failed at tick %d", self.room.tick + 1)
                self.on_log(f"FATAL: the tick loop failed at tick {self.room.tick + 1}; "
                            "see the traceback above")
                raise

    @property
    def running(self) -> bool:
        """True while the tick loop runs."""
        return self._ticker is not None and not self._ticker.done()

    def step(self) -> None:
        """Send pending snapshots, close one tick and broadcast it (synchronous, no I/O wait)."""
        if self._want_snapshot:
            self._send_snapshots()
        closed = self.room.close_tick()
        ticked = closed.inputs
        if self.on_tick is not None:
            self.on_tick(ticked.tick, closed.state_hash)
        msg = Tick(
            tick=ticked.tick,
            state_hash=closed.state_hash,
            inputs=tuple(TickInput(player_id=pid, buttons=b) for pid, b in ticked.inputs),
            joins=tuple(Player(id=pid, name=name) for pid, name in ticked.joins),
            leaves=ticked.leaves,
            chats=tuple(TickChat(player_id=pid, text=text) for pid, text in ticked.chats),
        )
        data = encode(msg, limits=self.limits)
        for conn in self._conns:
            if conn.playing:
                self._push(conn, conn.link.send(msg, encoded=data))
        self._print_mod_chat()

    def _print_mod_chat(self) -> None:
        """Show the lines the mods sent in the last tick on the console. (Players get them
        from their own simulations, which produce the same lines.)"""
        for line in self.room.sim.mod_chat:
            to = "everyone" if line.player == ALL_PLAYERS else f"player {line.player}"
            self.on_log(f"[{line.mod}] chat to {to}: {line.text}")

    def _send_snapshots(self) -> None:
        """Send the state to every connection waiting for one (joining, or resynchronising).

        The snapshot is compressed and encoded once: a ``Snapshot`` and as many
        ``SnapshotPart`` messages as it needs, each within ``max_message_size``, at most about
        a quarter of ``OUTBOX_LIMIT`` of them. They are queued one after the other in each
        outbox here, between two ticks, so no ``Tick`` comes between them. Nothing raises into
        the tick loop: a snapshot that cannot be sent turns its waiters away with a ``Bye``,
        a connection whose link refuses it is dropped alone.
        """
        waiting = [conn for conn in self._want_snapshot if conn in self._conns]
        self._want_snapshot.clear()
        if not waiting:
            return
        players = tuple(Player(id=pid, name=name)
                        for pid, name in sorted(self.room.players.items()))
        try:
            msgs = split_snapshot(tick=self.room.tick, state=self.room.sim.snapshot(),
                                  state_hash=tick_hash(self.room.sim), players=players,
                                  limits=self.limits, max_parts=OUTBOX_LIMIT // 4)
            encoded = [encode(msg, limits=self.limits) for msg in msgs]
        except ProtocolError as exc:  # a state over our own limits: nobody can get it
            self.on_log(f"cannot send the snapshot of tick {self.room.tick}: {exc}")
            for conn in waiting:
                self._say_bye(conn, Code.SERVER_ERROR, "the server cannot send its state")
                self._forget(conn)
            return
        for conn in waiting:
            try:
                for msg, data in zip(msgs, encoded, strict=True):
                    self._push(conn, conn.link.send(msg, encoded=data))
                    if conn.dropped:
                        break
                else:
                    conn.playing = True
            except ProtocolError as exc:  # this link is closed or failed: drop it alone
                self.on_log(f"player {conn.pid} ({conn.name}): no snapshot sent: {exc}")
                self._forget(conn)

    def _push(self, conn: _Conn, data: bytes) -> None:
        if not conn.push(data):
            self.stats["dropped"] += 1
            self.on_log(f"player {conn.pid} ({conn.name}) is too slow: disconnected")
            self._forget(conn)
            asyncio.get_running_loop().create_task(conn.ws.close(1008, "too slow"))

    def _forget(self, conn: _Conn) -> None:
        if conn in self._conns:
            self._conns.remove(conn)
            if conn.pid is not None:
                self.room.leave(conn.pid)

    def _say_bye(self, conn: _Conn, code: Code, reason: str) -> None:
        with contextlib.suppress(ProtocolError):
            conn.push(conn.link.send(Bye(code=code, reason=reason)))
        with contextlib.suppress(asyncio.QueueFull):
            conn.outbox.put_nowait(None)

    # --- one connection -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        conn = _Conn(ws, self.limits)
        self.stats["connections"] += 1
        writer = asyncio.create_task(conn.writer())
        try:
            if await self._handshake(conn):
                await self._play(conn)
        except ProtocolError as exc:
            self.on_log(f"connection {conn.pid or '-'}: protocol error: {exc}")
            self._say_bye(conn, Code.PROTOCOL_ERROR, str(exc)[:900])
        except TimeoutError:
            self._say_bye(conn, Code.TIMEOUT, "no answer in time")
        except websockets.ConnectionClosed:
            pass
        finally:
            self._forget(conn)
            with contextlib.suppress(asyncio.QueueFull):
                conn.outbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 5)
            writer.cancel()
            await ws.close()

    async def _handshake(self, conn: _Conn) -> bool:
        hello = conn.link.receive(await asyncio.wait_for(conn.ws.recv(), HANDSHAKE_TIMEOUT))
        if not isinstance(hello, Hello):  # the link admits only Hello or Bye here
            return False
        version = negotiate(hello.protocol_versions, SUPPORTED_VERSIONS)
        refusal = None
        if version is None:
            refusal = (Code.VERSION, f"no common protocol version: you speak "
                       f"{list(hello.protocol_versions)}, this server {list(SUPPORTED_VERSIONS)}")
        elif hello.vm_abi != VM_ABI:
            refusal = (Code.VM_ABI, f"VM ABI mismatch: you run {hello.vm_abi!r}, "
                       f"this server {VM_ABI!r}")
        elif hello.host_abi != self.host_abi:
            refusal = (Code.HOST_ABI, f"host ABI mismatch: you have {hello.host_abi[:12]}, "
                       f"the mods need {self.host_abi[:12]}")
        if refusal is not None:
            self.stats["refused"] += 1
            self.on_log(f"refused {hello.name!r}: {refusal[1]}")
            conn.push(conn.link.send(Refusal(code=refusal[0], reason=refusal[1])))
            return False
        conn.name = hello.name
        conn.pid = self.room.reserve()
        cached = set(hello.cached_mods)
        sending = tuple(m.entry.sha256 for m in self.mods if m.entry.sha256 not in cached)
        conn.push(conn.link.send(Welcome(
            protocol_version=version, player_id=conn.pid, tick_rate=self.tick_rate,
            manifest=tuple(m.entry for m in self.mods), sending=sending,
        )))
        for sha in sending:
            served = self._blobs[sha]
            conn.push(conn.link.send(ModBlob(sha256=sha, size=served.entry.size,
                                             data=served.blob)))
            self.stats["mod_bytes_sent"] += len(served.blob)
        ready = conn.link.receive(await asyncio.wait_for(conn.ws.recv(), HANDSHAKE_TIMEOUT))
        if not isinstance(ready, Ready):  # a Bye: the client could not verify its mods
            self.on_log(f"player {conn.pid} ({conn.name}) gave up joining: "
                        f"{getattr(ready, 'reason', '')}")
            return False
        self.room.admit(conn.pid, conn.name)
        self._conns.append(conn)
        self._want_snapshot.append(conn)
        self.on_log(f"player {conn.pid} ({conn.name}) joined; sent {len(sending)} of "
                    f"{len(self.mods)} mods")
        return True

    async def _play(self, conn: _Conn) -> None:
        assert conn.pid is not None
        async for data in conn.ws:
            if not isinstance(data, bytes):
                raise websockets.ConnectionClosed(None, None)
            msg = conn.link.receive(data)
            if isinstance(msg, Input):
                self.room.set_input(conn.pid, msg.buttons)
            elif isinstance(msg, Chat):
                self.room.chat(conn.pid, msg.text)
            elif isinstance(msg, Desync):
                self.stats["desyncs_reported"] += 1
                self.on_log(f"player {conn.pid} ({conn.name}) desynced at tick {msg.tick}: "
                            "sending a snapshot")
                if conn not in self._want_snapshot:
                    self._want_snapshot.append(conn)
            elif isinstance(msg, Bye):
                self.on_log(f"player {conn.pid} ({conn.name}) left: {msg.reason}")
                return
