"""Every message of the protocol, and the records nested in them.

Each is a frozen, slotted dataclass that checks itself in its constructor (``LocalMisuse`` on
a bad field), so an invalid message cannot exist. A message travels as a msgpack map ``{"t":
TAG, field: value, ...}`` with its fields in the order below; a nested record (``ModEntry``,
``Player``, ``TickInput``, ``TickChat``, ``Reload``) travels as an array of its fields in
order. Sizes a receiver bounds (names, chat, lists of mods or players, decompressed sizes) are
checked against a ``Limits`` by the codec, in both directions.

Who sends what, and when, is the state table in ``link.py``:

    client                          server
    Hello               ─────▶
                        ◀─────      Welcome  (or Refusal, then close)
                        ◀─────      ModBlob  × each mod in Welcome.sending
    Ready               ─────▶
                        ◀─────      Snapshot, SnapshotPart × until its data is whole
    Input, Chat, Desync ─────▶
                        ◀─────      Tick (inputs, joins, leaves, chat, reloads), Snapshot (+ parts)
    Fetch               ─────▶                  (a mod a Tick's reload names, not cached)
                        ◀─────      ModBlob
                        ◀─────      Notice   (to this client alone: an admin command's answer)
    Bye                 ◀────▶      Bye      (either side, any time; then close)

Conventions: a mod is named by the SHA-256 of its ELF, and a state by the SHA-256 of the world
and every mod's machine (``Simulation.state_hash()``), both in lowercase hex; player ids start
at 1; ticks count from 0; every list that says so is in strictly ascending order, so two
encoders of the same message produce the same bytes.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from .compression import max_compressed_size
from .errors import LocalMisuse
from .limits import Limits
from .schema import Bytes, Int, ListOf, Message, Record, RecordOf, Str, spec

__all__ = [
    "Code",
    "ModEntry",
    "Player",
    "TickInput",
    "TickChat",
    "Reload",
    "Hello",
    "Welcome",
    "Refusal",
    "ModBlob",
    "Ready",
    "Snapshot",
    "SnapshotPart",
    "Input",
    "Tick",
    "Chat",
    "Desync",
    "Fetch",
    "Bye",
    "Notice",
    "Message",
    "MESSAGE_TYPES",
    "MESSAGE_BY_TAG",
    "RECORD_TYPES",
    "MAX_VERSIONS",
    "MOD_PAGE",
    "MAX_SECRET",
]

# -- field kinds ----------------------------------------------------------------------------

_U63 = (1 << 63) - 1
_CONTROL = "\x00-\x1f\x7f-\x9f\ud800-\udfff"  # control characters, and lone surrogates

#: Most protocol versions a ``Hello`` may offer.
MAX_VERSIONS = 16
#: A mod's memory and stack sizes are multiples of this (the VM's page size).
MOD_PAGE = 4096

SHA256 = Str(re.compile(r"[0-9a-f]{64}"), "a SHA-256 in 64 lowercase hex digits")
IDENT = Str(
    re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}"),
    "an identifier (1-64 of A-Z a-z 0-9 _ . -, not starting with . or -)",
)
TOKEN = Str(re.compile(r"[!-~]{1,64}"), "1-64 printable ASCII characters without spaces")
#: Characters of a password (``Hello.password``) at most.
MAX_SECRET = 256
#: A player's or an admin's token in a ``Hello``: empty (none) or a ``TOKEN``.
TOKEN_OR_NONE = Str(re.compile(r"[!-~]{0,64}"),
                    "0-64 printable ASCII characters without spaces")
SECRET = Str(re.compile(f"[^{_CONTROL}]{{0,{MAX_SECRET}}}"),
             f"0-{MAX_SECRET} characters without control characters")
CODE = Str(re.compile(r"[a-z][a-z0-9_]{0,31}"), "a code (1-32 of a-z 0-9 _, starting a-z)")
TEXT = Str(re.compile(f"[^{_CONTROL}]+"), "non-empty text without control characters")
NAME = Str(
    re.compile(rf"(?!\s)[^{_CONTROL}]+(?<!\s)"),
    "a non-empty name without control characters or surrounding spaces",
)

VERSION = Int(1, 0xFFFF)
PLAYER_ID = Int(1, 0xFFFF_FFFF)
TICK = Int(0, _U63)
SEQ = Int(1, _U63)
SIZE = Int(0, _U63)
POSITIVE = Int(1, _U63)
BUTTONS = Int(0, 0xFFFF_FFFF)
TICK_RATE = Int(1, 1000)
SHA256_SET = ListOf(SHA256, unique=True)


class Code(StrEnum):
    """The codes of ``Refusal`` and ``Bye`` this code uses.

    Any ``CODE``-shaped string is accepted on the wire, so a newer peer may send codes not
    listed here; show the reason to a human and act on the codes you know.
    """

    VERSION = "version"  # no common protocol version
    VM_ABI = "vm_abi"  # the client's VM ABI is not the server's
    HOST_ABI = "host_abi"  # the client's host-call ABI is not the one the mods use
    NAME = "name"  # the player name is taken or not allowed
    FULL = "full"  # the server has no room
    SHUTDOWN = "shutdown"  # the server is stopping
    QUIT = "quit"  # the player left
    KICKED = "kicked"  # the server removed the player
    TIMEOUT = "timeout"  # the peer went silent
    DESYNC = "desync"  # resynchronisation failed or repeats too often
    MOD_VERIFICATION = "mod_verification"  # a mod blob failed its checks
    RELOADED = "reloaded"  # a mod was hot-reloaded while the client joined: join again
    PASSWORD = "password"  # the server wants a password, and this was not it
    BANNED = "banned"  # an admin banned this player's address or token
    TAKEN = "taken"  # the token's player is connected from elsewhere
    PROTOCOL_ERROR = "protocol_error"  # the peer broke the protocol
    SERVER_ERROR = "server_error"  # the server failed to serve this connection (our bug)


# -- nested records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModEntry(Record):
    """One mod of the server's manifest.

    Attributes:
        name: the mod's name, unique in the manifest.
        version: the mod's own version text, e.g. ``"1.2.0"``.
        sha256: SHA-256 of the mod's ELF, which names it.
        size: bytes of the ELF (at most ``Limits.max_mod_size``).
        language: the source language, e.g. ``"c"``, ``"zig"``, ``"nim"``.
        dependencies: names of mods this one needs; each comes earlier in the manifest.
        memory_limit: bytes of guest memory the mod's machine gets, stack included: a
            multiple of ``MOD_PAGE``, at most ``Limits.max_mod_memory``.
        stack_limit: bytes of that memory reserved for the stack (the mod.toml's
            ``limits.stack``): a multiple of ``MOD_PAGE``, at most half of ``memory_limit``.
            Server and client must use the same, or their machines differ.
        instruction_limit: the mod's instruction budget per tick (across its hooks), at
            most ``Limits.max_mod_instructions``.
        host_abi: the host-call ABI the mod was built against (``HostRegistry.abi_hash()``).
        permissions: what the mod's mod.toml asked of the game (e.g. ``"players"``: it may
            change players' entities); the client's simulation enforces the same ones.
    """

    name: str = spec(IDENT)
    version: str = spec(TOKEN)
    sha256: str = spec(SHA256)
    size: int = spec(POSITIVE, limit="max_mod_size")
    language: str = spec(IDENT)
    dependencies: tuple[str, ...] = spec(ListOf(IDENT, unique=True), limit="max_mods")
    memory_limit: int = spec(POSITIVE, limit="max_mod_memory")
    stack_limit: int = spec(POSITIVE)
    instruction_limit: int = spec(POSITIVE, limit="max_mod_instructions")
    host_abi: str = spec(TOKEN)
    permissions: tuple[str, ...] = spec(ListOf(IDENT, unique=True), limit="max_mods",
                                        default=())

    def _validate(self) -> None:
        for name in ("memory_limit", "stack_limit"):
            value = getattr(self, name)
            if value % MOD_PAGE:
                raise LocalMisuse(f"ModEntry.{name}: {value} is not a multiple of {MOD_PAGE}")
        if self.stack_limit > self.memory_limit // 2:
            raise LocalMisuse(f"ModEntry.stack_limit: {self.stack_limit} is over half of "
                              f"memory_limit={self.memory_limit}")


@dataclass(frozen=True, slots=True)
class Player(Record):
    """A player present in the game: id and display name."""

    id: int = spec(PLAYER_ID)
    name: str = spec(NAME, limit="max_name_length")


@dataclass(frozen=True, slots=True)
class TickInput(Record):
    """One player's input in a tick: the buttons of the player's latest ``Input``."""

    player_id: int = spec(PLAYER_ID)
    buttons: int = spec(BUTTONS)


@dataclass(frozen=True, slots=True)
class TickChat(Record):
    """One line of chat in a tick, from a player's ``Chat``."""

    player_id: int = spec(PLAYER_ID)
    text: str = spec(TEXT, limit="max_chat_length")


