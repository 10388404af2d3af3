"""Presentation as world state: how kinds and entities look, HUD lines, the scoreboard, sounds.

Mods decide what players see with host calls 112..116 (``presentation_impls``); what they
decide is part of the world (``World.look``): journaled like every other change (a hook that
faults leaves no trace), serialised in ``World.to_bytes`` and so hashed and sent in
snapshots, identical on the server and every client. Every string is cut to its limit in
``game.rules`` and cleaned (``game.text.clean``) on the way in, every table is bounded:
styles per mod, one label per entity (gone with it), HUD lines per mod and player (gone
with the player).

Sounds (``play_sound``) are not state: like chat lines they are an output of the tick, the
same on every machine, kept until the next tick starts, capped per mod.

A renderer (the text view of ``riscade connect``, the browser) needs one call:
``presentation_state(sim)``, the whole picture as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgpack

from mods.host_api import constant

from .rules import (
    HUD_LINE_LENGTH,
    HUD_LINES_PER_MOD,
    KIND_STYLES_PER_MOD,
    LABEL_LENGTH,
    SCORE_TITLE_LENGTH,
    SOUNDS_PER_MOD,
    STYLE_SIZE_MAX,
)
from .text import clean

if TYPE_CHECKING:
    from .simulation import Simulation
    from .world import World

__all__ = ["Style", "Presentation", "SHAPES", "presentation_impls", "presentation_state"]

#: The shapes ``kind_style`` accepts (0 in a style: the renderer's default).
SHAPES = frozenset(constant(n) for n in
                   ("SHAPE_CIRCLE", "SHAPE_SQUARE", "SHAPE_TRIANGLE", "SHAPE_DIAMOND"))
RGB_MAX = 0xFFFFFF
_I64 = (-(1 << 63), (1 << 63) - 1)
_MISSING = object()
Journal = Callable[[Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class Style:
    """How a kind looks. ``owner`` is the slot of the mod that styled it first; ``shape``
    and ``size`` 0 mean the renderer's default (a kind that has only a label)."""

    owner: int
    shape: int = 0
    rgb: int = RGB_MAX
    size: int = 0
    label: str = ""


