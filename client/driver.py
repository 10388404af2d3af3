"""A whole client without I/O: websocket messages in, messages to send out, a view to draw.

The browser's Web Worker runs this in Pyodide (``client.browser`` is its glue); it holds no
socket, timer, file or clock. Its shell moves bytes: ``receive`` each websocket message,
send what ``take_output`` returns, answer ``needs`` from the mod cache (``cached``), store
``take_store``'s verified ELFs, pass the player's keys to ``press``. (``needs`` also names
the builds a hot reload swaps in that the cache may hold; the others are fetched.) The join is
``lockstep.join.Join``'s and following the game ``lockstep.follower.Follower``'s; this class
sequences them and keeps what a page shows: the phase, the download, chat, how the game
ended. ``client.session`` (asyncio, websockets, the cache folder) is the other shell over it,
with ``on_tick`` and ``on_notice`` for its text view and summary::

    driver = Driver("ann", cache_hashes)
    ws.send(driver.start())
    for data in websocket:
        driver.receive(data)
        for sha in list(driver.needs): driver.cached(sha, cache.get(sha))
        for elf in driver.take_store(): cache.put(elf)
        for out in driver.take_output(): ws.send(out)

Nothing raises out of ``receive`` but the callbacks' own errors: a failure ends the game
(``phase`` ``ENDED``, ``ending`` says how and ``ended`` why, a ``Bye`` telling the server is
in the output).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any

from game.presentation import presentation_state
from game.simulation import SimulationError
from lockstep.follower import ChatLine, Follower
from lockstep.join import Join, JoinError, Refused, resume
from lockstep.wire import reason_text
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

__all__ = ["Driver", "Phase", "Ending", "HELD_TICKS", "CHAT_KEPT", "ended_line"]

#: Ticks held back, at most, waiting for a build a reload swaps in.
HELD_TICKS = 1200
#: Chat lines kept for the page (older ones scroll away).
CHAT_KEPT = 200


class Phase(Enum):
    """Where the client is, as the page names it."""

    CONNECTING = "connecting"  # no Hello sent yet
    JOINING = "joining"  # Hello sent, no Welcome yet
    DOWNLOADING = "downloading"  # mods from the cache and the server
    SYNCING = "syncing"  # mods loaded, Ready sent, the first snapshot coming
    PLAYING = "playing"  # in game, in step with the server
    DESYNC = "desync"  # our hash differed; the server's snapshot is coming
    ENDED = "ended"  # refused, left, disconnected: ``ended`` says why


class Ending(Enum):
    """How the game ended (``Driver.ending``), for a shell that reports it."""

    DONE = "done"  # we left: the ticks asked for were applied, or ``leave``
    REFUSED = "refused"  # the server refused the join (``Refusal``, or a ``Bye`` for a Welcome)
    SERVER = "server"  # the server's ``Bye`` during the game
    LOST = "lost"  # the connection closed without a ``Bye``
    ERROR = "error"  # we could not go on (a mod, the protocol, a state); our ``Bye`` says why


def ended_line(code: str | None, reason: str) -> str:
    """How a game the server (its ``Bye`` code, or None: the connection) ended reads:
    ``server said shutdown: ...`` or ``connection lost: ...``."""
    if code is None:
        return f"connection lost: {reason}"
    return f"server said {code}: {reason}"


class Driver:
    """One client's game, sans-I/O.

    Args:
        name: the player's name.
        cached: the SHA-256s the mod cache holds.
        bot_seed: play as ``riscade connect --bot`` does with this seed (None: a human).
        ticks: leave after applying this many ticks (None: stay).
        host_abi, vm_abi: the ABIs claimed (tests override them to be refused).
        token: the token this server gave this player before (``""``: none): a return within
            the server's grace period plays as the same player. Keep ``token`` for next time.
        password, admin_token: the server's password and admin token (``""``: none).
        on_tick: called with the follower after each applied tick (and its ``Desync``), before
            the bot's buttons and the ``ticks`` check: it may ``say`` a line.
        on_notice: called with each line the server tells this player alone (``Notice``).

    Raises:
        LocalMisuse: a ``Hello`` the protocol refuses (a name too long or empty...).
    """

    def __init__(self, name: str, cached: list[str] | tuple[str, ...] = (), *,
                 bot_seed: int | None = None, ticks: int | None = None,
                 host_abi: str | None = None, vm_abi: str = VM_ABI, token: str = "",
                 password: str = "", admin_token: str = "",
                 on_tick: Callable[[Follower], None] | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        self.link = Link(Role.CLIENT)
        self.join = Join(name, cached, host_abi=host_abi or HOST_API.abi_hash(), vm_abi=vm_abi,
                         token=token, password=password, admin_token=admin_token)
        self.join.hello.check_limits(DEFAULT_LIMITS)  # a name too long: LocalMisuse, now
        self.phase = Phase.CONNECTING
        self.follower: Follower | None = None
        self.bot = Bot(bot_seed) if bot_seed is not None else None
        self.ticks_wanted = ticks
        self.on_tick = on_tick
        self.on_notice = on_notice
        #: SHA-256s the cache must give (``cached``) before the next ``receive``.
        self.needs: list[str] = []
        #: How the game ended (one line), once ``phase`` is ``ENDED``.
        self.ended: str | None = None
        #: Then: how, the ``Bye``'s code (the server's, else ours; None: none), the bare reason
        #: (the server's, or our error's).
        self.ending: Ending | None = None
        self.end_code: str | None = None
        self.end_reason: str | None = None
        self.chat: deque[dict[str, Any]] = deque(maxlen=CHAT_KEPT)
        self.chat_seen = 0
        self.resyncs = 0
        #: Per mod of the manifest: name, size, sha256, "cache" / "sent" / "done".
        self.downloads: list[dict[str, Any]] = []
        self.mod_bytes = 0  # compressed bytes of mod blobs received (join and reloads)
        self.from_cache = 0
        self._out: list[bytes] = []
        self._store: list[bytes] = []
        self._cache_has = set(cached)  # what the cache holds, as far as we know
        self._held: deque[Tick] = deque()
        self._assembler = SnapshotAssembler()
        self._seq = 0
        self._sent_buttons = 0
        self._buttons = 0

    # --- the shell's calls -------------------------------------------------------------------

    def start(self) -> bytes:
        """The ``Hello``: the first message to send."""
        self.phase = Phase.JOINING
        return self.link.send(self.join.hello)

    def take_output(self) -> list[bytes]:
        """Messages to send, in order (then forgotten)."""
        out, self._out = self._out, []
        return out

    def take_store(self) -> list[bytes]:
        """Verified ELFs to put in the mod cache (then forgotten)."""
        out, self._store = self._store, []
        return out

    def receive(self, data: bytes) -> None:
        """One websocket message from the server."""
        if self.phase is Phase.ENDED:
            return
        self._guarded(lambda: self._receive(self.link.receive(data)))

    def _guarded(self, step: Callable[[], None]) -> None:
        """Run ``step``; whatever it raises ends the game with the reason."""
        try:
            step()
        except Refused as exc:
            self._end(Ending.REFUSED, exc.code, exc.reason, f"refused ({exc.code}): {exc.reason}")
        except JoinError as exc:
            self._fail(str(exc), exc.bye)
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            self._fail(reason, Bye(code=Code.PROTOCOL_ERROR, reason=reason_text(reason)))
        except SimulationError as exc:  # a reload's build missing at its tick
            reason = f"cannot follow the game: {exc}"
            self._fail(reason, Bye(code=Code.DESYNC, reason=reason_text(reason)))

    def cached(self, sha256: str, elf: bytes | None) -> None:
        """The cache's answer for one of ``needs`` (None: it does not hold it)."""
        if sha256 not in self.needs or self.phase is Phase.ENDED:
            return
        self.needs.remove(sha256)
        if self.follower is not None and self.phase in (Phase.PLAYING, Phase.DESYNC):
            self._guarded(lambda: self._reload_build(sha256, elf))
            return
        try:
            self.join.cached(sha256, elf)
        except JoinError as exc:
            self._fail(str(exc), exc.bye)
            return
        self.from_cache += 1
        self._mark(sha256, "cache")
        self._maybe_loaded()

    def lost(self, reason: str) -> None:
        """The connection closed without a ``Bye`` (or could not open)."""
        if self.phase is not Phase.ENDED:
            self._end(Ending.LOST, None, reason, ended_line(None, reason))

    def press(self, buttons: int) -> None:
        """The player's buttons (``BUTTON_*`` bits) now held; sent at once if they changed."""
        self._buttons = buttons & 0xFFFFFFFF
        self._send_buttons(self._buttons)

    def say(self, text: str) -> str | None:
        """Send a chat line; returns why not (not in game, too long), or None."""
        if self.phase not in (Phase.PLAYING, Phase.DESYNC):
            return "not in game"
        msg = Chat(text=text)
        try:
            msg.check_limits(DEFAULT_LIMITS)
        except ProtocolError as exc:
            return str(exc)
        self._out.append(self.link.send(msg))
        return None

    def leave(self) -> None:
        """Leave the game (the player closed the page)."""
        if self.phase is not Phase.ENDED:
            self._fail("left", Bye(code=Code.QUIT, reason="left"), Ending.DONE)

    @property
    def token(self) -> str:
        """Our token on this server once welcomed (``""`` before): keep it for the next join."""
        return self.join.token

    # --- what a page shows --------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The client's figures (``window.riscade.status()``)."""
        f = self.follower
        playing = f is not None and self.phase in (Phase.PLAYING, Phase.DESYNC, Phase.ENDED)
        return {
            "state": self.phase.value,
            "tick": f.tick if playing and f else None,
            "ticks": f.ticks if f else 0,
            "desyncs": f.desyncs if f else 0,
            "resyncs": self.resyncs,
            "state_hash": f.sim.state_hash() if playing and f else None,
            "player_id": self.join.player_id,
            "mods": [d["name"] for d in self.downloads],
            "downloads": self.downloads,
            "mod_bytes_received": self.mod_bytes,
            "mods_from_cache": self.from_cache,
            "ended": self.ended,
            "end_code": self.end_code,
            "buttons": self._sent_buttons,
        }

    def view(self) -> dict[str, Any] | None:
        """What to draw (``game.presentation.presentation_state``) with each player's name,
        or None before the first snapshot."""
        f = self.follower
        if f is None or self.phase in (Phase.CONNECTING, Phase.JOINING, Phase.DOWNLOADING,
                                       Phase.SYNCING):
            return None
        state = presentation_state(f.sim)
        roster = f.sim.services.roster.players
        state["players"] = [{"player": pid, "entity": eid, "name": roster.get(pid, ("?",))[0]}
                            for pid, eid in sorted(f.sim.world.players.items())]
        state["me"] = self.join.player_id
        return state

    # --- inside -------------------------------------------------------------------------------

    def _receive(self, msg: Message) -> None:
        if self.phase is Phase.JOINING:
            self.needs = list(self.join.welcome(msg))
            sending = {e.sha256 for e in self.join.manifest if e.sha256 not in self.needs}
            self.downloads = [{"name": e.name, "size": e.size, "sha256": e.sha256,
                               "state": "sent" if e.sha256 in sending else "cache",
                               "bytes": 0, "done": False}
                              for e in self.join.manifest]
            self.phase = Phase.DOWNLOADING
            self._maybe_loaded()
        elif self.phase is Phase.DOWNLOADING:
            if self.needs:
                raise JoinError("the cache was not read before the next message")
            self.join.blob(msg)
            assert isinstance(msg, ModBlob)
            self.mod_bytes += len(msg.data)
            for d in self.downloads:
                if d["sha256"] == msg.sha256:
                    d["bytes"] = len(msg.data)
            self._mark(msg.sha256, "sent")
            self._maybe_loaded()
        elif self.phase is Phase.SYNCING:
            if self.join.snapshot(msg) is not None:
                self.phase = Phase.PLAYING
                self._leave_if_done()
        else:
            self._play(msg)

    def _mark(self, sha256: str, how: str) -> None:
        for d in self.downloads:
            if d["sha256"] == sha256:
                d["state"], d["done"] = how, True

    def _maybe_loaded(self) -> None:
        """Every mod here: load them, cache the downloaded ones, say Ready."""
        if self.phase is not Phase.DOWNLOADING or self.needs or self.join.downloading:
            return
        try:
            self.follower = self.join.load_mods()
        except JoinError as exc:
            self._fail(str(exc), exc.bye)
            return
        self._store.extend(self.join.downloaded)
        self._cache_has.update(hashlib.sha256(elf).hexdigest() for elf in self.join.downloaded)
        self._out.append(self.link.send(Ready()))
        self.phase = Phase.SYNCING

    def _play(self, msg: Message) -> None:
        follower = self.follower
        assert follower is not None
        if isinstance(msg, Tick):
            for entry in follower.announce(msg):  # a reload's builds: the cache's, or fetched
                if entry.sha256 in self._cache_has:
                    self.needs.append(entry.sha256)
                else:
                    self._out.append(self.link.send(Fetch(sha256=entry.sha256)))
            self._held.append(msg)
        elif isinstance(msg, ModBlob):
            elf = decompress_mod(msg.data, msg.size, msg.sha256)
            self._store.append(elf)
            self._cache_has.add(msg.sha256)
            follower.add_mod(elf)
            self.mod_bytes += len(msg.data)
        elif isinstance(msg, Snapshot | SnapshotPart):
            whole = self._assembler.add(msg)
            if whole is not None:
                resume(follower, whole)
                if self.phase is Phase.DESYNC:
                    self.resyncs += 1
                self.phase = Phase.PLAYING
            return
        elif isinstance(msg, Bye):
            self._end(Ending.SERVER, msg.code, msg.reason, ended_line(msg.code, msg.reason))
            return
        elif isinstance(msg, Notice):  # to us alone, outside the game (an admin's answer)
            self.chat_seen += 1
            self.chat.append({"tick": follower.tick, "text": msg.text, "server": True})
            if self.on_notice is not None:
                self.on_notice(msg.text)
            return
        self._release()

    def _reload_build(self, sha256: str, elf: bytes | None) -> None:
        """The cache's answer for a build a reload swaps in: used if it is that build, else
        fetched from the server."""
        assert self.follower is not None
        if elf is not None and hashlib.sha256(elf).hexdigest() == sha256:
            self.follower.add_mod(elf)
            self.from_cache += 1
        else:
            self._cache_has.discard(sha256)
            self._out.append(self.link.send(Fetch(sha256=sha256)))
        self._release()

    def _release(self) -> None:
        """Apply the held ticks whose reload builds are all here."""
        follower = self.follower
        assert follower is not None
        while self._held and follower.ready(self._held[0]) and self.phase is not Phase.ENDED:
            self._tick(self._held.popleft())
        if len(self._held) > HELD_TICKS:
            reason = (f"the build a reload needs at tick {self._held[0].tick} did not come in "
                      f"{HELD_TICKS} ticks")
            self._fail(reason, Bye(code=Code.PROTOCOL_ERROR, reason=reason))

    def _tick(self, msg: Tick) -> None:
        follower = self.follower
        assert follower is not None
        if not follower.apply(msg) and follower.pending is not None:
            self._out.append(self.link.send(Desync(tick=msg.tick,
                                                   state_hash=follower.pending.client_hash)))
            self.phase = Phase.DESYNC
        if self.on_tick is not None:
            self.on_tick(follower)
        for line in follower.chat:
            self._chat_line(line)
        if self.bot is not None:
            new = self.bot.after_tick(follower.ticks)
            if new is not None:
                self._send_buttons(new)
        self._leave_if_done()

    def _leave_if_done(self) -> None:
        """Leave once the ``ticks`` asked for are applied (at once if none are)."""
        f = self.follower
        if f is not None and self.ticks_wanted is not None and f.ticks >= self.ticks_wanted:
            self._fail(f"left after {f.ticks} ticks", Bye(code=Code.QUIT, reason="done"),
                       Ending.DONE)

    def _chat_line(self, line: ChatLine) -> None:
        self.chat_seen += 1
        row = line.as_dict()
        if line.player is not None and self.follower is not None:
            name = self.follower.sim.services.roster.players.get(line.player)
            row["name"] = name[0] if name else f"p{line.player}"
        self.chat.append(row)

    def _send_buttons(self, buttons: int) -> None:
        if self.phase not in (Phase.PLAYING, Phase.DESYNC) or self.follower is None:
            return
        if buttons == self._sent_buttons:
            return
        self._seq += 1
        self._sent_buttons = buttons
        self._out.append(self.link.send(Input(seq=self._seq, tick=self.follower.tick,
                                              buttons=buttons)))

    def _fail(self, reason: str, bye: Bye | None, ending: Ending = Ending.ERROR) -> None:
        """End the game ourselves, telling the server why (``bye``) if we still can."""
        if bye is not None:
            try:
                self._out.append(self.link.send(bye))
            except ProtocolError:
                pass
        self._end(ending, bye.code if bye else None, reason, reason)

    def _end(self, ending: Ending, code: str | None, reason: str, line: str) -> None:
        self.phase = Phase.ENDED
        self.ending, self.end_code, self.end_reason, self.ended = ending, code, reason, line
        self.needs = []