@dataclass(frozen=True, slots=True)
class Reload(Record):
    """A hot reload, announced in a ``Tick`` ahead of the tick it happens at.

    Attributes:
        tick: the tick at whose start every machine replaces these mods' programs; after
            the ``Tick`` that announces it.
        mods: the mods replaced, in the order they are (load order: the changed mod, then
            the mods that depend on it, whose entries may be unchanged), each the manifest
            entry it has from then on. A client fetches (``Fetch``) the ones it lacks.
    """

    tick: int = spec(TICK)
    mods: tuple[ModEntry, ...] = spec(ListOf(RecordOf(ModEntry)), limit="max_mods")

    def _validate(self) -> None:
        if not self.mods:
            raise LocalMisuse("Reload.mods: empty")
        if len({m.name for m in self.mods}) != len(self.mods):
            raise LocalMisuse("Reload.mods: a mod named twice")


_BY_ID = operator.attrgetter("id")
_BY_PLAYER = operator.attrgetter("player_id")
PLAYERS = ListOf(RecordOf(Player), ascending=True, key=_BY_ID)


# -- handshake ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello(Message):
    """Client → server, first: what the client speaks and which mods it already has.

    Attributes:
        protocol_versions: every protocol version the client speaks (1-16, no repeats).
        vm_abi: the VM ABI the client implements; the server refuses another.
        host_abi: the host-call ABI the client implements; the server refuses another.
        name: the player's display name.
        cached_mods: SHA-256s of the mod ELFs in the client's cache.
        token: the ``Welcome.token`` this server gave the player before (``""``: none): a
            returning player within the server's grace period plays as the same player.
        password: the server's password, if it has one (``""``: none).
        admin_token: the server's admin token, to use the admin commands (``""``: none).

    The last three are optional on the wire (absent when empty), so a ``Hello`` without
    them keeps the version-1 shape any server can refuse by version.
    """

    TAG: ClassVar[str] = "hello"

    protocol_versions: tuple[int, ...] = spec(ListOf(VERSION, max_len=MAX_VERSIONS, unique=True))
    vm_abi: str = spec(TOKEN)
    host_abi: str = spec(TOKEN)
    name: str = spec(NAME, limit="max_name_length")
    cached_mods: tuple[str, ...] = spec(SHA256_SET, limit="max_cached_mods", default=())
    token: str = spec(TOKEN_OR_NONE, default="", optional=True)
    password: str = spec(SECRET, default="", optional=True)
    admin_token: str = spec(TOKEN_OR_NONE, default="", optional=True)

    def __repr__(self) -> str:
        """Like the dataclass's, with the secrets hidden (a Hello may be logged)."""
        hidden = {f: "***" if getattr(self, f) else "" for f in ("token", "password",
                                                                  "admin_token")}
        return (f"Hello(protocol_versions={self.protocol_versions!r}, vm_abi={self.vm_abi!r}, "
                f"host_abi={self.host_abi!r}, name={self.name!r}, "
                f"cached_mods=<{len(self.cached_mods)}>, token={hidden['token']!r}, "
                f"password={hidden['password']!r}, admin_token={hidden['admin_token']!r})")

    def _validate(self) -> None:
        if not self.protocol_versions:
            raise LocalMisuse("Hello.protocol_versions: offers no version")


