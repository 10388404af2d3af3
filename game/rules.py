"""The game's limits on mods, defined once: budgets, caps and world bounds.

Every number here decides what the simulation does, so server and clients must use the same
ones: they are part of the game, not settings. All budgets count instructions or calls, never
seconds. The defaults were chosen by measurement on the 2-core machines this project runs
on (SECURITY.md, "Mods at run time"): a hook spinning through its whole budget retires about 13
million instructions per second there, so one mod at the maximum costs about 75 ms a tick
and every mod of a server together at most ``TICK_INSTRUCTIONS`` (about 150 ms).

``ModLimits`` is the one record of what a mod's machine gets (mod.toml ``[limits]``, a
``ModImage``'s limits), with its defaults and its rule (``ModLimits.problems``):
``mods.manifest`` and ``game`` both call it. This module imports only the VM's page size and
the mods' ABI constants.
"""

from __future__ import annotations

from dataclasses import dataclass

from mods.host_api import constant
from vm.elf import PAGE

__all__ = [
    "ModLimits", "MOD_MEMORY_MIN", "MOD_STACK_MIN", "MOD_INSTRUCTIONS_MAX",
    "MOD_INSTRUCTIONS_MIN", "TICK_INSTRUCTIONS",
    "MOD_INSTRUCTIONS_DEFAULT", "MOD_MEMORY_DEFAULT", "MOD_STACK_DEFAULT",
    "STARTUP_INSTRUCTIONS", "HOST_CALLS_PER_TICK", "MOD_STRING_MAX", "MOD_MEMORY_MAX",
    "ENTITIES_PER_MOD", "MAX_ENTITIES", "MAX_EVENTS_PER_TICK",
    "EVENTS_PER_MOD", "LOG_LINES_PER_TICK", "LOG_LINE_LENGTH", "MOD_CHAT_LINES",
    "MOD_CHAT_LENGTH", "SPEED_MAX", "SCORE_MAX", "HEALTH_MAX", "PERMISSIONS",
    "PERMISSION_PLAYERS", "MAX_FAULTS", "KIND_STYLES_PER_MOD", "STYLE_SIZE_MAX",
    "LABEL_LENGTH", "HUD_LINES_PER_MOD", "HUD_LINE_LENGTH", "SCORE_TITLE_LENGTH",
    "SOUNDS_PER_MOD", "COMMANDS_PER_MOD", "COMMAND_NAME_LENGTH", "COMMAND_HELP_LENGTH",
    "HELP_LINES", "QUERY_MAX", "QUERY_SCAN_PER_HOST_CALL", "TIMER_TICKS_MAX", "TIMERS_PER_MOD",
    "MESSAGE_BYTES", "MESSAGES_PER_TICK", "MOD_SAVE_MAX",
    "PERMISSION_PLAYERS", "MAX_FAULTS", "PERMISSION_ENTITIES", "NAMED_MAX", "KINDS_PER_MOD",
    "PROP_KEYS_PER_MOD", "PROP_VALUES_PER_MOD", "STORAGE_KEY_MAX", "STORAGE_VALUE_MAX",
    "STORAGE_BYTES_PER_MOD", "STORAGE_KEYS_PER_MOD", "STORAGE_MODS_MAX",
]

