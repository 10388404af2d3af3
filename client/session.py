"""The asyncio shell of the client: connect, fetch the mods it lacks, follow the game.

All-or-nothing join: every mod the server lists must be in the cache or arrive in a blob that
decompresses within its declared size and matches its SHA-256, before anything is loaded.
Each mod's machine gets the memory and stack its manifest entry names (the protocol bounds
them; a mod that still cannot be loaded ends the join with a ``ClientError``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from game.simulation import ModImage, SimulationError
from mods.host_api import HOST_API
from protocol import (
    DEFAULT_LIMITS,
    SUPPORTED_VERSIONS,
    Bye,
    Chat,
    Code,
    Desync,
    Hello,
    Input,
    Link,
    Message,
    ModBlob,
    ModEntry,
    ModVerificationError,
    ProtocolError,
    Ready,
    Refusal,
    Role,
    Snapshot,
    SnapshotAssembler,
    SnapshotPart,
    Tick,
    Welcome,
    decompress_mod,
)
from vm import VM_ABI

from .cache import ModCache
from .follower import ChatLine, Follower

__all__ = ["ClientOptions", "JoinRefused", "GameEnded", "ClientError", "play",
           "SUMMARY_CHAT_LINES"]

#: The summary lists the last this many chat lines the player saw (and counts them all).
SUMMARY_CHAT_LINES = 100
#: Messages read, at most, looking for the server's Bye after a send failed.
QUEUED_AT_CLOSE = 1024


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
        perturb_at: tests only: corrupt the local world after this tick.
        say: chat lines to send, one a tick, once our player is in the world.
        host_abi, vm_abi: what we claim to speak (tests override them to be refused).
        on_tick: called after each applied tick (the GUI-less display uses it).
        on_chat: called with each chat line the player sees (players' and mods' lines).
    """

    url: str
    cache_dir: Path
    name: str = "player"
    ticks: int | None = None
    bot_seed: int | None = None
    report_dir: Path | None = None
    perturb_at: int | None = None
    say: tuple[str, ...] = ()
    host_abi: str = field(default_factory=HOST_API.abi_hash)
    vm_abi: str = VM_ABI
    on_tick: Callable[[Follower], None] | None = None
    on_chat: Callable[[ChatLine], None] | None = None

    def __post_init__(self) -> None:
        """Check the ``say`` lines now (``LocalMisuse``), not when they are due."""
        for text in self.say:
            Chat(text=text).check_limits(DEFAULT_LIMITS)


def _bot_buttons(rng: random.Random) -> int:
    """One of the eight directions, with fire now and then."""
    direction = rng.choice((1, 2, 4, 8, 1 | 4, 1 | 8, 2 | 4, 2 | 8))
    return direction | (16 if rng.random() < 0.1 else 0)


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
                               "chat_lines": 0, "chat": []}
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
        summary["ended"] = await _follow(ws, link, follower, opts, summary)
    except ProtocolError as exc:
        await _bye(ws, link, Code.PROTOCOL_ERROR, str(exc)[:900])
        raise ClientError(f"protocol error: {exc}") from exc
    except GameEnded as exc:
        if follower is None:
            raise
        _summarise(summary, follower)
        summary["ended"] = exc.ended
        raise GameEnded(exc.code, exc.reason, summary) from None
    _summarise(summary, follower)
    await _bye(ws, link, Code.QUIT, "done")


def _summarise(summary: dict[str, Any], follower: Follower) -> None:
    summary.update(ticks=follower.ticks, desyncs=follower.desyncs,
                   tick=follower.tick, state_hash=follower.sim.state_hash(),
                   reports=[str(p) for p in follower.reports])


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


async def _bye(ws: Any, link: Link, code: Code, reason: str) -> None:
    """Say goodbye if we still can; a connection already gone is not an error here."""
    try:
        await ws.send(link.send(Bye(code=code, reason=reason)))
    except (ProtocolError, websockets.exceptions.WebSocketException):
        pass