@dataclass(frozen=True, slots=True)
class Welcome(Message):
    """Server → client: the handshake succeeded.

    Attributes:
        protocol_version: the version both speak from now on (one the client offered).
        player_id: the id the client plays as.
        tick_rate: ticks per second (1-1000).
        manifest: every mod of the game in load order: each after its dependencies.
        sending: SHA-256s of the mods that follow as ``ModBlob`` messages, in any order:
            every manifest mod the client did not list as cached.
        token: the player's token: the client keeps it and sends it in its next ``Hello``
            to this server (``Hello.token``) to play as the same player after a disconnect.
            It stays the same for as long as the server keeps the player.
    """

    TAG: ClassVar[str] = "welcome"

    protocol_version: int = spec(VERSION)
    player_id: int = spec(PLAYER_ID)
    tick_rate: int = spec(TICK_RATE)
    manifest: tuple[ModEntry, ...] = spec(ListOf(RecordOf(ModEntry)), limit="max_mods")
    sending: tuple[str, ...] = spec(SHA256_SET, limit="max_mods")
    token: str = spec(TOKEN)

    def _validate(self) -> None:
        names: set[str] = set()
        hashes: set[str] = set()
        for i, entry in enumerate(self.manifest):
            where = f"Welcome.manifest[{i}]"
            if entry.name in names:
                raise LocalMisuse(f"{where}: mod name {entry.name!r} repeated")
            if entry.sha256 in hashes:
                raise LocalMisuse(f"{where}: mod {entry.sha256} repeated")
            later = [d for d in entry.dependencies if d not in names]
            if later:
                raise LocalMisuse(
                    f"{where}: {entry.name!r} depends on {', '.join(later)}, "
                    "not earlier in the manifest"
                )
            names.add(entry.name)
            hashes.add(entry.sha256)
        unknown = [h for h in self.sending if h not in hashes]
        if unknown:
            raise LocalMisuse(f"Welcome.sending: {unknown[0]} is not in the manifest")

    def check_limits(self, limits: Limits) -> None:
        """The fields' limits, and the guest memory of all mods together."""
        Message.check_limits(self, limits)  # (slots dataclass: no zero-argument super)
        total = sum(entry.memory_limit for entry in self.manifest)
        if total > limits.max_total_mod_memory:
            raise LocalMisuse(f"Welcome.manifest: {total} bytes of guest memory in all, over "
                              f"max_total_mod_memory={limits.max_total_mod_memory}")


