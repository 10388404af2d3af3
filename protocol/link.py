"""The state of one connection, as a sans-I/O object: every rule of who may send what, when.

Scope: this file holds every ordering rule of the protocol. ``FLOW`` is the table: for the
role that sends a message and the current state, the message types allowed and the state each
leads to. Both ends of a connection walk the same table (a client's link and the server's link
for it pass through the same states), so the table states the protocol once. A few rules that
a type alone cannot express are checked beside it (``Link._guards``): the version chosen is
one the client offered, every mod is cached or sent, each announced mod is sent once with its
manifest size and before ``Ready``, a mod a ``Tick``'s reload announced is fetched at most
once and before its tick, and sent only once fetched, with its size (at most ``max_mods``
reloads and builds pending); ticks follow each other
one by one, input numbers increase, a snapshot is no larger than the manifest's mods can make
it (``snapshot_room`` of their memory), and its parts come in order and add up exactly to the
size it declared. They are checked the same way on both sides.

One state is left by a rule rather than by a message type: after a ``Snapshot`` the link is
in ``SNAPSHOT`` until its compressed data is whole (at once, if the ``Snapshot`` carries all
of it), then in ``PLAYING``. The server sends a snapshot's parts one after the other with
nothing between them, so a ``Tick`` in ``SNAPSHOT`` is a violation.

A message that the table or a rule does not allow is ``LocalMisuse`` from ``send`` and
``PeerViolation`` from ``receive``, naming the message, the sender's role and the state; the
state does not advance and the link goes to ``ERROR``. In ``ERROR`` the link reads nothing
more and can only send a ``Bye``. After ``Bye``, either way, it is ``CLOSED`` and accepts
nothing: the I/O shell closes the websocket and stops feeding it.

    link = Link(Role.CLIENT)
    ws.send(link.send(Hello(...)))
    msg = link.receive(await ws.recv())     # Welcome, ModBlob..., Snapshot (+ parts), Tick...
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from .codec import decode, encode
from .errors import LocalMisuse, PeerViolation, ProtocolError
from .limits import DEFAULT_LIMITS, Limits, snapshot_room
from .messages import (
    Bye,
    Chat,
    Desync,
    Fetch,
    Hello,
    Input,
    ModBlob,
    Notice,
    Ready,
    Refusal,
    Snapshot,
    SnapshotPart,
    Tick,
    Welcome,
)
from .schema import Message

__all__ = ["Role", "State", "FLOW", "Link"]


class Role(Enum):
    """Which end of a connection a link is, or which end sent a message."""

    CLIENT = "client"
    SERVER = "server"

    @property
    def peer(self) -> Role:
        """The other end."""
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


class State(Enum):
    """Where a connection is. Both ends name it the same."""

    START = "start"  # connected; the client owes a Hello
    HELLO_SENT = "hello_sent"  # the server owes a Welcome or a Refusal
    SYNCING = "syncing"  # the server sends the missing mods; the client then says Ready
    READY = "ready"  # the client has every mod; the server owes a Snapshot
    SNAPSHOT = "snapshot"  # a snapshot's data is not whole yet: its SnapshotParts follow
    PLAYING = "playing"  # ticks, inputs, chat, resynchronisation
    CLOSED = "closed"  # a Bye or a Refusal was sent or received; nothing more
    ERROR = "error"  # a rule was broken; only a Bye may still be sent


_S = State
#: (role that sends, state) -> {message type: next state}. A missing entry is a violation.
FLOW: dict[tuple[Role, State], dict[type[Message], State]] = {
    (Role.CLIENT, _S.START): {Hello: _S.HELLO_SENT, Bye: _S.CLOSED},
    (Role.SERVER, _S.START): {Bye: _S.CLOSED},
    (Role.CLIENT, _S.HELLO_SENT): {Bye: _S.CLOSED},
    (Role.SERVER, _S.HELLO_SENT): {Welcome: _S.SYNCING, Refusal: _S.CLOSED, Bye: _S.CLOSED},
    (Role.CLIENT, _S.SYNCING): {Ready: _S.READY, Bye: _S.CLOSED},
    (Role.SERVER, _S.SYNCING): {ModBlob: _S.SYNCING, Bye: _S.CLOSED},
    (Role.CLIENT, _S.READY): {Bye: _S.CLOSED},
    (Role.SERVER, _S.READY): {Snapshot: _S.SNAPSHOT, Bye: _S.CLOSED},
    # Left for PLAYING as soon as the snapshot's data is whole (``Link._advance``).
    (Role.CLIENT, _S.SNAPSHOT): {Bye: _S.CLOSED},
    (Role.SERVER, _S.SNAPSHOT): {SnapshotPart: _S.SNAPSHOT, Bye: _S.CLOSED},
    (Role.CLIENT, _S.PLAYING): {
        Input: _S.PLAYING,
        Chat: _S.PLAYING,
        Desync: _S.PLAYING,
        Fetch: _S.PLAYING,
        Bye: _S.CLOSED,
    },
    (Role.SERVER, _S.PLAYING): {
        Tick: _S.PLAYING,
        ModBlob: _S.PLAYING,
        Notice: _S.PLAYING,
        Snapshot: _S.SNAPSHOT,
        Bye: _S.CLOSED,
    },
    # After an error our side may still say why; ``receive`` never reads these two rows.
    (Role.CLIENT, _S.ERROR): {Bye: _S.CLOSED},
    (Role.SERVER, _S.ERROR): {Bye: _S.CLOSED},
}


class Link:
    """One end of one connection: checks and encodes what we send, decodes and checks what
    we receive, and follows ``FLOW``. No sockets, tasks or clocks.

    Args:
        role: which end we are, ``Role.CLIENT`` or ``Role.SERVER``.
        limits: the limits applied to both directions; both ends should use the same.

    Attributes:
        role, limits: as given.
        state: the current ``State``.
        protocol_version: the version chosen by ``Welcome``, ``None`` before it.
        tick: the last tick sent or received (snapshot or tick), ``None`` before the first.
        snapshot_due: bytes of the current snapshot's compressed data still to come in
            ``SnapshotPart`` messages (0 when no snapshot is in flight).
    """

    def __init__(self, role: Role, *, limits: Limits = DEFAULT_LIMITS) -> None:
        if not isinstance(role, Role):
            raise LocalMisuse(f"a link's role is a Role, not {role!r}")
        self.role = role
        self.limits = limits
        self.state = State.START
        self.protocol_version: int | None = None
        self.tick: int | None = None
        self._hello: Hello | None = None
        self._pending: dict[str, int] = {}  # sha256 -> size of announced mods not yet sent
        # sha256 -> (size, tick) of mods a Tick's reload announced, until fetched or due
        self._offered: dict[str, tuple[int, int]] = {}
        self._reloads: set[int] = set()  # ticks of the reloads announced, until they come
        self._input_seq = 0
        self._snapshot_cap = 0  # the largest snapshot the manifest's mods can make
        self._snapshot_at = 0  # bytes of the snapshot in flight received so far
        self._snapshot_end = 0  # its Snapshot.data_size
        self._error: ProtocolError | None = None

    @property
    def pending_mods(self) -> frozenset[str]:
        """SHA-256s of the mods ``Welcome.sending`` announced that have not come yet."""
        return frozenset(self._pending)

    @property
    def snapshot_due(self) -> int:
        """Bytes of the snapshot in flight still to come (0: none is in flight)."""
        return self._snapshot_end - self._snapshot_at

    def send(self, msg: Message, *, encoded: bytes | None = None) -> bytes:
        """Check that we may send ``msg`` now, and encode it.

        Args:
            msg: the message to send.
            encoded: ``encode(msg, limits=self.limits)`` when the caller already has it (a
                server broadcasting one tick to many links encodes it once).

        Returns:
            The bytes of one binary websocket message.

        Raises:
            LocalMisuse: ``msg`` is not allowed in this state for our role, breaks a rule of
                the session, or is over a limit. The link is then in ``ERROR``.
        """
        try:
            if not isinstance(msg, Message):
                raise LocalMisuse(f"cannot send {type(msg).__name__}: not a message")
            data = encode(msg, limits=self.limits) if encoded is None else encoded
            self._advance(self.role, msg)
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return data

    def receive(self, data: bytes) -> Message:
        """Decode one websocket message from the peer and check that it may come now.

        Args:
            data: the payload of one websocket message.

        Returns:
            The message; the state has advanced past it.

        Raises:
            PeerViolation: the bytes are malformed or over a limit, or the message is not
                allowed now. The link is then in ``ERROR``: send ``Bye`` and close.
            LocalMisuse: the link is already in ``ERROR``; nothing is read.
        """
        if self.state is State.ERROR:
            raise LocalMisuse(f"{self.role.value} link is in ERROR ({self._error}); read nothing")
        try:
            msg = decode(data, limits=self.limits)
            try:
                self._advance(self.role.peer, msg)
            except LocalMisuse as exc:
                raise PeerViolation(str(exc)) from exc
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return msg

    def _fail(self, exc: ProtocolError) -> None:
        if self.state is not State.ERROR:
            self._error = exc
        self.state = State.ERROR

    def _advance(self, sender: Role, msg: Message) -> None:
        """Move past ``msg`` sent by ``sender``, or raise ``LocalMisuse`` and change nothing."""
        kind = type(msg)
        following = FLOW.get((sender, self.state), {}).get(kind)
        if following is None:
            raise LocalMisuse(
                f"{sender.value} may not send {kind.__name__} in state {self.state.name}"
            )
        guard = self._guards.get(kind)
        if guard is not None:
            guard(self, msg)  # checks first, then records: a failed check changes nothing
        if following is State.SNAPSHOT and not self.snapshot_due:
            following = State.PLAYING  # the snapshot's data is whole: no part follows
        self.state = following

    # -- rules beyond the table; each checks everything before it records anything ---------

    def _on_hello(self, msg: Hello) -> None:
        self._hello = msg

    def _on_welcome(self, msg: Welcome) -> None:
        hello = self._hello
        assert hello is not None  # HELLO_SENT is reached by a Hello only
        if msg.protocol_version not in hello.protocol_versions:
            raise LocalMisuse(
                f"Welcome picks protocol version {msg.protocol_version}, "
                f"which the client did not offer"
            )
        cached, sending = set(hello.cached_mods), set(msg.sending)
        for entry in msg.manifest:
            if entry.sha256 not in cached and entry.sha256 not in sending:
                raise LocalMisuse(f"Welcome neither sends nor finds cached mod {entry.name!r}")
            if entry.host_abi != hello.host_abi:
                raise LocalMisuse(
                    f"Welcome lists mod {entry.name!r} built for host ABI {entry.host_abi}, "
                    f"not the client's {hello.host_abi}"
                )
        self.protocol_version = msg.protocol_version
        self._pending = {e.sha256: e.size for e in msg.manifest if e.sha256 in sending}
        memory = sum(entry.memory_limit for entry in msg.manifest)
        self._snapshot_cap = snapshot_room(memory, len(msg.manifest))

    def _on_mod_blob(self, msg: ModBlob) -> None:
        size = self._pending.get(msg.sha256)
        if size is None:
            raise LocalMisuse(f"ModBlob {msg.sha256} was not announced, or was already sent")
        if msg.size != size:
            raise LocalMisuse(f"ModBlob {msg.sha256} is {msg.size} bytes, the manifest says {size}")
        del self._pending[msg.sha256]

    def _on_ready(self, msg: Ready) -> None:
        if self._pending:
            raise LocalMisuse(f"Ready while {len(self._pending)} announced mods have not come")

    def _on_snapshot(self, msg: Snapshot) -> None:
        if self.tick is not None and msg.tick < self.tick:
            raise LocalMisuse(f"Snapshot of tick {msg.tick} goes back from tick {self.tick}")
        if msg.size > self._snapshot_cap:
            raise LocalMisuse(f"Snapshot of {msg.size} bytes is over the {self._snapshot_cap} "
                              "bytes the manifest's mods can fill")
        self.tick = msg.tick
        self._snapshot_at, self._snapshot_end = len(msg.data), msg.data_size

    def _on_snapshot_part(self, msg: SnapshotPart) -> None:
        if msg.offset != self._snapshot_at:
            raise LocalMisuse(f"SnapshotPart at offset {msg.offset}, expected offset "
                              f"{self._snapshot_at}")
        if len(msg.data) > self.snapshot_due:
            raise LocalMisuse(f"SnapshotPart of {len(msg.data)} bytes at offset {msg.offset} "
                              f"runs past the snapshot's {self._snapshot_end} bytes")
        self._snapshot_at += len(msg.data)

    def _on_tick(self, msg: Tick) -> None:
        assert self.tick is not None  # PLAYING is reached by a Snapshot only
        if msg.tick != self.tick + 1:
            raise LocalMisuse(f"Tick {msg.tick} follows tick {self.tick}")
        offered = {sha: due for sha, due in self._offered.items() if due[1] > msg.tick}
        reloads = {t for t in self._reloads if t > msg.tick}
        for reload in msg.reloads:
            reloads.add(reload.tick)
            for entry in reload.mods:
                offered[entry.sha256] = (entry.size, reload.tick)
        if max(len(offered), len(reloads)) > self.limits.max_mods:
            raise LocalMisuse(f"Tick {msg.tick} leaves {len(reloads)} reloads of "
                              f"{len(offered)} builds pending, over max_mods="
                              f"{self.limits.max_mods}")
        self.tick = msg.tick
        self._offered, self._reloads = offered, reloads

    def _on_fetch(self, msg: Fetch) -> None:
        offered = self._offered.pop(msg.sha256, None)
        if offered is None:
            raise LocalMisuse(f"Fetch of {msg.sha256}, which no pending reload announced, "
                              "or which was already fetched")
        self._pending[msg.sha256] = offered[0]

    def _on_input(self, msg: Input) -> None:
        if msg.seq <= self._input_seq:
            raise LocalMisuse(f"Input seq {msg.seq} does not follow seq {self._input_seq}")
        self._check_seen(msg.tick, "Input")
        self._input_seq = msg.seq

    def _on_desync(self, msg: Desync) -> None:
        self._check_seen(msg.tick, "Desync")

    def _check_seen(self, tick: int, what: str) -> None:
        assert self.tick is not None  # PLAYING is reached by a Snapshot only
        if tick > self.tick:
            raise LocalMisuse(f"{what} names tick {tick}, but the last tick is {self.tick}")

    _guards: dict[type[Message], Callable[[Link, Any], None]] = {
        Hello: _on_hello,
        Welcome: _on_welcome,
        ModBlob: _on_mod_blob,
        Ready: _on_ready,
        Snapshot: _on_snapshot,
        SnapshotPart: _on_snapshot_part,
        Tick: _on_tick,
        Input: _on_input,
        Desync: _on_desync,
        Fetch: _on_fetch,
    }
