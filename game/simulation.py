"""The deterministic simulation: a world plus one VM per mod, advanced one tick at a time.

Server and clients run this same code on the same inputs. Within a tick the order is fixed:
leaves, joins, inputs (by player id), chat lines, ``on_tick``, then events in emission order;
each hook is called in every enabled mod in load order (dependencies first, then name).

A hook that faults or runs out of its instruction budget is contained: its changes to the
world are rolled back, the chat lines it sent are dropped, the fault is recorded (mod, hook,
kind, pc, symbol), and a mod that faults ``MAX_FAULTS`` times is disabled. All of that
depends only on the simulation, so every machine makes the same decision at the same tick.

Chat: ``chat`` holds the tick's player lines no mod consumed, ``mod_chat`` the lines mods sent
with ``send_chat``. Both are outputs of the tick, not state (neither is hashed nor in a
snapshot), and both are the same on every machine that applied the same tick to the same
state: the server prints them, and each client shows its player the ones addressed to it
from its own simulation, so no message carries them.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any

import msgpack

from mods.host_api import HOST_API
from vm import BudgetExceeded, Fault, Machine, MachineLimits, SnapshotError, VMError

from .world import KIND_PLAYER, NO_ENTITY, NO_PLAYER, World

__all__ = [
    "ModImage", "TickInputs", "FaultRecord", "ModChat", "Simulation", "SimulationError",
    "MAX_FAULTS", "MAX_MOD_CHAT_LINES", "MAX_MOD_CHAT_LENGTH", "ALL_PLAYERS",
    "snapshot_part_hashes",
]

MAX_FAULTS = 3
MAX_LOG = 1000
#: Lines all mods together may send in one tick; further ``send_chat`` calls are dropped.
MAX_MOD_CHAT_LINES = 64
#: Characters of one line a mod sends (the protocol's limit on a player's line); the rest is cut.
MAX_MOD_CHAT_LENGTH = 500
#: ``send_chat``'s addressee for "every player" (the SDK's ALL_PLAYERS).
ALL_PLAYERS = -1
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: main() and on_load get this many hook budgets: they set up tables and heaps.
STARTUP_BUDGET_FACTOR = 50


class SimulationError(Exception):
    """A snapshot or input the simulation cannot accept."""


@dataclass(frozen=True)
class ModImage:
    """A mod as the simulation needs it: its ELF and its limits.

    ``memory`` is the machine's whole guest memory and ``stack`` the part of it reserved for
    the stack (mod.toml ``limits.memory`` and ``limits.stack``): what ``vm.MachineLimits``
    accepts, with the stack at most half of the memory (else ``SimulationError``).
    """

    name: str
    elf: bytes
    memory: int = 4 << 20
    instructions: int = 1_000_000
    stack: int = 256 << 10

    def __post_init__(self) -> None:
        try:
            self.limits()
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"mod {self.name}: {exc}") from None
        if self.stack > self.memory // 2:
            raise SimulationError(f"mod {self.name}: stack {self.stack} is over half of "
                                  f"memory {self.memory}")

    def limits(self) -> MachineLimits:
        """The limits of this mod's machine."""
        return MachineLimits(memory=self.memory, stack=self.stack)


@dataclass(frozen=True)
class TickInputs:
    """Everything that happens to the world from outside during one tick."""

    tick: int
    joins: tuple[tuple[int, str], ...] = ()
    leaves: tuple[int, ...] = ()
    inputs: tuple[tuple[int, int], ...] = ()  # (player id, button bits), by player id
    chats: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class FaultRecord:
    """One contained hook failure."""

    tick: int
    mod: str
    hook: str
    kind: str
    pc: int
    symbol: str | None
    message: str


@dataclass(frozen=True)
class ModChat:
    """A line a mod sent with ``send_chat``.

    Attributes:
        mod: the mod that sent it.
        player: the player it is for, or ``ALL_PLAYERS``.
        text: the line, control characters replaced by spaces, at most
            ``MAX_MOD_CHAT_LENGTH`` characters.
    """

    mod: str
    player: int
    text: str


