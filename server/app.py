"""The asyncio shell of the server: websockets in, ticks out.

The rule this module keeps: **nothing one connection does can raise into the tick loop.**

- Limits are enforced where a message is accepted (``Handshake.accept``, ``Room.chat``, the
  per-player ``PlayerRates``, ``Admission``), never first discovered when a tick is encoded.
- Every decision is the lockstep core's (``lockstep.handshake`` decides who joins and which
  mods they get, ``lockstep.room`` what a tick holds); this module moves bytes, runs the
  timers and the tick clock, and logs.
- The tick is broadcast over a copy of the connections, and one connection's failure to take
  it (its link refuses, its outbox is full) drops that connection alone.
- Each connection owns a bounded outbox drained by its own writer task, so a slow client
  never stalls the tick loop; when its outbox is full it is dropped. Mod blobs are queued
  only as the client takes them (``ServerPolicy.blob_bytes_in_flight``).
- If ``step`` itself fails (a bug on our side), the server does not run on half-alive with a
  world in an unknown state: it logs the traceback once, says ``Bye(shutdown)`` with the
  reason to everyone, stops accepting players, and ``running`` turns False (``riscade serve``
  then exits 1). ``stop`` never raises.

Hot reload: ``reload(mod)`` takes a new build of a running mod (``server.watch`` makes them)
and lets ``lockstep.reload`` decide what it replaces and ``Room`` when; the next tick
announces it, a client that lacks the build sends ``Fetch`` and gets its ``ModBlob``, and at
the announced tick every machine swaps it in. From the announcement on, a joiner's
``Welcome`` lists the new builds, and snapshots wait until the swap (so a joiner's mods are
those of its snapshot); one welcomed before the announcement and not yet in the game when
it happens is told to join again (``Code.RELOADED``).

World file (``world``, ``server.persist``): each tick is recorded before it is broadcast (so
no client is ever ahead of the file), a recorded game goes on from its last tick, and
``save_world`` snapshots it now (``stop`` does, then closes it).

A connection walks the protocol ``Link``: Hello → Welcome (or Refusal) → the missing mods →
Ready → Snapshot → Ticks. Anything a client does wrong closes that connection only, with a
``Bye`` naming the reason, a close code that says what happened (1000 quit, 1001 server
stopping, 1002 protocol error, 1003 text frame, 1008 policy: kicked, refused, too slow,
timeout, 1009 message too big, 1011 keepalive timeout, 1013 full or too many connections
from one address) and a log line (logger ``riscade.server``) naming the peer address.
``on_log`` is the game's own account: what the mods log and say.

Identity (``server.identity``): every ``Welcome`` carries the player's token. A player who
has joined and loses its connection (for any reason but a kick or a ban) keeps its slot,
entity, name and score for ``grace_ticks`` ticks, idle (its buttons are set to 0); a
``Hello`` with its token within that time plays as the same player id again (it gets the
snapshot like any joiner), and after it the player leaves the game. A kept slot yields to a
new player when the server is full (the one whose grace period ends first). A token of a connected
player is refused (``Code.TAKEN``), an unknown one makes a new player. Before anything is
held, a ``Hello`` must come from an address and with a token that are not banned
(``Code.BANNED``), and carry the server's password if it has one and, if it carries an admin
token, the right one (``Code.PASSWORD``); ``policy.wrong_secret_limit`` wrong ones from an
address within a window lock it out for ``policy.lockout_ticks`` ticks (``Lockout``).
Admins' chat lines that are admin commands (``server.admin``) are run here, logged, and
answered with a ``Notice``; they never reach the game. Nobody else may run them ("not allowed").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import websockets
from websockets.asyncio.server import Server, ServerConnection
from websockets.http11 import Request, Response

from game.rules import LOG_LINE_LENGTH
from game.simulation import ALL_PLAYERS, ModImage, Simulation
from game.text import printable
from lockstep import tick_message
from lockstep.admission import Admission, Lockout, origin_allowed
from lockstep.handshake import Handshake, refusal
from lockstep.hello import check_hello
from lockstep.policy import DEFAULT_POLICY, ServerPolicy
from lockstep.reload import ReloadRefused, plan_reload
from lockstep.room import Room
from lockstep.wire import reason_text
from mods.debuginfo import SourceLocator
from protocol import (
    DEFAULT_LIMITS,
    Bye,
    Chat,
    Code,
    Desync,
    Fetch,
    Hello,
    Input,
    Limits,
    Message,
    MessageTooLarge,
    ModBlob,
    ModEntry,
    Notice,
    Player,
    ProtocolError,
    Ready,
    Refusal,
    Reload,
    encode,
    split_snapshot,
)
from web.assets import WebClient

from .admin import is_admin_line, run
from .connection import Connection, End, close_text, ws_reason
from .http import Routes, is_upgrade
from .identity import DEFAULT_GRACE_TICKS, Credentials, Identities
from .metrics import ServerMetrics
from .names import shown
from .persist import WorldRecorder
from .ratelimit import PlayerRates
from .status import add_routes

__all__ = ["ServedMod", "GameServer"]

log = logging.getLogger("riscade.server")

#: Seconds the handler waits for a connection's writer to flush its last messages.
FLUSH_TIMEOUT = 5.0


@dataclass(frozen=True)
class ServedMod:
    """A built mod as the server serves it: manifest entry, image and compressed blob, and
    the build's debug file (``mods.debuginfo``; only the server's fault lines read it)."""

    entry: ModEntry
    image: ModImage
    blob: bytes
    debug: Path | None = None


@dataclass
class GameServer:
    """The game server: serves mods and runs the authoritative tick loop.

    Args:
        mods: the mods served, in load order.
        seed: the world's seed.
        tick_rate: ticks per second.
        limits: the protocol's limits (shared with clients).
        policy: the server's limits on connections (admission, timeouts, rates).
        host_abi: the host-call ABI the mods were built against.
        on_log: the game's account: lines the mods log and say.
        on_tick: called with (tick, state hash) after each tick.
        stop_after: stop ticking once this tick is closed (``None``: run until ``stop``).
        stored: the mods' persistent storage a new game starts from (``storage_bytes``).
        web: the browser client's files, served by plain HTTP GETs on the same port
            (``http``: the route table, ``server.http``; add a route with ``http.add``).
        world: the world file that keeps the game (``server.persist``): a recorded game goes
            on from its last tick, and every tick is recorded.

    Raises:
        GameError: the mods do not start together.
        WorldError, WorldFileError: ``world``'s game cannot go on with these mods.
        credentials: the server's password and admin token, if any.
        grace_ticks: ticks a disconnected player's slot is kept for its token.
        rebuild_mod: builds mod NAME afresh and hot-reloads it (``ModWatcher.reload_one``),
            for the admin's ``/reload``; the outcome in one line. ``None``: not available.
    """

    mods: list[ServedMod]
    seed: int = 1
    tick_rate: int = 20
    limits: Limits = DEFAULT_LIMITS
    policy: ServerPolicy = DEFAULT_POLICY
    host_abi: str = ""
    on_log: Callable[[str], None] = print
    on_tick: Callable[[int, str], None] | None = None  # (tick, state hash) after each tick
    stop_after: int | None = None
    stored: bytes = field(default=b"", repr=False)
    web: WebClient = field(default_factory=WebClient, repr=False)
    http: Routes = field(init=False, repr=False)
    world: WorldRecorder | None = None
    credentials: Credentials = field(default_factory=Credentials)
    grace_ticks: int = DEFAULT_GRACE_TICKS
    rebuild_mod: Callable[[str], Awaitable[str]] | None = None
    room: Room = field(init=False)
    handshake: Handshake = field(init=False)
    port: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.http = Routes()
        self.web.install(self.http)
        self.metrics = ServerMetrics()  # counted here, in the shell: wall-clock is allowed
        add_routes(self.http, self)  # /status, /metrics

        self.sources = SourceLocator()  # fault lines name source lines (server side only)
        for m in self.mods:
            self.sources.add(m.image.name, m.image.elf, m.debug)

        def on_log(mod: str, text: str) -> None:
            self.on_log(f"[{mod}] {text}")

        if self.world is None:
            sim = Simulation([m.image for m in self.mods], seed=self.seed, stored=self.stored,
                             on_log=on_log, locate=self.sources.locate)
        else:
            sim = self.world.simulation([(m.entry, m.image) for m in self.mods], seed=self.seed,
                                        stored=self.stored, on_log=on_log,
                                        locate=self.sources.locate)
        self.room = Room(sim, max_players=self.limits.max_players,
                         max_chats=self.limits.max_chats_per_tick,
                         chat_lines_per_player=self.policy.chat_lines_per_player,
                         chat_bytes_per_tick=self.policy.chat_bytes_per_tick)
        self.identities = Identities(self.grace_ticks)
        self.handshake = Handshake(self.room, [m.entry for m in self.mods],
                                   host_abi=self.host_abi, tick_rate=self.tick_rate,
                                   limits=self.limits, issue=self.identities.issue)
        self._holders: dict[int, Connection] = {}  # player id -> the connection playing it
        self._addresses: dict[int, str] = {}  # player id -> its last address (for /ban)
        if self.world is not None:  # a resumed game's players are held for their tokens
            for pid, name in self.world.attach(self.room, self.identities).items():
                self.handshake.resume(pid, name)
        self._print_mod_chat()  # what the mods said while starting
        self._conns: list[Connection] = []  # playing (past Ready): they get ticks
        self._live: set[Connection] = set()  # every open connection, any state
        self._want_snapshot: list[Connection] = []
        self._admission = Admission(self.policy.max_conns_per_address)
        self._lockout = Lockout(self.policy.wrong_secret_limit, self.policy.wrong_secret_window,
                                self.policy.lockout_ticks)
        # Each blob message is encoded once and shared by every connection that needs it.
        self._blobs: dict[str, tuple[ModBlob, bytes]] = {}
        for m in self.mods:
            self._add_blob(m)
        self._builds = {m.entry.sha256: m for m in self.mods}  # running and announced
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.failure: str | None = None  # why the tick loop stopped, if it failed
        self.stats = {"connections": 0, "mod_bytes_sent": 0, "refused": 0, "dropped": 0,
                      "kicked": 0, "desyncs_reported": 0, "chat_dropped": 0, "reclaimed": 0,
                      "admin_commands": 0}

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0, *,
                    ssl: ssl_module.SSLContext | None = None) -> int:
        """Listen on ``host:port`` (0: any free port; ``ssl``: wss) and start ticking;
        returns the port. Raises ``OSError`` if the address cannot be bound."""
        self._ticker = asyncio.create_task(self._tick_loop())
        try:
            self._server = await websockets.serve(
                self._handle, host, port, max_size=self.limits.max_message_size,
                compression=None, ssl=ssl, process_request=self._process_request,
                ping_interval=self.policy.ping_interval, ping_timeout=self.policy.ping_timeout,
                open_timeout=self.policy.handshake_timeout,
                close_timeout=self.policy.close_timeout,
            )
        except BaseException:
            await self.stop()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self, reason: str = "the server is stopping", *,
                   timeout: float = FLUSH_TIMEOUT) -> None:
        """Stop ticking, say goodbye to everyone (``Bye(shutdown)`` with ``reason``), close.

        Returns within about ``timeout`` seconds: a client that has not taken its goodbye
        and answered the close by then is cut off (its TCP connection aborted). Safe to call
        twice; never raises."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self._bye_everyone(Code.SHUTDOWN, reason)
        writers = [c.writer_task for c in self._live if c.writer_task is not None]
        if writers:  # leave a part of the time to the closing handshakes
            await asyncio.wait(writers, timeout=timeout * 0.6)
        if self._server is not None:
            self._server.close()
            try:
                await asyncio.wait_for(self._server.wait_closed(),
                                       max(0.0, deadline - loop.time()))
            except TimeoutError:
                log.warning("stopping: %d connections did not close in time: cut off",
                            len(self._live))
                for conn in list(self._live):
                    conn.ws.transport.abort()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None
        if self.world is not None:
            log.info("%s", self.world.close())

    def save_world(self) -> str:
        """Snapshot the game into its world file now; one line saying what was done (or
        why not). Never raises."""
        if self.world is None:
            return "no world file (serve --world FILE): nothing saved"
        return self.world.save()

    def _bye_everyone(self, code: Code, reason: str) -> None:
        for conn in list(self._live):
            if not conn.ending:
                self._say_bye(conn, code, reason, 1001)

    def _add_blob(self, mod: ServedMod) -> None:
        msg = ModBlob(sha256=mod.entry.sha256, size=mod.entry.size, data=mod.blob)
        self._blobs[mod.entry.sha256] = (msg, encode(msg, limits=self.limits))

    # --- hot reload ---------------------------------------------------------------------------

    def reload(self, mod: ServedMod) -> Reload:
        """Announce that ``mod``, a new build of a running mod, replaces it (and reloads the
        mods depending on it) ``policy.reload_lead`` ticks after the next tick.

        Raises:
            ReloadRefused: it cannot (``lockstep.reload.plan_reload``); nothing changed.
            MessageTooLarge: its blob does not fit in a message; nothing changed.
        """
        if self.room.reloads.pending:
            raise ReloadRefused(mod.entry.name, "another reload is pending")
        images = {m.entry.name: m.image for m in self.mods}
        swaps = plan_reload(self.handshake.manifest, images, mod.entry, mod.image)
        self._add_blob(mod)
        self._builds[mod.entry.sha256] = mod
        self.sources.add(mod.image.name, mod.image.elf, mod.debug)
        notice = self.room.announce_reload(swaps, self.policy.reload_lead)
        # Joiners from now on get the new builds: their snapshot waits until the swap.
        self.handshake.swap(s.entry for s in swaps)
        self.on_log(f"[reload] mod {mod.entry.name} becomes {mod.entry.sha256[:12]} at tick "
                    f"{notice.tick}" + (f", then {', '.join(s.entry.name for s in swaps[1:])}"
                                        if len(swaps) > 1 else ""))
        return notice

    def _swapped(self, tick: int, entries: tuple[ModEntry, ...]) -> None:
        """The reload of ``tick`` happened: the mods and the blobs follow the manifest."""
        self.mods = [self._builds[e.sha256] for e in self.handshake.manifest]
        keep = {e.sha256 for e in self.handshake.manifest} | self.room.reloads.upcoming
        self._builds = {sha: m for sha, m in self._builds.items() if sha in keep}
        self._blobs = {sha: b for sha, b in self._blobs.items() if sha in keep}
        self.on_log(f"[reload] tick {tick}: " + ", ".join(
            f"{e.name} is {e.sha256[:12]}" for e in entries))

    # --- ticking ------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.tick_rate
        next_at = loop.time()
        while self.stop_after is None or self.room.tick < self.stop_after:
            next_at += period
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = loop.time()  # running late: do not try to catch up in a burst
                await asyncio.sleep(0)
            started = time.perf_counter()
            try:
                self.step()
                self.metrics.observe_tick(time.perf_counter() - started)
            except Exception as exc:  # a bug on our side: end the game cleanly, once
                tick = self.room.tick + 1
                log.exception("the tick loop failed at tick %d", tick)
                self.failure = f"server error at tick {tick}: {type(exc).__name__}"
                self._bye_everyone(Code.SHUTDOWN, self.failure)
                return

    @property
    def running(self) -> bool:
        """True while the tick loop runs."""
        return self._ticker is not None and not self._ticker.done()

    @property
    def open_connections(self) -> int:
        """Connections open now, in any state."""
        return len(self._live)

    @property
    def playing(self) -> frozenset[int]:
        """The players whose connection has had its snapshot (and gets ticks)."""
        return frozenset(c.pid for c in self._conns if c.playing and c.pid is not None)

    def step(self) -> None:
        """Send pending snapshots, close one tick and broadcast it (synchronous, no I/O wait)."""
        self._queue_resyncs()
        if self._want_snapshot:
            self._send_snapshots()
        for pid in self.identities.expired(self.room.tick):
            log.info("player %d %s: no reconnection in %d ticks, leaves the game", pid,
                     shown(self.handshake.name(pid)), self.grace_ticks)
            self._leave(pid)
        closed = self.room.close_tick()
        ticked = closed.inputs
        if self.world is not None:  # before anyone sees it: no client is ahead of the file
            self.world.record(closed)
        if self.on_tick is not None:
            self.on_tick(ticked.tick, closed.state_hash)
        if closed.swapped:
            self._swapped(ticked.tick, closed.swapped)
        msg = tick_message(ticked, closed.state_hash, closed.announced)
        data = encode(msg, limits=self.limits)
        for conn in tuple(self._conns):  # a copy: sending may drop (and remove) a connection
            if conn.playing:
                self._send(conn, msg, data)
        self._print_mod_chat()

    def _queue_resyncs(self) -> None:
        """Answer desync claims, each player at most once per ``policy.desync_interval``."""
        tick = self.room.tick
        for conn in tuple(self._conns):
            if not conn.resync_wanted:
                continue
            if conn.resynced_at is not None and \
                    tick - conn.resynced_at < self.policy.desync_interval:
                continue
            conn.resync_wanted = False
            conn.resynced_at = tick
            if conn not in self._want_snapshot:
                self._want_snapshot.append(conn)

    def _print_mod_chat(self) -> None:
        """Show the lines the mods sent in the last tick on the console. (Players get them
        from their own simulations, which produce the same lines.)"""
        for line in self.room.sim.mod_chat:
            to = "everyone" if line.player == ALL_PLAYERS else f"player {line.player}"
            self.on_log(f"[{line.mod}] chat to {to}: {printable(line.text, LOG_LINE_LENGTH)}")

    def _send_snapshots(self) -> None:
        """Send the state to every connection waiting for one (joining, or resynchronising).

        The snapshot is compressed and encoded once: a ``Snapshot`` and as many
        ``SnapshotPart`` messages as it needs, each within ``max_message_size``, at most about
        a quarter of ``policy.outbox_messages`` of them. They are queued one after the other in each
        outbox here, between two ticks, so no ``Tick`` comes between them. Nothing raises into
        the tick loop: a snapshot that cannot be sent turns its waiters away with a ``Bye``,
        a connection whose link refuses it is dropped alone.
        """
        if self.room.reloads.pending:  # a joiner would miss the announcement: wait
            return
        waiting = []
        for conn in self._want_snapshot:
            if conn not in self._conns:
                continue
            if not conn.playing and conn.pid is not None and not self.handshake.current(conn.pid):
                self._end(conn, End(Code.RELOADED, "a mod was reloaded while you joined: "
                                     "join again", 1008))
                self._forget(conn)
                continue
            waiting.append(conn)
        self._want_snapshot.clear()
        if not waiting:
            return
        players = tuple(Player(id=pid, name=name)
                        for pid, name in sorted(self.room.players.items()))
        try:
            msgs = split_snapshot(tick=self.room.tick, state=self.room.sim.snapshot(),
                                  state_hash=self.room.sim.state_hash(), players=players,
                                  limits=self.limits,
                                  max_parts=self.policy.outbox_messages // 4)
            encoded = [encode(msg, limits=self.limits) for msg in msgs]
        except ProtocolError as exc:  # a state over our own limits: nobody can get it
            log.error("cannot send the snapshot of tick %d: %s", self.room.tick, exc)
            for conn in waiting:
                self._say_bye(conn, Code.SERVER_ERROR, "the server cannot send its state", 1011)
                self._forget(conn)
            return
        for conn in waiting:
            for msg, data in zip(msgs, encoded, strict=True):
                self._send(conn, msg, data)  # a failure drops this connection alone
                if conn.dropped:
                    break
            else:
                conn.playing = True

    def _send(self, conn: Connection, msg: Message, encoded: bytes | None = None) -> None:
        """Send ``msg`` to one connection; any failure drops that connection alone."""
        sent = conn.ws.protocol.close_sent
        if sent is not None:  # websockets gave up on it (keepalive, too big): say why now
            self._drop(conn, close_text(sent.code, sent.reason))
            return
        try:
            data = conn.link.send(msg, encoded=encoded)
        except ProtocolError as exc:
            self._drop(conn, f"cannot send {type(msg).__name__}: {exc}")
            return
        self._push(conn, data)

    def _push(self, conn: Connection, data: bytes) -> None:
        if not conn.push(data):
            self._drop(conn, "too slow: its outbox is full")

    def _drop(self, conn: Connection, reason: str) -> None:
        """Forget a connection now and close it (1008) without waiting for its outbox."""
        if conn.ending:  # its handler already logged why and ends it
            return
        self.stats["dropped"] += 1
        log.warning("%s dropped: %s", conn.who, reason)
        conn.dropped = conn.ending = True
        self._forget(conn)
        task = asyncio.get_running_loop().create_task(conn.ws.close(1008, ws_reason(reason)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _forget(self, conn: Connection) -> None:
        """``conn`` is gone: its player keeps its slot for the grace period if it had joined
        (and was not kicked), else leaves now. Safe to call twice."""
        if conn in self._conns:
            self._conns.remove(conn)
        pid = conn.pid
        if pid is None or self._holders.get(pid) is not conn:
            return
        del self._holders[pid]
        if conn.joined and not conn.kicked and self.identities.detach(pid, self.room.tick):
            self.room.set_input(pid, 0)  # idle until it comes back
            log.info("%s: slot kept for %d ticks", conn.who, self.grace_ticks)
        else:
            self._leave(pid)

    def _evict_detached(self) -> bool:
        """The server is full: the kept slot whose grace period ends first goes (its player
        leaves in the next tick). False if no slot is kept."""
        pid = self.identities.oldest_detached()
        if pid is None:
            return False
        log.info("player %d %s: its kept slot goes to a new player (the server is full)", pid,
                 shown(self.handshake.name(pid)))
        self._leave(pid)
        return True

    async def _tick_closed(self) -> None:
        """Wait until the tick under way closes (or the server stops)."""
        tick = self.room.tick
        while self.room.tick == tick and self.running:
            await asyncio.sleep(0.5 / self.tick_rate)

    def _leave(self, pid: int) -> None:
        """Player ``pid`` leaves for good (from the next tick): slot, name, token."""
        self.identities.forget(pid)
        self._addresses.pop(pid, None)
        self.handshake.leave(pid)

    # --- admin --------------------------------------------------------------------------------

    def kick(self, name: str, *, ban: bool = False, by: str = "console") -> str:
        """Player ``name`` leaves the game now, connected or in its grace period (its
        connection gets ``Bye(kicked)``); with ``ban``, its address and token are refused
        for the server's life. Logged. The answer for the admin."""
        pid = self.handshake.holder(name)
        if pid is None:
            return f"no player named {name[:40]!r}"
        shown_name = self.handshake.name(pid)
        conn = self._holders.get(pid)
        address = conn.address if conn is not None else self._addresses.get(pid)
        what = "banned" if ban else "kicked"
        if ban:
            self.identities.ban(pid, address)
        log.warning("%s %s player %d %s (address %s)", by, what, pid, shown(shown_name),
                    address or "?")
        if conn is not None:
            conn.kicked = True
            self._end(conn, End(Code.KICKED, f"{what} by an admin", 1008))
            self._forget(conn)
        else:
            self._leave(pid)
        return f"{what} {shown_name} (player {pid})"

    def reload_mod(self, name: str, reply: Callable[[str], None]) -> str:
        """Rebuild mod ``name`` and hot-reload it (``rebuild_mod``), in the background; the
        outcome goes to ``reply``. The answer now."""
        if self.rebuild_mod is None:
            return "this server cannot rebuild mods (no mods folder)"
        if name not in {e.name for e in self.handshake.manifest}:
            return f"no mod named {name[:40]!r}"
        rebuild = self.rebuild_mod

        async def go() -> None:
            try:
                outcome = await rebuild(name)
            except Exception as exc:  # a bug in the build: tell, keep serving
                log.exception("/reload %s failed", name)
                outcome = f"/reload {name} failed: {type(exc).__name__}"
            log.warning("/reload %s: %s", name, outcome)
            reply(outcome)

        task = asyncio.get_running_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return f"rebuilding {name}"

    def _notice(self, conn: Connection, text: str) -> None:
        """Tell ``conn``'s player ``text`` alone (a ``Notice``)."""
        if conn.playing and not conn.ending and not conn.dropped:
            self._send(conn, Notice(text=reason_text(text)[:self.limits.max_chat_length]))

    def _admin_line(self, conn: Connection, text: str) -> None:
        """An admin command typed in chat: run it for an admin, refuse it to anyone else."""
        command = text.split(maxsplit=1)[0]
        if not conn.admin:
            log.warning("%s tried %s: not an admin", conn.who, shown(command, 40))
            self._notice(conn, f"not allowed: {command} is an admin command")
            return
        self.stats["admin_commands"] += 1
        log.warning("admin %s: %s", conn.who, shown(text, 200))
        by = f"admin {conn.name}"
        answer = run(self, text, by=by, reply=lambda line: self._notice(conn, line))
        log.info("admin %s: %s", conn.who, shown(answer, 300))
        self._notice(conn, answer)

    def _say_bye(self, conn: Connection, code: Code, reason: str, ws_code: int) -> None:
        """Queue a Bye, then the close with ``ws_code``; the caller logged why."""
        with contextlib.suppress(ProtocolError):
            conn.push(conn.link.send(Bye(code=code, reason=reason_text(reason))))
        conn.finish(ws_code, reason)

    # --- admission at the HTTP level ----------------------------------------------------------

    async def _process_request(self, ws: ServerConnection,
                               request: Request) -> Response | None:
        """A websocket upgrade goes through the origin check; any other request is plain HTTP
        (``self.http``: the page and its files)."""
        if is_upgrade(request):
            return self._check_origin(ws, request)
        return await self.http.serve(request)

    def _check_origin(self, ws: ServerConnection, request: Request) -> Response | None:
        """Refuse (403) a browser page from an origin the policy does not allow."""
        origin = request.headers.get("Origin")
        if origin is None or origin_allowed(origin, request.headers.get("Host"),
                                            self.policy.origins):
            return None
        address = ws.remote_address
        log.warning("%s refused: origin %s not allowed (host %s)",
                    f"{address[0]}:{address[1]}" if address else "?", shown(origin),
                    shown(request.headers.get("Host") or ""))
        self.stats["refused"] += 1
        return ws.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")

    # --- one connection -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        conn = Connection(ws, self.limits, self.policy.outbox_messages, self.metrics)
        self.stats["connections"] += 1
        if not self._admission.connect(conn.address):
            self.stats["refused"] += 1
            log.warning("%s refused: %d connections from this address already", conn.peer,
                        self._admission.connections(conn.address))
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(conn.link.send(Bye(code=Code.FULL,
                                                 reason="too many connections from your address")))
            await ws.close(1013, "too many connections from your address")
            return
        log.info("%s connected", conn.peer)
        self._live.add(conn)
        conn.writer_task = asyncio.create_task(conn.writer())
        try:
            if not self.running:
                raise End(Code.SHUTDOWN, self.failure or "the server is stopping", 1001)
            if await self._handshake(conn):
                await self._play(conn)
        except End as end:
            self._end(conn, end)
        except MessageTooLarge as exc:
            self._end(conn, End(Code.PROTOCOL_ERROR, str(exc), 1009))
        except (ProtocolError, RecursionError) as exc:
            self._end(conn, End(Code.PROTOCOL_ERROR, f"protocol error: {exc}", 1002))
        except TimeoutError:
            self._end(conn, End(Code.TIMEOUT, "handshake timeout: no answer in time", 1008))
        except websockets.ConnectionClosed as exc:
            if not conn.ending:
                self._log_closed(conn, exc)
        except Exception:  # a bug on our side: this connection only
            log.exception("%s: unexpected error", conn.who)
            self._end(conn, End(Code.PROTOCOL_ERROR, "server error", 1011))
        finally:
            self._forget(conn)
            self._live.discard(conn)
            self._admission.disconnect(conn.address)
            if not conn.ending:
                conn.finish(1000, "")
            with contextlib.suppress(asyncio.QueueFull):
                conn.outbox.put_nowait(None)  # (again: a drop queued none)
            # Read and discard what the peer still sends (a flood we stopped reading would
            # otherwise hold back its answer to our close for the whole close timeout).
            discard = asyncio.create_task(self._discard(ws))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(conn.writer_task), FLUSH_TIMEOUT)
            conn.writer_task.cancel()
            await ws.close(conn.close_code, conn.close_reason)
            discard.cancel()

    @staticmethod
    async def _discard(ws: ServerConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                pass

    def _end(self, conn: Connection, end: End) -> None:
        """Log why a connection ends, and say so to it (Bye, then close code)."""
        if conn.ending:
            return
        if end.code is Code.KICKED:
            self.stats["kicked"] += 1
        log.warning("%s %s: %s", conn.who,
                    "kicked" if end.code is Code.KICKED else "closed", shown(end.reason, 300))
        self._say_bye(conn, end.code, end.reason, end.ws_code)

    @staticmethod
    def _log_closed(conn: Connection, exc: websockets.ConnectionClosed) -> None:
        sent, rcvd = exc.sent, exc.rcvd
        if sent is not None and (sent.code in (1009, 1011) or rcvd is None):
            log.warning("%s dropped: %s", conn.who, close_text(sent.code, sent.reason))
        elif rcvd is not None:
            log.info("%s disconnected (%d %s)", conn.who, rcvd.code, shown(rcvd.reason, 80))
        else:
            log.info("%s disconnected without a close frame", conn.who)

    async def _recv(self, conn: Connection, timeout: float | None = None) -> Message:
        """The next message from ``conn`` through its link (a text frame ends it: 1003)."""
        data = await asyncio.wait_for(conn.ws.recv(), timeout)
        if not isinstance(data, bytes):
            raise End(Code.PROTOCOL_ERROR, "text frames are not part of the protocol", 1003)
        return conn.link.receive(data)

    def _refuse(self, conn: Connection, refusal: Refusal, raw_name: str) -> bool:
        """Send ``refusal`` and close (1013 when full, else 1008)."""
        self.stats["refused"] += 1
        log.warning("%s refused %s (%s): %s", conn.peer, shown(raw_name), refusal.code,
                    refusal.reason)
        with contextlib.suppress(ProtocolError):
            conn.push(conn.link.send(refusal))
        conn.finish(1013 if refusal.code == Code.FULL else 1008, refusal.reason)
        return False

    async def _handshake(self, conn: Connection) -> bool:
        timeout = self.policy.handshake_timeout
        hello = await self._recv(conn, timeout)
        if not isinstance(hello, Hello):  # the link admits only Hello or Bye here
            return False
        reclaim = None
        if not isinstance(check_hello(hello, host_abi=self.host_abi), tuple):  # else: refused
            if self.identities.banned(conn.address, hello.token):
                return self._refuse(conn, refusal(Code.BANNED, "you are banned from this "
                                                  "server"), hello.name)
            locked = self._lockout.locked(conn.address, self.room.tick)
            if locked:
                return self._refuse(conn, refusal(Code.PASSWORD, "too many wrong passwords or "
                                                  "admin tokens from your address: try again "
                                                  f"in {-(-locked // self.tick_rate)} s"),
                                    hello.name)
            admin = self.credentials.check(hello)
            if not isinstance(admin, bool):
                if (hello.password or hello.admin_token) and \
                        self._lockout.wrong(conn.address, self.room.tick):
                    log.warning("%s: address locked out for %d ticks after %d wrong secrets",
                                conn.peer, self.policy.lockout_ticks,
                                self.policy.wrong_secret_limit)
                return self._refuse(conn, refusal(*admin), hello.name)
            conn.admin = admin
            reclaim = self.identities.owner(hello.token)
            if reclaim is not None and not self.identities.detached(reclaim):
                return self._refuse(conn, refusal(Code.TAKEN, "your player is connected "
                                                  "from elsewhere"), hello.name)
            if reclaim is None and self.room.occupied >= self.room.max_players and \
                    self._evict_detached():
                await self._tick_closed()  # the kept player leaves in that tick
        answer = self.handshake.accept(hello, reclaim=reclaim)
        if isinstance(answer, Refusal):
            return self._refuse(conn, answer, hello.name)
        pid = conn.pid = answer.player_id
        self._holders[pid] = conn
        self._addresses[pid] = conn.address
        if reclaim is not None:
            self.identities.attach(pid)
            conn.joined = True
            self.stats["reclaimed"] += 1
        conn.name = self.handshake.name(pid)
        conn.push(conn.link.send(answer))
        sending = answer.sending
        log.info("%s said hello%s%s: sending %d of %d mods", conn.who,
                 " (returning)" if reclaim is not None else "", " as admin" if conn.admin else "",
                 len(sending), len(self.mods))
        ready = await asyncio.wait_for(self._download(conn, sending), timeout)
        if not isinstance(ready, Ready):  # a Bye: the client could not verify its mods
            log.info("%s gave up joining: %s", conn.who, shown(getattr(ready, "reason", ""), 200))
            conn.finish(1000, "")
            return False
        self.handshake.admit(pid)
        conn.joined = True
        conn.rates = PlayerRates.start(self.policy, self.room.tick)
        self._conns.append(conn)
        self._want_snapshot.append(conn)
        log.info("%s joined", conn.who)
        return True

    async def _download(self, conn: Connection, sending: tuple[str, ...]) -> Message:
        """Queue the blobs in ``sending`` as the client takes them, then await its answer."""
        for sha in sending:
            await conn.drained(self.policy.blob_bytes_in_flight)
            if conn.dropped:
                raise websockets.ConnectionClosed(None, None)
            msg, encoded = self._blobs[sha]
            self._push(conn, conn.link.send(msg, encoded=encoded))
            self.stats["mod_bytes_sent"] += len(msg.data)
        return await self._recv(conn)

    async def _play(self, conn: Connection) -> None:
        pid, rates = conn.pid, conn.rates
        assert pid is not None and rates is not None
        while not conn.dropped:
            msg = await self._recv(conn)
            tick = self.room.tick
            if isinstance(msg, Input):
                if not rates.inputs.take(tick):
                    raise End(Code.KICKED, f"too many inputs (over {self.policy.input_rate:g} "
                               f"a tick, {self.policy.input_burst} at once)", 1008)
                self.room.set_input(pid, msg.buttons)
            elif isinstance(msg, Chat):
                if not rates.chat.take(tick):
                    raise End(Code.KICKED, f"too much chat (over {self.policy.chat_rate:g} "
                               f"lines a tick, {self.policy.chat_burst} at once)", 1008)
                if is_admin_line(msg.text):
                    self._admin_line(conn, msg.text)
                elif not self.room.chat(pid, msg.text):
                    self.stats["chat_dropped"] += 1
            elif isinstance(msg, Desync):
                if not rates.desync.take(tick):
                    raise End(Code.KICKED, "too many desync claims", 1008)
                self.stats["desyncs_reported"] += 1
                log.info("%s desynced at tick %d: a snapshot follows", conn.who, msg.tick)
                conn.resync_wanted = True
            elif isinstance(msg, Fetch):  # the link lets each announced build through once
                if msg.sha256 not in self._blobs:  # fetched as its tick came: too late
                    raise End(Code.PROTOCOL_ERROR, f"Fetch of {msg.sha256}: not served", 1002)
                blob, encoded = self._blobs[msg.sha256]
                self._send(conn, blob, encoded)
                self.stats["mod_bytes_sent"] += len(blob.data)
            elif isinstance(msg, Bye):
                log.info("%s left (%s): %s", conn.who, shown(msg.code, 32),
                         shown(msg.reason, 200))
                conn.finish(1000, "")
                return
