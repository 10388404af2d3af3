"""The asyncio shell of the client: connect, fetch the mods it lacks, follow the game.

What the join decides (the ``Hello``, which mods the cache must give, each blob verified,
all-or-nothing loading, the snapshot) is ``lockstep.join``'s, and following the game is
``lockstep.follower``'s. This shell owns the websocket, the cache files (``client.cache``),
the bot's inputs, the desync report files and the summary, and fetches the builds a hot
reload announces (from the cache, else with a ``Fetch``), holding back the ticks that need
one until it comes; a failure ends in a
``ClientError`` after the server got a ``Bye`` saying why.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from lockstep.follower import ChatLine, Follower
from lockstep.join import Join, JoinError, Refused, resume
from mods.host_api import HOST_API
from protocol import (
    DEFAULT_LIMITS,
    Bye,
    Chat,
    Code,
    Desync,
    Fetch,
    Input,
    Link,
    Message,
    ModBlob,
    Notice,
    ProtocolError,
    Ready,
    Role,
    Snapshot,
    SnapshotAssembler,
    SnapshotPart,
    Tick,
    decompress_mod,
)
from vm import VM_ABI

from .bot import Bot
from .cache import ModCache, TokenStore

__all__ = ["ClientOptions", "JoinRefused", "GameEnded", "ClientError", "play",
           "SUMMARY_CHAT_LINES"]

#: The summary lists the last this many chat lines the player saw (and counts them all).
SUMMARY_CHAT_LINES = 100
#: Messages read, at most, looking for the server's Bye after a send failed.
QUEUED_AT_CLOSE = 1024
#: Ticks held back, at most, waiting for a build a reload swaps in (a server that never
#: sends it ends the game).
HELD_TICKS = 1200


class ClientError(Exception):
    """The client could not join or had to leave; the message says why."""


class JoinRefused(ClientError):
    """The server refused us; ``code`` and ``reason`` are the server's."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"server refused to let us join ({code}): {reason}")
        self.code = code
        self.reason = reason


class GameEnded(ClientError):
    """The game ended before the client was done with it.

    Attributes:
        code: the code of the server's ``Bye`` (``"shutdown"``, ``"kicked"``...), or ``None``
            when the connection was lost without one.
        reason: the server's reason, or what the connection's end looked like.
        summary: what the client saw until then (the summary ``play`` returns), with
            ``ended`` saying how it ended; ``{}`` if the game never began.
    """

    def __init__(self, code: str | None, reason: str,
                 summary: dict[str, Any] | None = None) -> None:
        self.code = code
        self.reason = reason
        self.summary = summary or {}
        ticks = self.summary.get("ticks")
        super().__init__(self.ended if ticks is None
                         else f"the game ended after {ticks} ticks: {self.ended}")

    @property
    def ended(self) -> str:
        """How the game ended, in one line: ``server said shutdown: ...`` or
        ``connection lost: ...``."""
        if self.code is None:
            return f"connection lost: {self.reason}"
        return f"server said {self.code}: {self.reason}"


@dataclass
class ClientOptions:
    """How a client joins and plays.

    Args:
        url: the server's ``ws://host:port``.
        cache_dir: the mod cache directory.
        name: the player's name.
        ticks: leave after following this many ticks (None: until the server closes).
        bot_seed: play with pseudo-random inputs from this seed (None: no inputs).
        report_dir: where desync reports go.
        say: chat lines to send, one a tick, once our player is in the world.
        host_abi, vm_abi: what we claim to speak (tests override them to be refused).
        on_tick: called after each applied tick (the GUI-less display uses it).
        on_chat: called with each chat line the player sees (players' and mods' lines).
        password: the server's password (``""``: none).
        admin_token: the server's admin token (``""``: none): admin commands in chat.
        keep_token: send the token kept for this URL and name (``cache_dir/tokens``), and
            keep the one the server gives: a return within its grace period is the same
            player.
        on_notice: called with each line the server tells this player alone (``Notice``:
            the answers to admin commands).
    """

    url: str
    cache_dir: Path
    name: str = "player"
    ticks: int | None = None
    bot_seed: int | None = None
    report_dir: Path | None = None
    say: tuple[str, ...] = ()
    host_abi: str = field(default_factory=HOST_API.abi_hash)
    vm_abi: str = VM_ABI
    on_tick: Callable[[Follower], None] | None = None
    on_chat: Callable[[ChatLine], None] | None = None
    password: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)
    keep_token: bool = True
    on_notice: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        """Check the ``say`` lines now (``LocalMisuse``), not when they are due."""
        for text in self.say:
            Chat(text=text).check_limits(DEFAULT_LIMITS)