@dataclass(frozen=True, slots=True)
class Refusal(Message):
    """Server → client, instead of ``Welcome``: the server will not let this client in.

    Attributes:
        code: what went wrong, for programs (see ``Code``).
        reason: what went wrong, for the player; the client prints it.
    """

    TAG: ClassVar[str] = "refusal"

    code: str = spec(CODE)
    reason: str = spec(TEXT, limit="max_reason_length")


@dataclass(frozen=True, slots=True)
class ModBlob(Message):
    """Server → client: one mod of ``Welcome.sending``, zstd-compressed.

    Attributes:
        sha256: the mod's SHA-256, as in the manifest.
        size: bytes of the ELF once decompressed; equal to the manifest entry's size.
        data: the zstd frame (``compress_mod``); open it with ``decompress_mod``.
    """

    TAG: ClassVar[str] = "mod_blob"

    sha256: str = spec(SHA256)
    size: int = spec(POSITIVE, limit="max_mod_size")
    data: bytes = spec(Bytes(min_len=1))


@dataclass(frozen=True, slots=True)
class Ready(Message):
    """Client → server: every mod is present and verified; send the world."""

    TAG: ClassVar[str] = "ready"


# -- the running game -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot(Message):
    """Server → client: the whole game state, to join or to resynchronise.

    The compressed state is ``data_size`` bytes: ``data`` holds the first of them, and
    ``SnapshotPart`` messages carry the rest, in order, right after this one (nothing else
    comes between them; see ``protocol.snapshots``). So a snapshot of any size allowed by
    ``Limits.max_snapshot_size`` travels in messages within ``Limits.max_message_size``.

    Attributes:
        tick: the last tick applied to this state; the next ``Tick`` is ``tick + 1``.
        size: bytes of the state once decompressed (at most ``Limits.max_snapshot_size``).
        data_size: bytes of the compressed state in all: ``data`` and the parts that follow.
            At most ``max_compressed_size(size)``, so the receiver knows the whole transfer
            is bounded before it accepts a byte of it.
        data: the first bytes of the zstd-compressed ``Simulation.snapshot()``; once whole,
            open it with ``decompress_blob``.
        state_hash: the state's hash, equal to ``Tick.state_hash`` of the same tick.
        players: the players present, ascending by id.
    """

    TAG: ClassVar[str] = "snapshot"

    tick: int = spec(TICK)
    size: int = spec(SIZE, limit="max_snapshot_size")
    data_size: int = spec(POSITIVE)
    data: bytes = spec(Bytes(min_len=1))
    state_hash: str = spec(SHA256)
    players: tuple[Player, ...] = spec(PLAYERS, limit="max_players", default=())

    def _validate(self) -> None:
        bound = max_compressed_size(self.size)
        if self.data_size > bound:
            raise LocalMisuse(f"Snapshot.data_size: {self.data_size} bytes cannot be the "
                              f"compressed form of {self.size} bytes (at most {bound})")
        if len(self.data) > self.data_size:
            raise LocalMisuse(f"Snapshot.data_size: {self.data_size} bytes, less than the "
                              f"{len(self.data)} bytes of data")

    @property
    def whole(self) -> bool:
        """True when ``data`` is the whole compressed state (no part follows)."""
        return len(self.data) == self.data_size