async def _join(ws: Any, link: Link, cache: ModCache, opts: ClientOptions,
                summary: dict[str, Any]) -> Follower:
    held = cache.hashes()
    await _send(ws, link, Hello(protocol_versions=SUPPORTED_VERSIONS, vm_abi=opts.vm_abi,
                                host_abi=opts.host_abi, name=opts.name,
                                cached_mods=tuple(held[:DEFAULT_LIMITS.max_cached_mods])))
    first = await _recv(ws, link)
    if isinstance(first, Refusal | Bye):
        raise JoinRefused(first.code, first.reason)
    assert isinstance(first, Welcome)  # the link admits nothing else here
    summary.update(protocol=first.protocol_version, player_id=first.player_id,
                   mods=len(first.manifest))
    received: dict[str, bytes] = {}
    while link.pending_mods:
        msg = await _recv(ws, link)
        if isinstance(msg, Bye):
            raise ClientError(f"server closed during the download ({msg.code}): {msg.reason}")
        assert isinstance(msg, ModBlob)
        try:
            received[msg.sha256] = decompress_mod(msg.data, msg.size, msg.sha256)
        except ModVerificationError as exc:
            await _bye(ws, link, Code.MOD_VERIFICATION, str(exc)[:900])
            raise ClientError(f"mod {msg.sha256[:12]} failed verification: {exc}") from None
        summary["mod_bytes_received"] += len(msg.data)
    loaded: list[tuple[ModEntry, bytes]] = []
    for entry in first.manifest:
        elf = received.get(entry.sha256)
        if elf is None:
            elf = cache.get(entry.sha256)
            if elf is None:
                reason = f"mod {entry.name} ({entry.sha256[:12]}) is neither cached nor sent"
                await _bye(ws, link, Code.MOD_VERIFICATION, reason)
                raise ClientError(reason)
            summary["mods_from_cache"] += 1
        loaded.append((entry, elf))
    try:
        follower = Follower(
            [ModImage(entry.name, elf, memory=entry.memory_limit, stack=entry.stack_limit,
                      instructions=entry.instruction_limit,
                      permissions=frozenset(entry.permissions)) for entry, elf in loaded],
            player_id=first.player_id, report_dir=opts.report_dir, perturb_at=opts.perturb_at)
    except SimulationError as exc:
        await _bye(ws, link, Code.MOD_VERIFICATION, str(exc)[:900])
        raise ClientError(f"cannot run the server's mods: {exc}") from None
    for elf in received.values():  # only once every mod is verified and loaded
        cache.put(elf)
    await _send(ws, link, Ready())
    assembler = SnapshotAssembler()
    while True:
        msg = await _recv(ws, link)
        if isinstance(msg, Bye):
            raise ClientError(f"server closed before the game began ({msg.code}): "
                              f"{msg.reason}")
        assert isinstance(msg, Snapshot | SnapshotPart)  # the link admits nothing else here
        whole = assembler.add(msg)
        if whole is not None:
            await _load(ws, link, follower, whole)
            summary["snapshot_bytes"] = whole.data_size
            return follower


async def _load(ws: Any, link: Link, follower: Follower, whole: Snapshot) -> None:
    """Continue from a whole snapshot; a state we cannot use ends the game."""
    try:
        follower.load_snapshot(whole)
    except SimulationError as exc:
        await _bye(ws, link, Code.DESYNC, str(exc)[:900])
        raise ClientError(f"the server's snapshot of tick {whole.tick} is unusable: "
                          f"{exc}") from None


async def _follow(ws: Any, link: Link, follower: Follower, opts: ClientOptions,
                  summary: dict[str, Any]) -> str:
    """Follow ticks until ``opts.ticks`` are applied; returns how it ended."""
    rng = random.Random(opts.bot_seed) if opts.bot_seed is not None else None
    seq = 0
    buttons = 0
    say = list(opts.say)
    seen: list[dict[str, Any]] = summary["chat"]
    assembler = SnapshotAssembler()
    while opts.ticks is None or follower.ticks < opts.ticks:
        msg = await _recv(ws, link)
        if isinstance(msg, Tick):
            if not follower.apply(msg) and follower.pending is not None:
                await _send(ws, link, Desync(tick=msg.tick,
                                             state_hash=follower.pending.client_hash))
            if opts.on_tick:
                opts.on_tick(follower)
            for line in follower.chat:
                summary["chat_lines"] += 1
                seen.append(line.as_dict())
                if opts.on_chat:
                    opts.on_chat(line)
            del seen[:-SUMMARY_CHAT_LINES]
            if say and follower.player_id in follower.sim.world.players:
                await _send(ws, link, Chat(text=say.pop(0)))
            if rng is not None and follower.ticks % 4 == 1:
                new = _bot_buttons(rng)
                if new != buttons:
                    buttons = new
                    seq += 1
                    await _send(ws, link, Input(seq=seq, tick=follower.tick, buttons=buttons))
        elif isinstance(msg, Snapshot | SnapshotPart):
            whole = assembler.add(msg)
            if whole is not None:
                await _load(ws, link, follower, whole)
        elif isinstance(msg, Bye):
            ended = GameEnded(msg.code, msg.reason)
            if opts.ticks is None and msg.code == Code.SHUTDOWN:
                return ended.ended  # following "until the server closes": it did
            raise ended
    return f"left after {follower.ticks} ticks"