async def play(opts: ClientOptions) -> dict[str, Any]:
    """Join the server, follow the game; returns the summary (see README).

    The summary's ``ended`` says how the game ended for us: ``"left after N ticks"`` when we
    followed ``opts.ticks`` ticks, or, with ``opts.ticks=None``, the server's ``Bye`` of a
    shutdown. Any other end is an error, never a short summary.

    Raises:
        JoinRefused: the server said no.
        GameEnded: the game ended before ``opts.ticks`` ticks (the server said ``Bye``, or
            the connection was lost); it carries the server's code and reason, and the
            summary so far.
        ClientError: a mod failed verification, the server broke the protocol or sent a
            state we cannot use, or the address is not a websocket server.
        OSError: no connection.
    """
    started = time.perf_counter()
    cache = ModCache(opts.cache_dir)
    link = Link(Role.CLIENT)
    summary: dict[str, Any] = {"mod_bytes_received": 0, "mods_from_cache": 0,
                               "chat_lines": 0, "chat": [], "notices": []}
    try:
        connection = websockets.connect(opts.url, max_size=DEFAULT_LIMITS.max_message_size,
                                        compression=None)
    except (ValueError, websockets.exceptions.WebSocketException) as exc:  # a bad URL
        raise ClientError(f"cannot connect to {opts.url}: {exc}") from None
    try:
        async with connection as ws:
            await _session(ws, link, cache, opts, summary, started)
    except websockets.exceptions.WebSocketException as exc:  # the opening handshake failed
        raise ClientError(f"cannot connect to {opts.url}: {exc}") from None
    return summary


async def _session(ws: Any, link: Link, cache: ModCache, opts: ClientOptions,
                   summary: dict[str, Any], started: float) -> None:
    follower: Follower | None = None
    try:
        follower = await _join(ws, link, cache, opts, summary)
        summary["join_ms"] = round((time.perf_counter() - started) * 1000, 1)
        summary["ended"] = await _follow(ws, link, follower, opts, summary, cache)
    except ProtocolError as exc:
        await _bye(ws, link, Code.PROTOCOL_ERROR, str(exc)[:900])
        raise ClientError(f"protocol error: {exc}") from exc
    except GameEnded as exc:
        if follower is None:
            raise
        _summarise(summary, follower, opts.report_dir)
        summary["ended"] = exc.ended
        raise GameEnded(exc.code, exc.reason, summary) from None
    _summarise(summary, follower, opts.report_dir)
    await _bye(ws, link, Code.QUIT, "done")


def _summarise(summary: dict[str, Any], follower: Follower, report_dir: Path | None) -> None:
    summary.update(ticks=follower.ticks, desyncs=follower.desyncs,
                   tick=follower.tick, state_hash=follower.sim.state_hash(),
                   reports=[str(p) for p in _write_reports(follower, report_dir)])


def _lost(exc: Exception) -> GameEnded:
    """What a websockets exception during a send or a receive means for the game."""
    return GameEnded(None, str(exc) or type(exc).__name__)


async def _recv(ws: Any, link: Link) -> Message:
    """The next message from the server; ``GameEnded`` if the connection is gone."""
    try:
        data = await ws.recv()
    except websockets.exceptions.WebSocketException as exc:
        raise _lost(exc) from None
    return link.receive(data)


async def _send(ws: Any, link: Link, msg: Message) -> None:
    """Send ``msg``; ``GameEnded`` if the connection is gone (with the server's reason when
    its ``Bye`` arrived before our send failed)."""
    data = link.send(msg)
    try:
        await ws.send(data)
    except websockets.exceptions.WebSocketException as exc:
        raise await _ending(ws, link, exc) from None


async def _ending(ws: Any, link: Link, exc: Exception) -> GameEnded:
    """How the game ended when a send failed: the server's ``Bye`` if it is among the
    messages still queued (a closed connection hands them out, then raises), else
    ``connection lost``."""
    for _ in range(QUEUED_AT_CLOSE):
        try:
            msg = link.receive(await ws.recv())
        except (websockets.exceptions.WebSocketException, ProtocolError):
            break
        if isinstance(msg, Bye):
            return GameEnded(msg.code, msg.reason)
    return _lost(exc)


async def _bye(ws: Any, link: Link, code: str, reason: str) -> None:
    """Say goodbye if we still can; a connection already gone is not an error here."""
    try:
        await ws.send(link.send(Bye(code=code, reason=reason)))
    except (ProtocolError, websockets.exceptions.WebSocketException):
        pass


async def _join(ws: Any, link: Link, cache: ModCache, opts: ClientOptions,
                summary: dict[str, Any]) -> Follower:
    """Join through ``lockstep.join.Join``: this shell moves its messages, reads and fills
    the cache, and turns its errors into ours (after sending the server its ``Bye``)."""
    tokens = TokenStore(cache.root / "tokens")
    token = tokens.get(opts.url, opts.name) if opts.keep_token else ""
    join = Join(opts.name, cache.hashes(), host_abi=opts.host_abi, vm_abi=opts.vm_abi,
                token=token, password=opts.password, admin_token=opts.admin_token)
    try:
        await _send(ws, link, join.hello)
        for sha in join.welcome(await _recv(ws, link)):
            join.cached(sha, cache.get(sha))
        if opts.keep_token and join.token != token:
            tokens.put(opts.url, opts.name, join.token)
        summary.update(protocol=link.protocol_version, player_id=join.player_id,
                       mods=len(join.manifest), mods_from_cache=join.from_cache)
        while join.downloading:
            join.blob(await _recv(ws, link))
        summary["mod_bytes_received"] = join.blob_bytes
        follower = join.load_mods()
        for elf in join.downloaded:  # only once every mod is verified and loaded
            cache.put(elf)
        await _send(ws, link, Ready())
        while join.snapshot(await _recv(ws, link)) is None:
            pass
    except JoinError as exc:
        raise await _failed(ws, link, exc) from None
    summary["snapshot_bytes"] = join.snapshot_size
    return follower