@dataclass(frozen=True, slots=True)
class SnapshotPart(Message):
    """Server → client: more of the compressed state of the ``Snapshot`` just sent.

    Attributes:
        offset: where ``data`` goes in the compressed state: the bytes received so far
            (``len(Snapshot.data)`` for the first part). The link checks it and that no part
            runs past ``Snapshot.data_size``.
        data: the next bytes of the compressed state.
    """

    TAG: ClassVar[str] = "snapshot_part"

    offset: int = spec(POSITIVE)
    data: bytes = spec(Bytes(min_len=1))


@dataclass(frozen=True, slots=True)
class Input(Message):
    """Client → server: the player's input, for the next tick the server closes.

    Attributes:
        seq: this input's number: 1 first, then strictly increasing.
        tick: the last tick the client had applied when it sent this (a lag hint).
        buttons: 32 bits of buttons held; a tick carries the latest. What a bit means is the
            game's, not the protocol's: ``mods.host_api``'s ``BUTTON_*`` constants (the SDK's),
            and mods see all 32 bits in ``on_input``.
    """

    TAG: ClassVar[str] = "input"

    seq: int = spec(SEQ)
    tick: int = spec(TICK)
    buttons: int = spec(BUTTONS)


@dataclass(frozen=True, slots=True)
class Tick(Message):
    """Server → client: one tick of the game, which every machine applies identically.

    The fields are ``game.simulation.TickInputs``, applied to the state after tick
    ``tick - 1`` in the simulation's order: mods re-enabled, leaves, joins, inputs, chat
    lines.

    Attributes:
        tick: the tick's number, one more than the previous tick or snapshot.
        state_hash: the hash of the state *after* this tick is applied; a client compares it
            with its own after applying the tick, and sends ``Desync`` on a mismatch.
        joins: players who join in this tick, ascending by id.
        leaves: ids of players who leave in this tick, ascending.
        inputs: at most one input per player, ascending by player id; a player without one
            sent none since the previous tick.
        chats: chat lines in the order the server received them.
        enables: names of disabled mods the server's admin re-enables at the start of this
            tick (``Simulation.enable_mod``), so every machine re-enables them at one tick.
        reloads: hot reloads announced in this tick, each for a later tick (``Reload``).
    """

    TAG: ClassVar[str] = "tick"

    tick: int = spec(TICK)
    state_hash: str = spec(SHA256)
    joins: tuple[Player, ...] = spec(PLAYERS, limit="max_players", default=())
    leaves: tuple[int, ...] = spec(
        ListOf(PLAYER_ID, ascending=True), limit="max_players", default=()
    )
    inputs: tuple[TickInput, ...] = spec(
        ListOf(RecordOf(TickInput), ascending=True, key=_BY_PLAYER),
        limit="max_players",
        default=(),
    )
    chats: tuple[TickChat, ...] = spec(
        ListOf(RecordOf(TickChat)), limit="max_chats_per_tick", default=()
    )
    enables: tuple[str, ...] = spec(ListOf(IDENT, unique=True), limit="max_mods", default=())
    reloads: tuple[Reload, ...] = spec(ListOf(RecordOf(Reload)), limit="max_mods", default=())

    def _validate(self) -> None:
        for reload in self.reloads:
            if reload.tick <= self.tick:
                raise LocalMisuse(f"Tick {self.tick} announces a reload at tick {reload.tick}, "
                                  "which is not ahead of it")


