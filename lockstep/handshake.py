"""The server's side of every handshake, without I/O: who may join, as whom, with which mods.

``Handshake.accept(hello)`` answers a client's ``Hello`` with a ``Welcome`` or a ``Refusal``,
checking in this order:

1. the protocol version and the VM and host ABIs (``lockstep.hello.check_hello``);
2. a slot in the room (``Room.reserve``: players present, joining and in their handshake all
   hold one), else ``Code.FULL``;
3. the name, cleaned of what a reader cannot see (``lockstep.names``): not empty, within the
   protocol's limits, and not held by another player without regard to case or width, else
   ``Code.NAME``.

A ``Welcome`` holds the slot and the name for its player id, and its ``sending`` lists the
manifest's mods the client did not say it has cached (``missing``): the blobs the shell sends.
Its ``token`` comes from ``issue`` (the server's ``server.identity.Identities.issue``).

A returning player (``accept(hello, reclaim=pid)``: the shell found ``hello.token`` to be a
disconnected player's whose slot it kept) gets that player id back, with its slot and its
name (the ``Hello``'s name is not used: the world knows the player by its old one) and its
token; only the checks of step 1 apply.
``admit`` lets the player into the world when its ``Ready`` arrives; ``leave`` frees what it
held, at any stage. A hot reload changes the manifest (``swap``) when it is announced (the
server sends no snapshot until it happened); a player welcomed with the manifest before it
(``current`` is False) cannot load the snapshot after it, and must join again. The shell
(``server.app``) moves the bytes, sends the blobs and runs the timers; how many connections
one address may open is ``lockstep.admission``'s.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence

from protocol import (
    DEFAULT_LIMITS,
    Code,
    Hello,
    Limits,
    LocalMisuse,
    ModEntry,
    Player,
    Refusal,
    Welcome,
)

from .hello import check_hello
from .names import clean_name, name_key
from .room import Room
from .wire import reason_text

__all__ = ["Handshake", "refusal"]


def refusal(code: Code, reason: str) -> Refusal:
    """A ``Refusal`` with ``reason`` made fit for the wire (``reason_text``)."""
    return Refusal(code=code, reason=reason_text(reason))


def _fresh_token(pid: int) -> str:
    """A random token that nobody keeps (a handshake without identities)."""
    return secrets.token_urlsafe(24)


class Handshake:
    """Every handshake of one server: the player ids and names it handed out.

    Args:
        room: the room whose slots players take (``Room.reserve``) and join (``Room.admit``).
        manifest: every mod of the game, in load order.
        host_abi: the host-call ABI the mods were built against; clients must speak it.
        tick_rate: ticks per second, told in every ``Welcome``.
        limits: the protocol's limits; a name must fit them once cleaned.
        issue: gives a new player id its token (default: a random one nobody keeps).
    """

    def __init__(self, room: Room, manifest: Sequence[ModEntry], *, host_abi: str,
                 tick_rate: int, limits: Limits = DEFAULT_LIMITS,
                 issue: Callable[[int], str] | None = None) -> None:
        self.room = room
        self.issue = issue or _fresh_token
        self.manifest = tuple(manifest)
        self.host_abi = host_abi
        self.tick_rate = tick_rate
        self.limits = limits
        self._holders: dict[str, int] = {}  # name_key -> player id
        self._names: dict[int, str] = {}  # player id -> name, from accept until leave
        self._welcomed: dict[int, tuple[ModEntry, ...]] = {}  # player id -> its manifest

    def accept(self, hello: Hello, *, reclaim: int | None = None) -> Welcome | Refusal:
        """Answer ``hello``: a ``Welcome`` (a slot and the name now held for its
        ``player_id``; ``sending``: the mods to send) or a ``Refusal`` (nothing held).

        ``reclaim``: the id of the player whose ``token`` ``hello`` carries, whose slot and
        name are still held (``LocalMisuse`` if not): the ``Welcome`` is for it.
        """
        checked = check_hello(hello, host_abi=self.host_abi)
        if not isinstance(checked, int):
            return refusal(*checked)
        if reclaim is not None:
            if reclaim not in self._names or not hello.token:
                raise LocalMisuse(f"player {reclaim} holds no slot, or the Hello no token")
            welcome = Welcome(protocol_version=checked, player_id=reclaim,
                              tick_rate=self.tick_rate, manifest=self.manifest,
                              sending=self.missing(hello.cached_mods), token=hello.token)
            self._welcomed[reclaim] = self.manifest
            return welcome
        pid = self.room.reserve()
        if pid is None:
            return refusal(Code.FULL, f"the server is full ({self.room.max_players} players)")
        why = self._claim(hello.name, pid)
        if why is not None:
            self.room.leave(pid)
            return refusal(Code.NAME, why)
        try:
            welcome = Welcome(protocol_version=checked, player_id=pid, tick_rate=self.tick_rate,
                              manifest=self.manifest, sending=self.missing(hello.cached_mods),
                              token=self.issue(pid))
            self._welcomed[pid] = self.manifest
            return welcome
        except BaseException:  # a manifest of ours a Welcome cannot carry: hold nothing
            self.leave(pid)
            raise

    def missing(self, cached: Iterable[str]) -> tuple[str, ...]:
        """The SHA-256s of the manifest's mods not in ``cached``, in manifest order."""
        held = frozenset(cached)
        return tuple(entry.sha256 for entry in self.manifest if entry.sha256 not in held)

    def name(self, pid: int) -> str:
        """The name player ``pid`` holds (KeyError if it holds none)."""
        return self._names[pid]

    def holder(self, name: str) -> int | None:
        """The player id holding ``name`` (compared as names are: ``name_key`` of the
        cleaned name), or ``None``."""
        return self._holders.get(name_key(clean_name(name)))

    def resume(self, pid: int, name: str) -> None:
        """Player ``pid`` of a resumed game (``Room.resume``) is held for its return: its
        name (as the room has it, cleaned at its join) stays its own, and a ``Hello`` with
        its token may ``accept`` it back (``reclaim``)."""
        self._holders[name_key(name)] = pid
        self._names[pid] = name

    def admit(self, pid: int) -> None:
        """Player ``pid``, welcomed, has every mod: it joins the world in the next tick."""
        self.room.admit(pid, self._names[pid])

    def leave(self, pid: int) -> None:
        """Player ``pid`` is gone, at any stage: its slot and its name are free (the room
        sees it leave in the next tick if it had joined). No-op for an unknown id."""
        self.room.leave(pid)
        self._welcomed.pop(pid, None)
        name = self._names.pop(pid, None)
        if name is not None:
            del self._holders[name_key(name)]

    def swap(self, entries: Iterable[ModEntry]) -> None:
        """A hot reload was announced: joiners get the mods named in ``entries`` as these
        entries from now on (the order of the manifest stays)."""
        new = {e.name: e for e in entries}
        self.manifest = tuple(new.get(e.name, e) for e in self.manifest)

    def current(self, pid: int) -> bool:
        """True if player ``pid`` was welcomed with the manifest as it is now."""
        return self._welcomed.get(pid) == self.manifest

    def _claim(self, raw: str, pid: int) -> str | None:
        """Hold ``raw`` cleaned for ``pid``; or why not."""
        name = clean_name(raw)
        if not name:
            return "your name is empty once invisible characters are removed"
        try:
            Player(id=pid, name=name).check_limits(self.limits)
        except LocalMisuse:
            return "your name is not allowed"
        key = name_key(name)
        if key in self._holders:
            return f"the name {name!r} is taken"
        self._holders[key] = pid
        self._names[pid] = name
        return None