#: A mod's instruction budget per tick, across all its hooks and the events it handles
#: (mod.toml ``[limits] instructions``); one hook call may spend what is left of it.
MOD_INSTRUCTIONS_MIN = 1_000
MOD_INSTRUCTIONS_MAX = 1_000_000
#: What a mod gets when its mod.toml does not say: budget, guest memory, stack.
MOD_INSTRUCTIONS_DEFAULT = 500_000
MOD_MEMORY_DEFAULT = 4 << 20
MOD_STACK_DEFAULT = 256 << 10
#: The least guest memory and stack a mod may ask for (the stack: at most half its memory).
MOD_MEMORY_MIN = 64 << 10
MOD_STACK_MIN = 16 << 10
#: The budgets of all the mods a server runs add up to at most this: a mod that would take
#: the sum over it is refused at start-up (in load order), so no tick can cost more.
TICK_INSTRUCTIONS = 2_000_000
#: Budget of ``main`` and of ``on_load``, each (once, on the server only: joining clients
#: restore machines from the snapshot).
STARTUP_INSTRUCTIONS = 20_000_000
#: Host calls one mod may make per tick (each costs the host far more than an instruction).
#: The movement mod walking the world makes 3 per resting entity and 6 per moving one; a
#: host call from translated code costs about 0.5 us here (16,384 of them: 7-9 ms a tick).
HOST_CALLS_PER_TICK = 16_384
#: Bytes of one string a mod passes to the host (a log or chat line): the host copies it
#: before anything else, so a longer one is a fault, not work.
MOD_STRING_MAX = 4096
#: Guest memory one mod may ask for: every client allocates it twice (the machine, and the
#: shadow copy its state hash compares with) and compares all of it every tick.
MOD_MEMORY_MAX = 16 << 20
#: Entities one mod may have in the world at once (players' entities are the engine's), and
#: all mods together (a join always fits: players' entities do not count).
ENTITIES_PER_MOD = 512
MAX_ENTITIES = 4096
#: Events one mod may emit per tick, and all mods together; more are dropped (and counted
#: in the emitting mod's log).
EVENTS_PER_MOD = 64
MAX_EVENTS_PER_TICK = 1024
#: Log lines one mod may write per tick, and characters kept of each; more are dropped.
LOG_LINES_PER_TICK = 16
LOG_LINE_LENGTH = 200
#: Chat lines all mods together may send per tick (each mod gets an equal share of them),
#: and characters kept of each (the protocol's limit on a player's line).
MOD_CHAT_LINES = 64
MOD_CHAT_LENGTH = 500
#: World bounds the engine keeps whatever a mod asks: |velocity| per axis (64 world units a
#: tick), |score|, health.
SPEED_MAX = 64 * constant("FIXED_ONE")
SCORE_MAX = (1 << 31) - 1
HEALTH_MAX = (1 << 31) - 1
#: What a mod.toml may ask in ``permissions``: "players" lets a mod change or remove
#: players' entities (move them, score them); "entities" lets it change or remove the
#: entities other mods made. Without them those calls fault: a mod changes only its own.
PERMISSION_PLAYERS = "players"
PERMISSION_ENTITIES = "entities"
PERMISSIONS = frozenset({PERMISSION_PLAYERS, PERMISSION_ENTITIES})
#: Faults after which a mod is disabled.
MAX_FAULTS = 3