async def _failed(ws: Any, link: Link, exc: JoinError) -> ClientError:
    """Tell the server why we stop (``exc.bye``), and say it as our error."""
    if isinstance(exc, Refused):
        return JoinRefused(exc.code, exc.reason)
    if exc.bye is not None:
        await _bye(ws, link, exc.bye.code, exc.bye.reason)
    return ClientError(str(exc))


def _write_reports(follower: Follower, report_dir: Path | None) -> list[Path]:
    """Write the follower's desync reports as JSON files in ``report_dir``; their paths."""
    if report_dir is None or not follower.reports:
        return []
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for report in follower.reports:
        path = report_dir / f"desync-tick{report.tick}.json"
        path.write_text(json.dumps(report.__dict__, indent=2, sort_keys=True))
        paths.append(path)
    return paths


async def _load(ws: Any, link: Link, follower: Follower, whole: Snapshot) -> None:
    """Continue from a whole snapshot; a state we cannot use ends the game."""
    try:
        resume(follower, whole)
    except JoinError as exc:
        raise await _failed(ws, link, exc) from None


class _Player:
    """What the client does with each tick it applies: inputs, chat, callbacks."""

    def __init__(self, ws: Any, link: Link, follower: Follower, opts: ClientOptions,
                 summary: dict[str, Any]) -> None:
        self.ws, self.link, self.follower, self.opts = ws, link, follower, opts
        self.summary = summary
        self.bot = Bot(opts.bot_seed) if opts.bot_seed is not None else None
        self.seq = 0
        self.say = list(opts.say)

    async def tick(self, msg: Tick) -> None:
        follower, opts, ws, link = self.follower, self.opts, self.ws, self.link
        if not follower.apply(msg) and follower.pending is not None:
            await _send(ws, link, Desync(tick=msg.tick, state_hash=follower.pending.client_hash))
        if opts.on_tick:
            opts.on_tick(follower)
        seen: list[dict[str, Any]] = self.summary["chat"]
        for line in follower.chat:
            self.summary["chat_lines"] += 1
            seen.append(line.as_dict())
            if opts.on_chat:
                opts.on_chat(line)
        del seen[:-SUMMARY_CHAT_LINES]
        if self.say and follower.player_id in follower.sim.world.players:
            await _send(ws, link, Chat(text=self.say.pop(0)))
        new = self.bot.after_tick(follower.ticks) if self.bot is not None else None
        if new is not None:
            self.seq += 1
            await _send(ws, link, Input(seq=self.seq, tick=follower.tick, buttons=new))


async def _follow(ws: Any, link: Link, follower: Follower, opts: ClientOptions,
                  summary: dict[str, Any], cache: ModCache) -> str:
    """Follow ticks until ``opts.ticks`` are applied; returns how it ended."""
    player = _Player(ws, link, follower, opts, summary)
    held: deque[Tick] = deque()  # ticks waiting for a build a reload swaps in
    assembler = SnapshotAssembler()
    while opts.ticks is None or follower.ticks < opts.ticks:
        msg = await _recv(ws, link)
        if isinstance(msg, Tick | ModBlob):
            if isinstance(msg, Tick):
                for entry in follower.announce(msg):
                    elf = cache.get(entry.sha256)
                    if elf is None:
                        await _send(ws, link, Fetch(sha256=entry.sha256))
                    else:
                        follower.add_mod(elf)
                        summary["mods_from_cache"] += 1
                held.append(msg)
            else:
                elf = decompress_mod(msg.data, msg.size, msg.sha256)
                cache.put(elf)
                follower.add_mod(elf)
                summary["mod_bytes_received"] += len(msg.data)
            while held and follower.ready(held[0]) and (
                    opts.ticks is None or follower.ticks < opts.ticks):
                await player.tick(held.popleft())
            if len(held) > HELD_TICKS:
                raise ClientError(f"the build a reload needs at tick {held[0].tick} did not "
                                  f"come in {HELD_TICKS} ticks")
        elif isinstance(msg, Snapshot | SnapshotPart):
            whole = assembler.add(msg)
            if whole is not None:
                await _load(ws, link, follower, whole)
        elif isinstance(msg, Notice):
            summary["notices"].append(msg.text)
            del summary["notices"][:-SUMMARY_CHAT_LINES]
            if opts.on_notice:
                opts.on_notice(msg.text)
        elif isinstance(msg, Bye):
            ended = GameEnded(msg.code, msg.reason)
            if opts.ticks is None and msg.code == Code.SHUTDOWN:
                return ended.ended  # following "until the server closes": it did
            raise ended
    return f"left after {follower.ticks} ticks"
