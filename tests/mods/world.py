"""A small stand-in game world implementing the host API, and a lockstep driver for mods.

No test uses it (the gameplay tests run in ``game.simulation.Simulation``); only
``bench/mod_flags.py`` does, to count the instructions a hook retires on unicorn. Delete it
once that script counts them in the real simulation instead.

``FakeWorld`` holds entities and players and implements every function of
``mods.host_api.HOST_API`` (``registry()`` plugs them in with ``with_impls``). ``Game``
plays the engine's part: loads mods in order, and calls their hooks in the order
``HOOKS`` documents (inputs, tick, then events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mods.host_api import HOST_API
from vm.hostcalls import HostRegistry

NO_ENTITY = -1
NO_PLAYER = -1
KIND_PLAYER = 1
KIND_COIN = 2
MASK32 = 0xFFFFFFFF


@dataclass
class Entity:
    id: int
    kind: int
    x: int
    y: int
    vx: int = 0
    vy: int = 0
    health: int = 100
    score: int = 0
    owner: int = NO_PLAYER


class Rng:
    """xorshift32: the stream random_u32 returns; tests replay it to predict positions."""

    def __init__(self, seed: int) -> None:
        self.state = (seed & MASK32) or 1

    def next(self) -> int:
        x = self.state
        x ^= (x << 13) & MASK32
        x ^= x >> 17
        x ^= (x << 5) & MASK32
        self.state = x
        return x


class FakeWorld:
    """Entities, players and the side effects mods cause (log, chat, events, sounds)."""

    def __init__(self, width: int = 640 * 256, height: int = 480 * 256, seed: int = 7) -> None:
        self.width = width
        self.height = height
        self.seed = seed
        self.tick = 0
        self.rng = Rng(seed)
        self.entities: dict[int, Entity] = {}
        self.players: dict[int, int] = {}  # player id -> entity id
        self.next_id = 1
        self.logs: list[str] = []
        self.chat: list[tuple[int, str]] = []
        self.events: list[tuple[int, int, int]] = []
        self.sounds: list[tuple[int, int, int]] = []

    # -- world operations (also used by tests directly) ----------------------------------
    def spawn(self, kind: int, x: int, y: int, owner: int = NO_PLAYER) -> int:
        eid = self.next_id
        self.next_id += 1
        self.entities[eid] = Entity(eid, kind, x, y, owner=owner)
        return eid

    def reseed(self) -> None:
        self.rng = Rng(self.seed * 1_000_003 + self.tick)

    def of_kind(self, kind: int) -> list[Entity]:
        return [e for _, e in sorted(self.entities.items()) if e.kind == kind]

    def _get(self, field: str) -> Callable[[Any, int], int]:
        return lambda m, eid: getattr(self.entities[eid], field) if eid in self.entities else 0

    def _ids(self) -> list[int]:
        return sorted(self.entities)

    def impls(self) -> dict[str, Callable[..., Any]]:
        """Every host function, by name."""
        ents = self.entities

        def set_fields(eid: int, **values: int) -> None:
            if eid in ents:
                for k, v in values.items():
                    setattr(ents[eid], k, v)

        def add_score(m: Any, eid: int, delta: int) -> int:
            if eid not in ents:
                return 0
            ents[eid].score += delta
            return ents[eid].score

        players = lambda: sorted(self.players)  # noqa: E731
        return {
            "log": lambda m, text: self.logs.append(text),
            "send_chat": lambda m, player, text: self.chat.append((player, text)),
            "emit_event": lambda m, kind, a, b: self.events.append((kind, a, b)),
            "play_sound": lambda m, sound, x, y: self.sounds.append((sound, x, y)),
            "tick_number": lambda m: self.tick,
            "random_u32": lambda m: self.rng.next(),
            "world_width": lambda m: self.width,
            "world_height": lambda m: self.height,
            "entity_spawn": lambda m, kind, x, y: self.spawn(kind, x, y),
            "entity_despawn": lambda m, eid: int(ents.pop(eid, None) is not None),
            "entity_exists": lambda m, eid: int(eid in ents),
            "entity_count": lambda m: len(ents),
            "entity_at": lambda m, i: self._ids()[i] if 0 <= i < len(ents) else NO_ENTITY,
            "entity_get_kind": self._get("kind"),
            "entity_get_x": self._get("x"),
            "entity_get_y": self._get("y"),
            "entity_get_vx": self._get("vx"),
            "entity_get_vy": self._get("vy"),
            "entity_get_health": self._get("health"),
            "entity_get_score": self._get("score"),
            "entity_get_owner": lambda m, eid: ents[eid].owner if eid in ents else NO_PLAYER,
            "entity_set_pos": lambda m, eid, x, y: set_fields(eid, x=x, y=y),
            "entity_set_vel": lambda m, eid, vx, vy: set_fields(eid, vx=vx, vy=vy),
            "entity_set_health": lambda m, eid, h: set_fields(eid, health=h),
            "entity_add_score": add_score,
            "entity_set_owner": lambda m, eid, p: set_fields(eid, owner=p),
            "player_entity": lambda m, p: self.players.get(p, NO_ENTITY),
            "player_count": lambda m: len(self.players),
            "player_at": lambda m, i: players()[i] if 0 <= i < len(self.players) else NO_PLAYER,
        }

    def registry(self) -> HostRegistry:
        return HOST_API.with_impls(self.impls())


class Game:
    """The engine's part: mods in load order, hooks called in the documented order."""

    def __init__(self, world: FakeWorld, mods: list[tuple[Any, tuple[str, ...]]]) -> None:
        self.world = world
        self.mods = mods  # (machine, exported hooks), in load order
        self.delivered: list[tuple[int, int, int]] = []  # the last tick's events

    def _call(self, hook: str, *args: Any) -> list[int]:
        return [m.call(hook, *args) for m, hooks in self.mods if hook in hooks]

    def load(self) -> None:
        """Run every mod's main, then on_load (mods in load order)."""
        for machine, _ in self.mods:
            machine.run_main()
        self._call("on_load")

    def join(self, player: int, x: int, y: int) -> int:
        eid = self.world.spawn(KIND_PLAYER, x, y, owner=player)
        self.world.players[player] = eid
        self._call("on_player_join", player, eid)
        return eid

    def leave(self, player: int) -> None:
        eid = self.world.players[player]
        self._call("on_player_leave", player, eid)
        del self.world.players[player]
        self.world.entities.pop(eid, None)

    def chat(self, player: int, text: str) -> bool:
        return any(self._call("on_chat", player, text))

    def step(self, inputs: dict[int, int] | None = None) -> None:
        """One tick: reseed, inputs (player id order), on_tick, then the tick's events."""
        self.world.tick += 1
        self.world.reseed()
        for player, buttons in sorted((inputs or {}).items()):
            self._call("on_input", player, buttons)
        self._call("on_tick", self.world.tick)
        events, self.world.events = self.world.events, []
        for kind, a, b in events:
            self._call("on_event", kind, a, b)
        self.delivered = events

