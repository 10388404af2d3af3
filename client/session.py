"""The asyncio shell of the client: connect, fetch the mods it lacks, follow the game.

The game is ``client.driver.Driver``'s (the browser's worker runs the same one): the join, the
builds a hot reload swaps in, held ticks, desyncs and resyncs, the bot, ``--ticks``, how the
game ended. This shell moves bytes between the websocket and the driver, answers its cache
reads from the cache folder (``client.cache``) and stores what it verified, keeps the player's
token (``cache_dir/tokens``), calls the text view's callbacks, writes the desync report files
and keeps the summary; a game that did not end as asked ends in a ``ClientError`` (after the
server got a ``Bye`` saying why, when we still could tell it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from lockstep.follower import ChatLine, Follower
from mods.host_api import HOST_API
from protocol import DEFAULT_LIMITS, Bye, Chat, Code, Link, LocalMisuse, Message, ProtocolError
from vm import VM_ABI

from .cache import ModCache, TokenStore
from .driver import Driver, Ending, Phase, ended_line

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
        return ended_line(self.code, self.reason)


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
    try:
        connection = websockets.connect(opts.url, max_size=DEFAULT_LIMITS.max_message_size,
                                        compression=None)
    except (ValueError, websockets.exceptions.WebSocketException) as exc:  # a bad URL
        raise ClientError(f"cannot connect to {opts.url}: {exc}") from None
    try:
        async with connection as ws:
            return await _Session(ws, cache, opts, started).run()
    except websockets.exceptions.WebSocketException as exc:  # the opening handshake failed
        raise ClientError(f"cannot connect to {opts.url}: {exc}") from None


class _Session:
    """One game: the driver fed from the websocket, its output sent, its cache reads answered,
    and the summary kept."""

    def __init__(self, ws: Any, cache: ModCache, opts: ClientOptions, started: float) -> None:
        self.ws, self.cache, self.opts, self.started = ws, cache, opts, started
        self.tokens = TokenStore(cache.root / "tokens")
        self.token = self.tokens.get(opts.url, opts.name) if opts.keep_token else ""
        self.token_seen = False
        self.say = list(opts.say)
        self.summary: dict[str, Any] = {"mod_bytes_received": 0, "mods_from_cache": 0,
                                        "chat_lines": 0, "chat": [], "notices": []}
        try:
            self.driver = Driver(
                opts.name, cache.hashes(), bot_seed=opts.bot_seed, ticks=opts.ticks,
                host_abi=opts.host_abi, vm_abi=opts.vm_abi, token=self.token,
                password=opts.password, admin_token=opts.admin_token,
                on_tick=self._on_tick, on_notice=self._on_notice)
        except LocalMisuse as exc:  # a Hello the protocol refuses (the name)
            raise ClientError(f"protocol error: {exc}") from None

    async def run(self) -> dict[str, Any]:
        """Play until the driver's game ends; the summary, or the error saying how it ended."""
        driver = self.driver
        try:
            await _transmit(self.ws, driver.link, driver.start())
            while driver.phase is not Phase.ENDED:
                try:
                    data = await self.ws.recv()
                except websockets.exceptions.WebSocketException as exc:
                    driver.lost(str(exc) or type(exc).__name__)
                    break
                driver.receive(data)
                for sha in list(driver.needs):
                    driver.cached(sha, self.cache.get(sha))
                for elf in driver.take_store():  # only once every mod is verified and loaded
                    self.cache.put(elf)
                self._progress()
                await self._flush()
        except GameEnded as exc:  # a send failed
            if not self.began:
                raise
            raise GameEnded(exc.code, exc.reason, self._summarise(exc.ended)) from None
        await self._flush()
        return self._outcome()

    @property
    def began(self) -> bool:
        """True once the first snapshot is loaded (the summary then has a game to tell)."""
        return self.driver.join.snapshot_size is not None

    def _progress(self) -> None:
        """Keep the token once welcomed, and the join's time once the game began."""
        driver, opts = self.driver, self.opts
        if not self.token_seen and driver.join.player_id is not None \
                and driver.phase is not Phase.ENDED:
            self.token_seen = True
            if opts.keep_token and driver.token != self.token:
                self.tokens.put(opts.url, opts.name, driver.token)
        if self.began and "join_ms" not in self.summary:
            self.summary["join_ms"] = round((time.perf_counter() - self.started) * 1000, 1)

    async def _flush(self) -> None:
        """Send the driver's output; once the game is over, as best we can (a connection
        already gone is not an error then)."""
        for data in self.driver.take_output():
            if self.driver.phase is not Phase.ENDED:
                await _transmit(self.ws, self.driver.link, data)
                continue
            try:
                await self.ws.send(data)
            except websockets.exceptions.WebSocketException:
                pass

    def _outcome(self) -> dict[str, Any]:
        """The summary of a game that ended as asked, else the error saying how it ended."""
        driver = self.driver
        ending, code, reason = driver.ending, driver.end_code, driver.end_reason or ""
        if ending is Ending.REFUSED:
            raise JoinRefused(code or "", reason)
        if ending is Ending.ERROR:
            raise ClientError(driver.ended)
        summary = self._summarise(driver.ended or "") if self.began else None
        if summary is not None and (ending is Ending.DONE or (
                ending is Ending.SERVER and self.opts.ticks is None and code == Code.SHUTDOWN)):
            return summary  # the ticks asked for, or "until the server closes": it did
        raise GameEnded(code, reason, summary)  # the server's Bye, or the connection lost

    def _summarise(self, ended: str) -> dict[str, Any]:
        driver = self.driver
        follower = driver.follower
        assert follower is not None
        self.summary.update(
            protocol=driver.link.protocol_version, player_id=driver.join.player_id,
            mods=len(driver.join.manifest), mods_from_cache=driver.from_cache,
            mod_bytes_received=driver.mod_bytes, snapshot_bytes=driver.join.snapshot_size,
            ended=ended, ticks=follower.ticks, desyncs=follower.desyncs, tick=follower.tick,
            state_hash=follower.sim.state_hash(),
            reports=[str(p) for p in _write_reports(follower, self.opts.report_dir)])
        return self.summary

    def _on_tick(self, follower: Follower) -> None:
        """The driver applied a tick: the view, the chat lines seen, our next ``say`` line."""
        opts = self.opts
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
            self.driver.say(self.say.pop(0))

    def _on_notice(self, text: str) -> None:
        notices: list[str] = self.summary["notices"]
        notices.append(text)
        del notices[:-SUMMARY_CHAT_LINES]
        if self.opts.on_notice:
            self.opts.on_notice(text)


async def _send(ws: Any, link: Link, msg: Message) -> None:
    """Send ``msg`` through ``link``; ``GameEnded`` if the connection is gone."""
    await _transmit(ws, link, link.send(msg))


async def _transmit(ws: Any, link: Link, data: bytes) -> None:
    """Send ``data``; ``GameEnded`` if the connection is gone (with the server's reason when
    its ``Bye`` arrived before our send failed)."""
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
    return GameEnded(None, str(exc) or type(exc).__name__)


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