@dataclass(frozen=True, slots=True)
class Chat(Message):
    """Client → server: a line of chat from this client's player; it comes back to every
    client in a ``Tick``, since mods see chat too."""

    TAG: ClassVar[str] = "chat"

    text: str = spec(TEXT, limit="max_chat_length")


@dataclass(frozen=True, slots=True)
class Desync(Message):
    """Client → server: after applying ``tick`` the client's state hash was ``state_hash``,
    not the server's; the server answers with a ``Snapshot``."""

    TAG: ClassVar[str] = "desync"

    tick: int = spec(TICK)
    state_hash: str = spec(SHA256)


@dataclass(frozen=True, slots=True)
class Fetch(Message):
    """Client → server: send me the mod ``sha256``, which a ``Reload`` of a ``Tick`` named
    and my cache does not hold; the server answers with its ``ModBlob``. Each announced mod
    may be fetched once."""

    TAG: ClassVar[str] = "fetch"

    sha256: str = spec(SHA256)


@dataclass(frozen=True, slots=True)
class Bye(Message):
    """Either side, any time: the sender is closing the connection.

    Attributes:
        code: why, for programs (see ``Code``).
        reason: why, for humans.
    """

    TAG: ClassVar[str] = "bye"

    code: str = spec(CODE)
    reason: str = spec(TEXT, limit="max_reason_length")


@dataclass(frozen=True, slots=True)
class Notice(Message):
    """Server → client, while playing: a line for this player alone, outside the game (the
    answer to an admin command). It is not part of the simulation: nothing hashes it."""

    TAG: ClassVar[str] = "notice"

    text: str = spec(TEXT, limit="max_chat_length")


#: Every message class, in the order of a session.
MESSAGE_TYPES: tuple[type[Message], ...] = (
    Hello,
    Welcome,
    Refusal,
    ModBlob,
    Ready,
    Snapshot,
    SnapshotPart,
    Input,
    Tick,
    Chat,
    Desync,
    Fetch,
    Notice,
    Bye,
)

#: Every record class nested in messages.
RECORD_TYPES: tuple[type[Record], ...] = (ModEntry, Player, TickInput, TickChat, Reload)

#: Message class by its ``"t"`` value.
MESSAGE_BY_TAG: dict[str, type[Message]] = {cls.TAG: cls for cls in MESSAGE_TYPES}