@dataclass
class _ModState:
    image: ModImage
    machine: Machine
    hooks: frozenset[str]
    faults: int = 0
    disabled: bool = False


@dataclass
class Simulation:
    """A world and its mods. ``side`` is "server" or "client" (for side-only host calls)."""

    mods: list[ModImage]
    seed: int = 1
    side: str = "server"
    width: int = 64 << 8
    height: int = 48 << 8
    world: World = field(init=False)
    faults: list[FaultRecord] = field(init=False, default_factory=list)
    logs: list[tuple[str, str]] = field(init=False, default_factory=list)
    #: This tick's chat lines that no mod consumed (on_chat returned 1): shown to players.
    chat: list[tuple[int, str]] = field(init=False, default_factory=list)
    #: The lines mods sent with send_chat in this tick (before the first tick: in main and
    #: on_load), in the order they were sent; a hook that faulted sent none.
    mod_chat: list[ModChat] = field(init=False, default_factory=list)
    on_log: Callable[[str, str], None] | None = None
    #: False: load the mods without running main/on_load; the state must then come from
    #: ``restore`` (a joining client gets it from the server's snapshot).
    start: InitVar[bool] = True

    def __post_init__(self, start: bool) -> None:
        self.world = World(width=self.width, height=self.height, seed=self.seed)
        self._states: list[_ModState] = []
        self._caller: dict[int, str] = {}
        registry = HOST_API.with_impls(self._host_impls())
        for image in self.mods:
            try:
                machine = Machine(image.elf, hostcalls=registry, limits=image.limits(),
                                  argv=[image.name])
            except VMError as exc:
                raise SimulationError(f"mod {image.name}: cannot load: {exc}") from exc
            self._caller[id(machine)] = image.name
            hooks = frozenset(n for n in machine.program.functions if n.startswith("on_"))
            self._states.append(_ModState(image, machine, hooks))
        if start:
            for state in self._states:
                self._start(state)

    # --- start-up --------------------------------------------------------------------------

    def _start(self, state: _ModState) -> None:
        budget = state.image.instructions * STARTUP_BUDGET_FACTOR
        self.world.begin()
        sent = len(self.mod_chat)
        try:
            state.machine.run_main(max_instructions=budget)
        except Fault as fault:
            self.world.rollback()
            del self.mod_chat[sent:]
            self._record(state, "main", fault)
            state.disabled = True
            return
        self.world.commit()
        self._call(state, "on_load", budget=budget)

    # --- host API -------------------------------------------------------------------------------

    def _host_impls(self) -> dict[str, Callable[..., Any]]:
        w = lambda: self.world  # noqa: E731 - the world object is replaced on restore

        def log(m: Machine, text: str) -> None:
            name = self._caller.get(id(m), "?")
            if len(self.logs) < MAX_LOG:
                self.logs.append((name, text))
            if self.on_log:
                self.on_log(name, text)

        def send_chat(m: Machine, player: int, text: str) -> None:
            if len(self.mod_chat) < MAX_MOD_CHAT_LINES:
                text = _CONTROL.sub(" ", text[:MAX_MOD_CHAT_LENGTH])
                self.mod_chat.append(ModChat(self._caller.get(id(m), "?"), player, text))

        def entity_at(m: Machine, index: int) -> int:
            ids = w().ids()
            return ids[index] if 0 <= index < len(ids) else NO_ENTITY

        def player_at(m: Machine, index: int) -> int:
            ids = list(w().players)
            return ids[index] if 0 <= index < len(ids) else NO_PLAYER

        def getter(name: str) -> Callable[[Machine, int], int]:
            return lambda m, eid: w().get(eid, name)

        def setter(name: str) -> Callable[[Machine, int, int], None]:
            return lambda m, eid, value: w().set(eid, name, value)

        def add_score(m: Machine, eid: int, delta: int) -> int:
            w().set(eid, "score", w().get(eid, "score") + delta)
            return w().get(eid, "score")

        def set_pair(a: str, b: str) -> Callable[[Machine, int, int, int], None]:
            def impl(m: Machine, eid: int, va: int, vb: int) -> None:
                w().set(eid, a, va)
                w().set(eid, b, vb)
            return impl

        impls: dict[str, Callable[..., Any]] = {
            "log": log,
            "send_chat": send_chat,
            "emit_event": lambda m, kind, a, b: w().emit(kind, a, b),
            "play_sound": lambda m, sound, x, y: None,
            "tick_number": lambda m: w().tick,
            "random_u32": lambda m: w().random_u32(),
            "world_width": lambda m: w().width,
            "world_height": lambda m: w().height,
            "entity_spawn": lambda m, kind, x, y: w().spawn(kind, x, y),
            "entity_despawn": lambda m, eid: w().despawn(eid),
            "entity_exists": lambda m, eid: int(eid in w().entities),
            "entity_count": lambda m: len(w().entities),
            "entity_at": entity_at,
            "entity_set_pos": set_pair("x", "y"),
            "entity_set_vel": set_pair("vx", "vy"),
            "entity_set_health": setter("health"),
            "entity_add_score": add_score,
            "entity_set_owner": setter("owner"),
            "player_entity": lambda m, pid: w().players.get(pid, NO_ENTITY),
            "player_count": lambda m: len(w().players),
            "player_at": player_at,
        }
        for name in ("kind", "x", "y", "vx", "vy", "health", "score", "owner"):
            impls[f"entity_get_{name}"] = getter(name)
        missing = {fn.name for fn in HOST_API.functions()} - set(impls)
        if missing:
            raise SimulationError(f"host functions without an implementation: {sorted(missing)}")
        return impls

    # --- hooks ----------------------------------------------------------------------------------

    def _call(self, state: _ModState, hook: str, *args: int | str,
              budget: int | None = None) -> int | None:
        if state.disabled or hook not in state.hooks:
            return None
        self.world.begin()
        sent = len(self.mod_chat)
        try:
            result = state.machine.call(hook, *args, budget=budget or state.image.instructions)
        except Fault as fault:
            if isinstance(fault, BudgetExceeded):
                state.machine.abandon_call()
            self.world.rollback()
            del self.mod_chat[sent:]
            self._record(state, hook, fault)
            return None
        self.world.commit()
        return int(result)

    def _record(self, state: _ModState, hook: str, fault: Fault) -> None:
        state.faults += 1
        record = FaultRecord(self.world.tick, state.image.name, hook, fault.kind, fault.pc,
                             fault.symbol, str(fault))
        self.faults.append(record)
        if state.faults >= MAX_FAULTS:
            state.disabled = True
        if self.on_log:
            note = " (mod disabled)" if state.disabled else ""
            self.on_log(state.image.name, f"{hook} contained: {fault}{note}")

    def _each(self, hook: str, *args: int | str) -> list[int | None]:
        return [self._call(s, hook, *args) for s in self._states]

    # --- the tick ---------------------------------------------------------------------

    def step(self, inputs: TickInputs) -> None:
        """Advance the world by one tick with ``inputs`` (whose tick must be the next one)."""
        world = self.world
        if inputs.tick != world.tick + 1:
            raise SimulationError(f"tick {inputs.tick} given, tick {world.tick + 1} expected")
        self.mod_chat = []
        world.tick = inputs.tick
        world.reseed()
        for pid in inputs.leaves:
            eid = world.players.get(pid)
            if eid is None:
                continue
            self._each("on_player_leave", pid, eid)
            world.despawn(eid)
            del world.players[pid]
        for pid, _name in inputs.joins:
            if pid in world.players:
                continue
            eid = world.spawn(KIND_PLAYER, world.random_u32() % world.width,
                              world.random_u32() % world.height)
            world.set(eid, "owner", pid)
            world.players[pid] = eid
            self._each("on_player_join", pid, eid)
        for pid, buttons in inputs.inputs:
            if pid in world.players:
                self._each("on_input", pid, buttons)
        self.chat = []
        for pid, text in inputs.chats:
            if pid in world.players and 1 not in self._each("on_chat", pid, text):
                self.chat.append((pid, text))
        self._each("on_tick", world.tick)
        done = 0
        while done < len(world.events):
            kind, a, b = world.events[done]
            done += 1
            self._each("on_event", kind, a, b)
        world.events.clear()

    # --- identity and snapshots -----------------------------------------------------

    def machine(self, name: str) -> Machine:
        """The machine of the mod called ``name`` (KeyError if there is none)."""
        for state in self._states:
            if state.image.name == name:
                return state.machine
        raise KeyError(name)

    def mod_status(self) -> list[tuple[str, int, bool]]:
        """(name, fault count, disabled) per mod, in load order."""
        return [(s.image.name, s.faults, s.disabled) for s in self._states]

    def state_hash(self, *, machines: bool = True) -> str:
        """SHA-256 hex of the world, every mod's fault state and (optionally) every machine."""
        h = hashlib.sha256(self.world.digest())
        for state in self._states:
            h.update(struct.pack("<q?", state.faults, state.disabled))
            if machines:
                h.update(bytes.fromhex(state.machine.state_hash()))
        return h.hexdigest()

    def part_hashes(self) -> dict[str, str]:
        """A hash per part of the state (world, then each mod's machine): for desync reports."""
        return snapshot_part_hashes(self.snapshot())

    def snapshot(self) -> bytes:
        """The whole simulation as bytes (msgpack): world plus each mod's machine."""
        return msgpack.packb({
            "world": self.world.to_bytes(),
            "mods": [
                {"name": s.image.name, "faults": s.faults, "disabled": s.disabled,
                 "machine": s.machine.snapshot()}
                for s in self._states
            ],
        })

    def restore(self, data: bytes) -> None:
        """Replace this simulation's state with a snapshot from one with the same mods.

        Raises:
            SimulationError: malformed snapshot, or one of other mods.
        """
        try:
            doc = msgpack.unpackb(data, raw=False)
            world = World.from_bytes(doc["world"])
            mods = doc["mods"]
            if [m["name"] for m in mods] != [s.image.name for s in self._states]:
                raise SimulationError("snapshot is of a different set of mods")
            for state, entry in zip(self._states, mods, strict=True):
                state.machine.restore(entry["machine"])
                state.faults = int(entry["faults"])
                state.disabled = bool(entry["disabled"])
        except SimulationError:
            raise
        except (ValueError, KeyError, TypeError, SnapshotError,
                msgpack.exceptions.ExtraData) as exc:
            raise SimulationError(f"bad snapshot: {exc}") from None
        self.world = world
        self.chat = []
        self.mod_chat = []  # lines of ticks before the snapshot, or of our own start-up


def snapshot_part_hashes(data: bytes) -> dict[str, str]:
    """A hash per part of a simulation snapshot: "world" and "mod:<name>" for each mod.

    Raises:
        SimulationError: the snapshot is malformed.
    """
    try:
        doc = msgpack.unpackb(data, raw=False)
        parts = {"world": World.from_bytes(doc["world"]).digest().hex()}
        for entry in doc["mods"]:
            parts[f"mod:{entry['name']}"] = hashlib.sha256(
                struct.pack("<q?", entry["faults"], entry["disabled"])
                + hashlib.sha256(entry["machine"]).digest()
            ).hexdigest()
    except (ValueError, KeyError, TypeError, msgpack.exceptions.ExtraData) as exc:
        raise SimulationError(f"bad snapshot: {exc}") from None
    return parts
