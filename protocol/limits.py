"""Every size limit of the protocol, in one record with safe defaults.

A receiver checks what its peer sends against its own ``Limits``; a sender checks its own
messages against the same record before they leave, so a message we send is one we would
accept.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import LocalMisuse

__all__ = [
    "Limits",
    "DEFAULT_LIMITS",
    "MiB",
    "SNAPSHOT_ROOM_PER_MOD",
    "SNAPSHOT_ROOM_WORLD",
    "snapshot_room",
]

MiB = 1 << 20

#: Bytes a snapshot may need per mod beside the mod's guest memory: registers, up to 1024
#: saved call frames of 512 bytes, checksums and msgpack framing. (The page map and the
#: index of each changed page, 9 bytes per 4 KiB page, are counted in ``snapshot_room``.)
SNAPSHOT_ROOM_PER_MOD = 1 * MiB
#: Bytes a snapshot may need for the world (the engine caps entities, players and events far
#: below this; ``game`` checks that its own bound fits).
SNAPSHOT_ROOM_WORLD = 8 * MiB


def snapshot_room(guest_memory: int, mods: int) -> int:
    """The largest snapshot that ``mods`` mods with ``guest_memory`` bytes of guest memory in
    all can produce: every page of every machine changed, plus ``SNAPSHOT_ROOM_PER_MOD`` per
    mod and ``SNAPSHOT_ROOM_WORLD``. A join must be able to carry this much."""
    return guest_memory + guest_memory // 256 + mods * SNAPSHOT_ROOM_PER_MOD + SNAPSHOT_ROOM_WORLD


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Size limits, all keyword-only, all positive integers (else ``LocalMisuse``).

    Attributes:
        max_message_size: bytes of one encoded message, checked before it is unpacked. A
            compressed mod or snapshot must fit in one message.
        max_mod_size: bytes of one mod's ELF after decompression.
        max_mod_memory: bytes of guest memory (stack included) one mod's machine may be
            given by a manifest entry; the client allocates it, so a server cannot make it
            allocate more.
        max_total_mod_memory: bytes of guest memory of all the mods of a manifest together.
        max_mod_instructions: instruction budget per tick a manifest entry may ask for (the
            game allows up to ``game.rules.MOD_INSTRUCTIONS_MAX``): what one mod may cost a
            client per tick at most.
        max_snapshot_size: bytes of a snapshot's world and machines after decompression.
            ``None`` (the default) means ``snapshot_room(max_total_mod_memory, max_mods)``:
            what a manifest may allow, a join can carry. A smaller value is ``LocalMisuse``.
            A snapshot travels compressed in a ``Snapshot`` and ``SnapshotPart`` messages of
            at most ``max_message_size`` bytes each, so no snapshot needs a larger message.
        max_mods: entries of a manifest and of the mods sent, dependencies of one mod.
        max_cached_mods: entries of the client's cache list in ``Hello`` (its cache may hold
            mods of many servers).
        max_players: players in one tick's joins, leaves or inputs, and in a snapshot (a
            player has at most one input per tick, so this bounds inputs per tick too).
        max_chats_per_tick: chat lines in one tick.
        max_name_length: characters of a player name.
        max_chat_length: characters of one chat line.
        max_reason_length: characters of a refusal or goodbye reason.
    """

    max_message_size: int = 8 * MiB
    max_mod_size: int = 16 * MiB
    max_mod_memory: int = 16 * MiB
    max_total_mod_memory: int = 64 * MiB
    max_mod_instructions: int = 1_000_000
    max_snapshot_size: int | None = None  # an int once built (None: derived, see above)
    max_mods: int = 64
    max_cached_mods: int = 1024
    max_players: int = 64
    max_chats_per_tick: int = 64
    max_name_length: int = 32
    max_chat_length: int = 500
    max_reason_length: int = 1000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "max_snapshot_size" and value is None:
                continue
            if type(value) is not int or value < 1:
                raise LocalMisuse(f"Limits.{f.name} must be a positive int, got {value!r}")
        if self.max_snapshot_size is None:
            object.__setattr__(self, "max_snapshot_size", self.snapshot_room())
        assert self.max_snapshot_size is not None  # set just above, or an int checked above
        if self.max_snapshot_size < self.snapshot_room():
            raise LocalMisuse(
                f"Limits.max_snapshot_size={self.max_snapshot_size} cannot carry the guest "
                f"memory a manifest may ask for (max_total_mod_memory="
                f"{self.max_total_mod_memory} in up to max_mods={self.max_mods} mods needs "
                f"{self.snapshot_room()})"
            )

    def snapshot_room(self) -> int:
        """The largest snapshot a manifest within these limits can produce."""
        return snapshot_room(self.max_total_mod_memory, self.max_mods)


#: The limits used when none are given.
DEFAULT_LIMITS = Limits()