class Presentation:
    """Kind styles, entity labels, HUD lines and the scoreboard title of one world."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.styles: dict[int, Style] = {}  # kind -> style
        self.labels: dict[int, str] = {}  # entity id -> label
        self.hud: dict[tuple[int, int, int], str] = {}  # (player, mod slot, line) -> text
        self.title = ""
        #: This tick's sounds, (mod slot, sound, x, y) in the order played: not state.
        self.sounds: list[tuple[int, int, int, int]] = []
        self._packed: bytes | None = None  # ``packed()`` until the next change

    # --- changes (each journaled) -------------------------------------------------------------

    def _put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        """Set ``table[key]`` (delete it for None), undoably."""
        old = table.get(key, _MISSING)
        self._packed = None
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value

        def undo() -> None:
            self._packed = None
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old
        self._journal(undo)

    def _own(self, slot: int, kind: int) -> Style | None:
        """The style of ``kind`` for mod ``slot`` to change (a new one if none), or None if
        another mod owns it or ``slot`` styles ``KIND_STYLES_PER_MOD`` kinds already."""
        style = self.styles.get(kind)
        if style is not None:
            return style if style.owner == slot else None
        if sum(1 for s in self.styles.values() if s.owner == slot) >= KIND_STYLES_PER_MOD:
            return None
        return Style(slot)

    def style_kind(self, slot: int, kind: int, shape: int, rgb: int, size: int) -> int:
        """``kind_style`` for mod ``slot``: 1 if set, 0 if refused.

        Raises:
            ValueError: a shape not in ``SHAPES``, a colour or size out of range.
        """
        if shape not in SHAPES:
            raise ValueError(f"kind_style: shape {shape} is not a SHAPE_* constant")
        if not 0 <= rgb <= RGB_MAX:
            raise ValueError(f"kind_style: colour {rgb:#x} is not 0xRRGGBB")
        if not 0 < size <= STYLE_SIZE_MAX:
            raise ValueError(f"kind_style: size {size} is outside 1..{STYLE_SIZE_MAX}")
        style = self._own(slot, kind)
        if style is None:
            return 0
        self._put(self.styles, kind, Style(slot, shape, rgb, size, style.label))
        return 1

    def label_kind(self, slot: int, kind: int, text: str) -> int:
        """``kind_label`` for mod ``slot``: 1 if set, 0 if refused."""
        style = self._own(slot, kind)
        if style is None:
            return 0
        self._put(self.styles, kind, Style(style.owner, style.shape, style.rgb, style.size,
                                           clean(text, LABEL_LENGTH)))
        return 1

    def label_entity(self, eid: int, text: str) -> None:
        """Label entity ``eid`` (the caller checked it exists); empty text removes it."""
        self._put(self.labels, eid, clean(text, LABEL_LENGTH) or None)

    def set_hud(self, player: int, slot: int, line: int, text: str) -> None:
        """Set (empty text: clear) mod ``slot``'s HUD line ``line`` for ``player``.

        Raises:
            ValueError: ``line`` outside 0..HUD_LINES_PER_MOD-1.
        """
        _check_line(line)
        self._put(self.hud, (player, slot, line), clean(text, HUD_LINE_LENGTH) or None)

    def set_title(self, text: str) -> None:
        """The scoreboard's title (empty: no scoreboard)."""
        old, self.title, self._packed = self.title, clean(text, SCORE_TITLE_LENGTH), None

        def undo() -> None:
            self.title, self._packed = old, None
        self._journal(undo)

    def play(self, slot: int, sound: int, x: int, y: int) -> None:
        """Record a sound of this tick (past ``SOUNDS_PER_MOD`` of one mod: dropped)."""
        if sum(1 for s in self.sounds if s[0] == slot) >= SOUNDS_PER_MOD:
            return
        self.sounds.append((slot, sound, x, y))

        def undo() -> None:
            self.sounds.pop()
        self._journal(undo)

    def forget_entity(self, eid: int) -> None:
        """Drop the label of an entity that is gone."""
        if eid in self.labels:
            self._put(self.labels, eid, None)

    def forget_player(self, player: int) -> None:
        """Drop the HUD lines of a player who left."""
        for key in [k for k in self.hud if k[0] == player]:
            self._put(self.hud, key, None)

    def new_tick(self) -> None:
        """Forget the last tick's sounds."""
        self.sounds = []

    # --- identity -------------------------------------------------------------------------------

    def dump(self) -> list[Any]:
        """Canonical plain form (every table sorted): equal states give equal dumps."""
        return [
            [[k, s.owner, s.shape, s.rgb, s.size, s.label] for k, s in sorted(self.styles.items())],
            [[k, v] for k, v in sorted(self.labels.items())],
            [[*k, v] for k, v in sorted(self.hud.items())],
            self.title,
        ]

    def packed(self) -> bytes:
        """``dump()`` as msgpack, kept until the next change (the world hashes it every tick;
        with every table full, dumping it anew costs ~10 ms)."""
        if self._packed is None:
            self._packed = msgpack.packb(self.dump())
        return self._packed

    @classmethod
    def load(cls, doc: Any, journal: Journal) -> Presentation:
        """Inverse of ``dump``, every value checked (a snapshot may be hostile).

        Raises:
            ValueError: malformed or out of bounds.
        """
        look = cls(journal)
        try:
            styles, labels, hud, title = doc
            for kind, owner, shape, rgb, size, label in styles:
                _check_ints((kind, *_I64), (owner, 1, _I64[1]), (rgb, 0, RGB_MAX),
                            (size, 0, STYLE_SIZE_MAX))
                if shape not in SHAPES | {0}:
                    raise ValueError(f"shape {shape!r}")
                look.styles[kind] = Style(owner, shape, rgb, size, _text(label, LABEL_LENGTH))
            for eid, label in labels:
                _check_ints((eid, 1, _I64[1]))
                look.labels[eid] = _text(label, LABEL_LENGTH, empty=False)
            for player, slot, line, text in hud:
                _check_ints((player, *_I64), (slot, 1, _I64[1]), (line, 0, HUD_LINES_PER_MOD - 1))
                look.hud[(player, slot, line)] = _text(text, HUD_LINE_LENGTH, empty=False)
            look.title = _text(title, SCORE_TITLE_LENGTH)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed presentation: {str(exc)[:100]}") from None
        owned: dict[int, int] = {}
        for s in look.styles.values():
            owned[s.owner] = owned.get(s.owner, 0) + 1
        if any(n > KIND_STYLES_PER_MOD for n in owned.values()):
            raise ValueError("malformed presentation: a mod over its styles")
        if look.dump() != doc:
            raise ValueError("malformed presentation: not in canonical order")
        return look