@dataclass(frozen=True)
class ModLimits:
    """What one mod's machine gets: mod.toml ``[limits]``, with the game's defaults.

    Attributes:
        memory: bytes of guest memory, stack included: a multiple of the VM's page size,
            ``MOD_MEMORY_MIN`` .. ``MOD_MEMORY_MAX``.
        stack: bytes of that memory reserved for the stack: a multiple of the page size,
            ``MOD_STACK_MIN`` .. half of ``memory``.
        instructions: the mod's instruction budget per tick, across all its hooks:
            ``MOD_INSTRUCTIONS_MIN`` .. ``MOD_INSTRUCTIONS_MAX``.

    Constructing one checks nothing (a mod.toml reports every problem at once): call
    ``problems``.
    """

    memory: int = MOD_MEMORY_DEFAULT
    stack: int = MOD_STACK_DEFAULT
    instructions: int = MOD_INSTRUCTIONS_DEFAULT

    def problems(self) -> list[str]:
        """Every rule these limits break, one phrase each (``"stack = 8192 is outside
        16384..32768"``), in field order; empty when the game accepts them."""
        bounds = {
            "memory": (MOD_MEMORY_MIN, MOD_MEMORY_MAX, True),
            "stack": (MOD_STACK_MIN, self.memory // 2, True),
            "instructions": (MOD_INSTRUCTIONS_MIN, MOD_INSTRUCTIONS_MAX, False),
        }
        found = []
        for key, (low, high, paged) in bounds.items():
            value = getattr(self, key)
            if not low <= value <= high:
                found.append(f"{key} = {value} is outside {low}..{high}")
            elif paged and value % PAGE:
                found.append(f"{key} = {value} is not a multiple of {PAGE}")
        return found

# --- presentation and chat (host calls 112..127) -------------------------------------------
#: Kinds one mod may style (``kind_style``/``kind_label``: the first mod to style a kind owns
#: its look); the largest size a style may ask (fixed point: 8 world units).
KIND_STYLES_PER_MOD = constant("KIND_STYLES_PER_MOD")
STYLE_SIZE_MAX = 8 * constant("FIXED_ONE")
#: Characters kept of a kind's or an entity's label (one label per entity).
LABEL_LENGTH = 32
#: HUD lines one mod may show each player, and characters kept of each.
HUD_LINES_PER_MOD = constant("HUD_LINES_PER_MOD")
HUD_LINE_LENGTH = 64
#: Characters kept of the scoreboard's title.
SCORE_TITLE_LENGTH = 32
#: Sounds one mod may play per tick; more are dropped.
SOUNDS_PER_MOD = 8
#: Chat commands one mod may register, characters of a name (``[a-z0-9_]``, no slash) and
#: kept of its help; lines of the game's answer to ``/help`` (the last says what is left out).
COMMANDS_PER_MOD = constant("COMMANDS_PER_MOD")
COMMAND_NAME_LENGTH = 16
COMMAND_HELP_LENGTH = 80
HELP_LINES = 20
#: Queries (``game.queries``): most records one call writes, and how many entities a query
#: may examine per host call it is charged (a query over N entities counts as
#: ``1 + N // QUERY_SCAN_PER_HOST_CALL`` host calls against ``HOST_CALLS_PER_TICK``).
QUERY_MAX = constant("QUERY_MAX")
QUERY_SCAN_PER_HOST_CALL = 16
#: Timers (``game.timers``): the furthest ahead one may be set, and how many one mod may
#: have pending.
TIMER_TICKS_MAX = constant("TIMER_TICKS_MAX")
TIMERS_PER_MOD = constant("TIMERS_PER_MOD")
#: Mod-to-mod messages (``game.messages``): bytes of one payload, messages one mod may send
#: per tick.
MESSAGE_BYTES = constant("MESSAGE_BYTES")
MESSAGES_PER_TICK = constant("MESSAGES_PER_TICK")

#: Bytes a mod's ``on_save`` may hand to its next version (``on_restore``) in a hot reload: the
#: buffer the game lends it on its stack (so within ``MOD_STACK_MIN`` with room to spare).
MOD_SAVE_MAX = 4096


# --- mods' own kinds, entity properties and persistent storage (game.props, game.storage) ---
#: Bytes of a name a mod registers (a kind or a property key): 1..NAMED_MAX, printable ASCII.
NAMED_MAX = 32
#: Kinds one mod may register (``kind_register``; a shared name counts for each mod that
#: declares it), numbered from ``KIND_MOD_BASE``; and property keys (``prop_key``).
KINDS_PER_MOD = 64
PROP_KEYS_PER_MOD = 64
#: Property values one mod may hold (set, and not removed or despawned) at once: 4 for each
#: of its ``ENTITIES_PER_MOD`` entities. With the storage limits below, a world whose mods
#: all fill every cap still fits the snapshot room (``protocol.limits.SNAPSHOT_ROOM_WORLD``).
PROP_VALUES_PER_MOD = 2048
#: Persistent storage per mod: bytes of a key (1..), of a value (0..), of all its keys and
#: values together, and how many keys (so tiny records cannot multiply its serialised size);
#: a value also fits one guest string (``MOD_STRING_MAX``).
STORAGE_KEY_MAX = 64
STORAGE_VALUE_MAX = 4096
STORAGE_BYTES_PER_MOD = 16 << 10
STORAGE_KEYS_PER_MOD = 256
#: Mods whose storage one state (a snapshot, a storage file) may hold: those of the mods a
#: server runs now and of the ones it ran before (a mod that failed to build keeps its data);
#: the protocol's most mods a server may serve (``protocol.Limits.max_mods``).
STORAGE_MODS_MAX = 64
