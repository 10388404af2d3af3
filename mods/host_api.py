"""The game's host API, defined once: host functions, hooks and shared constants.

Everything a mod can call (``HOST_API``), everything the game calls in a mod (``HOOKS``) and
the numbers both sides must agree on (``CONSTANTS``) live here. The SDK generator
(``python -m mods.sdk``) turns this module into ``mods/sdk/riscade.h``, ``riscade.zig`` and
``riscade.nim``; ``HOST_API.abi_hash()`` identifies the table in every SDK file and every
build. Renumbering or retyping a function changes the hash, so append rather than edit.

The game is a top-down arena. The world holds entities (id, kind, position, velocity,
health, score, owning player). Positions and velocities are fixed-point integers in
1/``FIXED_ONE`` world units; there are no floats anywhere in game state, so every machine
computes the same world. Entity ids are positive and never reused; iteration order is id
order. Getters on an id that does not exist return 0; setters on one do nothing. A mod
changes (moves, scores, despawns ...) only the entities it made: players' entities need
``permissions = ["players"]`` in its mod.toml and other mods' ``["entities"]``, else the
call faults (``entity_may_change`` asks first). Mods register their own kinds and entity
property keys by name (``game.props``) and keep bytes across restarts (``game.storage``).

Sides: ``Side.BOTH`` functions behave identically on server and clients: most read or change
the simulated world; ``log`` and ``send_chat`` have effects outside it, the same on every
machine (every machine's simulation records the line; the server prints a mod's chat lines
and each client shows its player the ones addressed to it or to everyone). ``Side.SERVER``
functions would only have effects on the server and do nothing on clients (none exists
today); ``Side.CLIENT`` ones only have effects on a client (sound) and do nothing on the
server. One-sided functions return nothing, so a mod cannot make the simulation depend on
which side it runs on.

The implementations here are placeholders: the game engine supplies the real ones with
``HOST_API.with_impls({...})``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vm.hostcalls import ArgKind, HostFunction, HostRegistry, Side

__all__ = ["HOST_API", "HOOKS", "CONSTANTS", "Hook", "Constant", "hook_by_name", "constant"]

I64, U32, STR = ArgKind.I64, ArgKind.U32, ArgKind.STR
U64, BYTES = ArgKind.U64, ArgKind.BYTES


def _placeholder(name: str) -> Callable[..., Any]:
    def impl(machine: Any, *args: Any) -> Any:
        raise NotImplementedError(f"host function {name}: the game engine supplies it")

    impl.__name__ = f"placeholder_{name}"
    return impl


# (number, name, params, returns, side, doc). Numbers are grouped by area with room to grow.
_TABLE: tuple[tuple[int, str, tuple[tuple[str, ArgKind], ...], ArgKind | None, Side, str], ...] = (
    # Messages and effects
    (0, "log", (("text", STR),), None, Side.BOTH,
     "Write a line to this mod's log (server console, client debug log)."),
    (1, "send_chat", (("player", I64), ("text", STR)), None, Side.BOTH,
     "Send a chat line to one player, or to everyone with ALL_PLAYERS (not secret)."),
    (2, "emit_event", (("kind", I64), ("a", I64), ("b", I64)), None, Side.BOTH,
     "Queue a game event; every mod's on_event receives it at the end of this tick."),
    (3, "play_sound", (("sound", I64), ("x", I64), ("y", I64)), None, Side.CLIENT,
     "Play a sound at a world position (clients only)."),
    # World
    (16, "tick_number", (), I64, Side.BOTH, "The current tick (0 before the first tick)."),
    (17, "random_u32", (), U32, Side.BOTH,
     "Next number of the world's random stream, reseeded by the engine every tick."),
    (18, "world_width", (), I64, Side.BOTH, "Width of the arena in fixed-point units."),
    (19, "world_height", (), I64, Side.BOTH, "Height of the arena in fixed-point units."),
    # Entities
    (32, "entity_spawn", (("kind", I64), ("x", I64), ("y", I64)), I64, Side.BOTH,
     "Create an entity at rest; returns its id, or NO_ENTITY if the world is full."),
    (33, "entity_despawn", (("id", I64),), I64, Side.BOTH,
     "Remove an entity; returns 1 if it existed, else 0."),
    (34, "entity_exists", (("id", I64),), I64, Side.BOTH, "1 if the entity exists, else 0."),
    (35, "entity_count", (), I64, Side.BOTH, "Number of entities."),
    (36, "entity_at", (("index", I64),), I64, Side.BOTH,
     "Id of the index-th entity in id order, or NO_ENTITY past the end."),
    (40, "entity_get_kind", (("id", I64),), I64, Side.BOTH, "Kind of an entity (KIND_*)."),
    (41, "entity_get_x", (("id", I64),), I64, Side.BOTH, "X position (fixed-point)."),
    (42, "entity_get_y", (("id", I64),), I64, Side.BOTH, "Y position (fixed-point)."),
    (43, "entity_get_vx", (("id", I64),), I64, Side.BOTH, "X velocity (fixed-point per tick)."),
    (44, "entity_get_vy", (("id", I64),), I64, Side.BOTH, "Y velocity (fixed-point per tick)."),
    (45, "entity_get_health", (("id", I64),), I64, Side.BOTH, "Health points."),
    (46, "entity_get_score", (("id", I64),), I64, Side.BOTH, "Score."),
    (47, "entity_get_owner", (("id", I64),), I64, Side.BOTH,
     "Owning player, or NO_PLAYER."),
    (48, "entity_set_pos", (("id", I64), ("x", I64), ("y", I64)), None, Side.BOTH,
     "Move an entity (no collision check)."),
    (49, "entity_set_vel", (("id", I64), ("vx", I64), ("vy", I64)), None, Side.BOTH,
     "Set an entity's velocity."),
    (50, "entity_set_health", (("id", I64), ("health", I64)), None, Side.BOTH,
     "Set an entity's health."),
    (51, "entity_add_score", (("id", I64), ("delta", I64)), I64, Side.BOTH,
     "Add to an entity's score; returns the new score."),
    (52, "entity_set_owner", (("id", I64), ("player", I64)), None, Side.BOTH,
     "Set the owning player (NO_PLAYER for none)."),
    # Players
    (64, "player_entity", (("player", I64),), I64, Side.BOTH,
     "The entity a player controls, or NO_ENTITY."),
    (65, "player_count", (), I64, Side.BOTH, "Number of players in the game."),
    (66, "player_at", (("index", I64),), I64, Side.BOTH,
     "Id of the index-th player in id order, or NO_PLAYER past the end."),
    # Queries, player info, timers, mod-to-mod messages (80..95). A query writes up to `max`
    # records of QUERY_RECORD_WORDS int64 each (id, kind, x, y, vx, vy) at address `buf`, in id
    # order, and returns how many entities matched (more than `max` if some did not fit);
    # `max` is at most QUERY_MAX; kind KIND_ANY matches every kind.
    (80, "query_radius", (("x", I64), ("y", I64), ("radius", I64), ("kind", I64),
                          ("buf", ArgKind.U64), ("max", I64)), I64, Side.BOTH,
     "Entities whose position is within `radius` of (x, y) (distance <= radius)."),
    (81, "query_rect", (("x0", I64), ("y0", I64), ("x1", I64), ("y1", I64), ("kind", I64),
                        ("buf", ArgKind.U64), ("max", I64)), I64, Side.BOTH,
     "Entities with x0 <= x <= x1 and y0 <= y <= y1."),
    (82, "query_kind", (("kind", I64), ("first", I64), ("buf", ArgKind.U64), ("max", I64)), I64,
     Side.BOTH, "Entities of a kind whose id is >= first (page on with first = last id + 1)."),
    (84, "player_name", (("player", I64), ("buf", ArgKind.U64), ("max", I64)), I64, Side.BOTH,
     "Write up to max bytes of the player's UTF-8 name at buf; returns its whole length in "
     "bytes, or -1 if there is no such player."),
    (85, "player_ticks_connected", (("player", I64),), I64, Side.BOTH,
     "Ticks since the player joined (0 in its join tick), or -1 if there is no such player."),
    (88, "timer_after", (("ticks", I64), ("tag", I64)), I64, Side.BOTH,
     "Call this mod's on_timer(tag) in `ticks` ticks (1..TIMER_TICKS_MAX); returns 1, or 0 if "
     "the mod already has TIMERS_PER_MOD timers pending."),
    (89, "timer_cancel", (("tag", I64),), I64, Side.BOTH,
     "Cancel this mod's pending timers with this tag; returns how many."),
    (92, "send_message", (("to_mod", STR), ("payload", ArgKind.BYTES)), I64, Side.BOTH,
     "Send `payload` (at most MESSAGE_BYTES) to mod `to_mod`'s on_message in the next tick; "
     "returns 1, or 0 if no enabled mod has that name, or this mod already sent or that mod "
     "already has MESSAGES_PER_TICK messages this tick."),
    # Mods' own kinds, entity properties and ownership (game.props)
    (96, "kind_register", (("name", STR), ("shared", I64)), I64, Side.BOTH,
     "The kind number of a name (KIND_MOD_BASE + n, the same each call): private to this "
     "mod, or with shared != 0 the one kind of every mod declaring that name shared."),
    (97, "prop_key", (("name", STR), ("shared", I64)), I64, Side.BOTH,
     "The number of an entity property key (private, or shared like kind_register)."),
    (98, "entity_prop_get", (("id", I64), ("key", I64)), I64, Side.BOTH,
     "An entity's value of a property key this mod registered; 0 if unset."),
    (99, "entity_prop_set", (("id", I64), ("key", I64), ("value", I64)), None, Side.BOTH,
     "Set an entity's property (0 removes it); it goes when the entity is despawned."),
    (100, "entity_may_change", (("id", I64),), I64, Side.BOTH,
     "1 if this mod may move, change or despawn the entity (it made it, or its mod.toml "
     "permissions allow it), else 0."),
    # Persistent storage (game.storage)
    (104, "storage_get", (("key", STR), ("buf", U64), ("cap", I64)), I64, Side.BOTH,
     "Copy up to cap bytes of this mod's stored value of key into buf; returns the value's "
     "full length, or NO_VALUE."),
    (105, "storage_set", (("key", STR), ("value", BYTES)), I64, Side.BOTH,
     "Store bytes under key (kept across server restarts); 1, or 0 if the mod's storage "
     "would go over its total (nothing changes)."),
    (106, "storage_delete", (("key", STR),), I64, Side.BOTH,
     "Remove a stored key; 1 if it held a value, else 0."),
    # Presentation (world state, hashed): how things look, HUD lines, the scoreboard
    (112, "kind_style", (("kind", I64), ("shape", I64), ("rgb", I64), ("size", I64)), I64,
     Side.BOTH,
     "How entities of a kind look: SHAPE_*, colour 0xRRGGBB, size (fixed-point, 1.."
     "8 units). The first mod to style a kind owns its look; 1 if set, 0 if another mod "
     "owns it or this mod styles KIND_STYLES_PER_MOD kinds. Bad values fault."),
    (113, "kind_label", (("kind", I64), ("text", STR)), I64, Side.BOTH,
     "A kind's label (at most 32 characters kept; empty: none); same owner rule and "
     "result as kind_style."),
    (114, "entity_label", (("id", I64), ("text", STR)), I64, Side.BOTH,
     "An entity's label (at most 32 characters kept; empty: none), gone with the entity; "
     "1 if set, 0 if no such entity. A player's entity needs the players permission."),
    (115, "hud_set", (("player", I64), ("line", I64), ("text", STR)), I64, Side.BOTH,
     "Line 0..3 of this mod's HUD lines for a player (at most 64 characters kept; empty "
     "clears it); 1 if set, 0 if no such player. Another line number faults."),
    (116, "score_title", (("text", STR),), None, Side.BOTH,
     "Title of the scoreboard (players by their entity's score; at most 32 characters "
     "kept); empty hides it. The last call wins."),
    # Chat
    (117, "chat_consumed", (), I64, Side.BOTH,
     "In on_chat: 1 if a mod before this one (load order) returned 1 for this line, else 0."),
    (118, "command_register", (("name", STR), ("help", STR)), I64, Side.BOTH,
     "List the chat command /name (1..16 of a-z 0-9 _) with its help (80 characters kept) "
     "in the game's /help; the mod still handles it in on_chat. 1 if listed, 0 if another "
     "mod has the name or this mod has COMMANDS_PER_MOD. A bad name faults."),
)

#: The game's host-function table. Implementations are placeholders (see module docstring).
HOST_API = HostRegistry([
    HostFunction(number, name, params, returns, _placeholder(name), side, doc)
    for number, name, params, returns, side, doc in _TABLE
])


@dataclass(frozen=True)
class Hook:
    """A function a mod may export for the game to call (all hooks are optional)."""

    name: str
    params: tuple[tuple[str, ArgKind], ...]
    returns: ArgKind | None
    doc: str

    def signature(self) -> str:
        """Canonical text, like ``HostFunction.signature`` without number and side."""
        params = ",".join(f"{n}:{k.value}" for n, k in self.params)
        return f"{self.name}({params})->{self.returns.value if self.returns else 'void'}"


#: Hooks, in the order the engine calls them: on_load once, after main; then each tick:
#: leaves, joins, inputs, chat lines, on_tick, events. Every mod sees a call before the next
#: call is made, mods in load order (dependencies first, then name).
HOOKS: tuple[Hook, ...] = (
    Hook("on_load", (), None,
         "Once, after main returned and before the first tick; the world exists."),
    Hook("on_player_leave", (("player", I64), ("entity", I64)), None,
         "A player left; its entity is despawned after every mod saw this call."),
    Hook("on_player_join", (("player", I64), ("entity", I64)), None,
         "A player joined; the engine already spawned its KIND_PLAYER entity."),
    Hook("on_input", (("player", I64), ("buttons", I64)), None,
         "A player's BUTTON_* bits for this tick (players that sent input, in id order)."),
    Hook("on_chat", (("player", I64), ("text", STR)), I64,
         "A chat line from a player; return 1 if the mod handled it as a command, else 0."),
    Hook("on_tick", (("tick", I64),), None, "Once per tick, after the tick's inputs and chat."),
    Hook("on_event", (("kind", I64), ("a", I64), ("b", I64)), None,
         "After on_tick, once per event emitted this tick (also by on_event), in order."),
    Hook("on_timer", (("tag", I64),), None,
         "A timer this mod set with timer_after is due: after chat lines, before on_message "
         "and on_tick; a mod's timers due in one tick fire in the order they were set."),
    Hook("on_message", (("from_mod", STR), ("payload", ArgKind.BYTES)), None,
         "A message another mod (or this one) sent with send_message in the previous tick: "
         "after on_timer, before on_tick, in the order they were sent."),
    Hook("on_mod_disabled", (("name", STR),), None,
         "Mod `name` was disabled (it faulted MAX_FAULTS times): at the end of the tick it "
         "happened in, after the events."),
    Hook("on_save", (("buf", I64), ("cap", I64)), I64,
         "Hot reload, before this version goes: write up to cap bytes of state at buf (a "
         "pointer) and return how many; the next version's on_restore gets them."),
    Hook("on_restore", (("data", BYTES),), None,
         "Hot reload, after main of the new version: the bytes on_save returned (instead of "
         "on_load, which runs when either version lacks the pair)."),
)


def hook_by_name(name: str) -> Hook | None:
    """The hook called ``name``, or None."""
    return next((h for h in HOOKS if h.name == name), None)


@dataclass(frozen=True)
class Constant:
    """A named integer both the game and every mod use."""

    name: str
    value: int
    doc: str


FIXED_SHIFT = 8

CONSTANTS: tuple[Constant, ...] = (
    Constant("FIXED_SHIFT", FIXED_SHIFT, "positions are in 1/2^FIXED_SHIFT world units"),
    Constant("FIXED_ONE", 1 << FIXED_SHIFT, "one world unit in fixed-point"),
    Constant("NO_ENTITY", -1, "returned where no entity exists"),
    Constant("NO_PLAYER", -1, "owner of an entity no player owns"),
    Constant("ALL_PLAYERS", -1, "send_chat to everyone"),
    Constant("KIND_PLAYER", 1, "an entity a player controls"),
    Constant("KIND_COIN", 2, "a coin to pick up"),
    Constant("KIND_PROJECTILE", 3, "a projectile"),
    Constant("KIND_MOD_BASE", 100, "mods define their own kinds from here"),
    Constant("BUTTON_UP", 1, "input bit: move up (towards y = 0)"),
    Constant("BUTTON_DOWN", 2, "input bit: move down"),
    Constant("BUTTON_LEFT", 4, "input bit: move left (towards x = 0)"),
    Constant("BUTTON_RIGHT", 8, "input bit: move right"),
    Constant("BUTTON_FIRE", 16, "input bit: fire"),
    Constant("EVENT_COIN_TAKEN", 1, "emit_event(EVENT_COIN_TAKEN, player entity, new score)"),
    Constant("EVENT_MOD_BASE", 1000, "mods define their own event kinds from here"),
    Constant("SOUND_COIN", 1, "a coin was picked up"),
    Constant("SHAPE_CIRCLE", 1, "kind_style shape: a disc"),
    Constant("SHAPE_SQUARE", 2, "kind_style shape: a square"),
    Constant("SHAPE_TRIANGLE", 3, "kind_style shape: a triangle"),
    Constant("SHAPE_DIAMOND", 4, "kind_style shape: a diamond"),
    Constant("HUD_LINES_PER_MOD", 4, "hud_set lines per mod and player (0..3)"),
    Constant("KIND_STYLES_PER_MOD", 16, "kinds one mod may style"),
    Constant("COMMANDS_PER_MOD", 8, "chat commands one mod may register"),
    Constant("KIND_ANY", 0, "queries: match entities of every kind (not a kind to spawn)"),
    Constant("QUERY_RECORD_WORDS", 6, "int64 words per query record: id, kind, x, y, vx, vy"),
    Constant("QUERY_MAX", 8192, "most records one query call writes"),
    Constant("TIMER_TICKS_MAX", 1 << 20, "the furthest ahead timer_after may call back"),
    Constant("TIMERS_PER_MOD", 64, "timers one mod may have pending"),
    Constant("MESSAGE_BYTES", 1024, "bytes of one send_message payload"),
    Constant("MESSAGES_PER_TICK", 32, "messages one mod may send per tick"),
    Constant("NO_VALUE", -1, "storage_get: the key holds nothing"),
)


def constant(name: str) -> int:
    """The value of the constant ``name`` of ``CONSTANTS`` (KeyError if there is none)."""
    for c in CONSTANTS:
        if c.name == name:
            return c.value
    raise KeyError(name)