def _check_line(line: int) -> None:
    if not 0 <= line < HUD_LINES_PER_MOD:
        raise ValueError(f"hud_set: line {line} is outside 0..{HUD_LINES_PER_MOD - 1}")


def _check_ints(*checks: tuple[Any, int, int]) -> None:
    for value, low, high in checks:
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"{str(value)[:20]} is not an integer in {low}..{high}")


def _text(value: Any, limit: int, *, empty: bool = True) -> str:
    if not isinstance(value, str) or clean(value, limit) != value or (not empty and not value):
        raise ValueError(f"bad text {str(value)[:40]!r}")
    return value


# --- host calls -------------------------------------------------------------------------------

def presentation_impls(world: Callable[[], World], slot: int,
                       may_change: Callable[[Any, int], None]) -> dict[str, Callable[..., Any]]:
    """The presentation host calls (and ``play_sound``) as mod ``slot`` sees them;
    ``may_change(machine, eid)`` faults unless the mod may change entity ``eid``."""

    def entity_label(m: Any, eid: int, text: str) -> int:
        if eid not in world().entities:
            return 0
        may_change(m, eid)
        world().look.label_entity(eid, text)
        return 1

    def hud_set(m: Any, player: int, line: int, text: str) -> int:
        _check_line(line)  # a bad line faults whether or not the player is here
        if player not in world().players:
            return 0
        world().look.set_hud(player, slot, line, text)
        return 1

    return {
        "kind_style": lambda m, kind, shape, rgb, size:
            world().look.style_kind(slot, kind, shape, rgb, size),
        "kind_label": lambda m, kind, text: world().look.label_kind(slot, kind, text),
        "entity_label": entity_label,
        "hud_set": hud_set,
        "score_title": lambda m, text: world().look.set_title(text),
        "play_sound": lambda m, sound, x, y: world().look.play(slot, sound, x, y),
    }


# --- for renderers ------------------------------------------------------------------------------

def presentation_state(sim: Simulation) -> dict[str, Any]:
    """Everything a renderer draws, as plain data (ints, strings, lists, dicts with string
    keys: JSON as it is), the same on every machine for the same tick:

    ``tick``, ``width``, ``height`` (fixed point); ``kinds``: [{kind, shape, rgb, size,
    label}] by kind; ``entities``: [{id, kind, x, y, vx, vy, health, score, owner, label}]
    by id; ``hud``: [{player, lines}] by player, each player's lines in mod load order then
    line number; ``scoreboard``: None when no mod set a title, else {title, rows: [{player,
    entity, score}] by score (highest first), then player id}; ``sounds``: [{mod, sound, x,
    y}] of the last tick, in the order played. Strings are as the mods set them, cleaned;
    a console prints them through ``game.text.printable``.
    """
    world = sim.world
    look = world.look
    names = [name for name, _faults, _disabled in sim.mod_status()]
    hud: dict[int, list[str]] = {}
    for (player, _slot, _line), text in sorted(look.hud.items()):
        hud.setdefault(player, []).append(text)
    scoreboard = None
    if look.title:
        rows = sorted(((world.get(eid, "score"), pid, eid) for pid, eid in world.players.items()),
                      key=lambda r: (-r[0], r[1]))
        scoreboard = {"title": look.title,
                      "rows": [{"player": pid, "entity": eid, "score": score}
                               for score, pid, eid in rows]}
    return {
        "tick": world.tick, "width": world.width, "height": world.height,
        "kinds": [{"kind": kind, "shape": s.shape, "rgb": s.rgb, "size": s.size,
                   "label": s.label} for kind, s in sorted(look.styles.items())],
        "entities": [{"id": e.id, "kind": e.kind, "x": e.x, "y": e.y, "vx": e.vx, "vy": e.vy,
                      "health": e.health, "score": e.score, "owner": e.owner,
                      "label": look.labels.get(e.id, "")} for e in world.entities.values()],
        "hud": [{"player": p, "lines": lines} for p, lines in sorted(hud.items())],
        "scoreboard": scoreboard,
        "sounds": [{"mod": names[slot - 1], "sound": sound, "x": x, "y": y}
                   for slot, sound, x, y in look.sounds],
    }
