"""The deterministic simulation: a world plus one VM per mod, advanced one tick at a time.

Server and clients run this same code on the same inputs. Within a tick the order is fixed:
hot reloads (``replace_mod``), re-enabled mods, leaves, joins, inputs (by player id), chat
lines, due timers (``on_timer``), the previous tick's messages (``on_message``), ``on_tick``,
events in emission order, then ``on_mod_disabled`` for each mod disabled in the tick; each
hook is called in every enabled mod in load order (dependencies first, then name).
``game.services`` has the rules of queries, player info, timers and messages.

A hook that faults or runs out of its instruction budget is contained: its changes to the
world are rolled back, the chat lines it sent are dropped, the fault is recorded (mod, hook,
kind, pc, symbol), and a mod that faults ``MAX_FAULTS`` times is disabled. All of that
depends only on the simulation, so every machine makes the same decision at the same tick.

Budgets (numbers in ``game.rules``): a mod's ``instructions`` is its budget per tick across
all its hooks; each hook call may spend what is left of it, and once it is spent the mod's
remaining hooks of that tick are skipped (the hook that overran faulted). Host calls are
counted too (``HOST_CALLS_PER_TICK``). Log lines and chat lines are capped per mod and tick,
and log text is escaped, so a mod cannot flood or forge the console.

Chat: every mod's ``on_chat`` sees each player line (``chat_consumed`` tells it whether a mod
before it returned 1); the game answers an unconsumed ``/help`` from the command registry
(``game.chat``). Each mod may send ``MOD_CHAT_LINES / number of mods`` lines a tick (the rest
are dropped and counted in its log). ``chat`` holds the tick's player lines no mod consumed,
``mod_chat`` the lines mods sent with ``send_chat`` (and the game's answers). Both are
outputs of the tick, not state (neither is hashed nor in a snapshot), and both are the same
on every machine that applied the same tick to the same state: the server prints them, and
each client shows its player the ones addressed to it from its own simulation, so no message
carries them.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any, cast

import msgpack

from mods.host_api import HOST_API, constant
from vm import BudgetExceeded, Fault, Machine, MachineLimits, SnapshotError, VMError
from vm.machine import DEFAULT_ENGINE

from .chat import GAME_SPEAKER, chat_impls, is_help
from .errors import SimulationError
from .presentation import presentation_impls
from .props import props_impls
from .rules import (
    HOST_CALLS_PER_TICK,
    LOG_LINE_LENGTH,
    LOG_LINES_PER_TICK,
    MAX_FAULTS,
    MOD_CHAT_LENGTH,
    MOD_CHAT_LINES,
    MOD_INSTRUCTIONS_DEFAULT,
    MOD_MEMORY_DEFAULT,
    MOD_SAVE_MAX,
    MOD_STACK_DEFAULT,
    MOD_STRING_MAX,
    PERMISSION_ENTITIES,
    PERMISSION_PLAYERS,
    PERMISSIONS,
    STARTUP_INSTRUCTIONS,
    TICK_INSTRUCTIONS,
    ModLimits,
)
from .services import Services
from .storage import storage_impls
from .text import printable
from .world import ENGINE, KIND_PLAYER, NO_ENTITY, NO_PLAYER, World

__all__ = [
    "ModImage", "TickInputs", "FaultRecord", "ModChat", "Simulation", "SimulationError",
    "MAX_FAULTS", "ALL_PLAYERS", "snapshot_part_hashes", "snapshot_world",
    "over_tick_budget",
]

#: Log lines the simulation keeps (``Simulation.logs``) for inspection.
MAX_LOG = 1000
#: ``send_chat``'s addressee for "every player" (the SDK's ALL_PLAYERS).
ALL_PLAYERS = constant("ALL_PLAYERS")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class ModImage:
    """A mod as the simulation needs it: its ELF and its limits.

    ``memory``, ``stack`` and ``instructions`` are the mod's ``game.rules.ModLimits``
    (mod.toml ``[limits]``: the whole guest memory, the part of it reserved for the stack, the
    budget per tick) and must keep its rule; ``permissions`` is what its mod.toml asked of
    ``game.rules.PERMISSIONS``. Else ``SimulationError``.
    """

    name: str
    elf: bytes
    memory: int = MOD_MEMORY_DEFAULT
    instructions: int = MOD_INSTRUCTIONS_DEFAULT
    stack: int = MOD_STACK_DEFAULT
    permissions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        try:
            problems = ModLimits(self.memory, self.stack, self.instructions).problems()
        except TypeError as exc:
            problems = [str(exc)]
        if problems:
            raise SimulationError(f"mod {self.name}: {'; '.join(problems)}")
        unknown = sorted(set(self.permissions) - PERMISSIONS)
        if unknown:
            raise SimulationError(f"mod {self.name}: unknown permission(s) {unknown}")

    def limits(self) -> MachineLimits:
        """The limits of this mod's machine."""
        return MachineLimits(memory=self.memory, stack=self.stack,
                             max_guest_str=MOD_STRING_MAX)


@dataclass(frozen=True)
class TickInputs:
    """Everything that happens to the world from outside during one tick."""

    tick: int
    joins: tuple[tuple[int, str], ...] = ()
    leaves: tuple[int, ...] = ()
    inputs: tuple[tuple[int, int], ...] = ()  # (player id, button bits), by player id
    chats: tuple[tuple[int, str], ...] = ()
    #: Disabled mods the server's admin re-enables at the start of this tick, by name.
    enables: tuple[str, ...] = ()
    #: Mods whose program this tick replaces before anything else happens in it, in order
    #: (``Simulation.replace_mod``): a hot reload, announced ahead by the server.
    reloads: tuple[ModImage, ...] = ()


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
    slot: int  # 1, 2, ... in load order: the world's ``Entity.maker`` of its entities
    image: ModImage
    machine: Machine = field(init=False)
    hooks: frozenset[str] = frozenset()
    faults: int = 0
    disabled: bool = False
    # Per tick (reset by ``Simulation.step``): what the mod may still spend, and has done.
    tick_left: int = 0
    host_calls: int = 0
    log_lines: int = 0
    chat_lines: int = 0
    chat_dropped: int = 0

    def new_tick(self) -> None:
        self.tick_left = self.image.instructions
        self.host_calls = self.log_lines = self.chat_lines = self.chat_dropped = 0


@dataclass
class Simulation:
    """A world and its mods. Server and clients run the very same one: one-sided host calls
    (``play_sound``) return nothing, so nothing in it depends on the side it runs on."""

    mods: list[ModImage]
    seed: int = 1
    width: int = 64 * constant("FIXED_ONE")
    height: int = 48 * constant("FIXED_ONE")
    world: World = field(init=False)
    faults: list[FaultRecord] = field(init=False, default_factory=list)
    logs: list[tuple[str, str]] = field(init=False, default_factory=list)
    #: This tick's chat lines that no mod consumed (on_chat returned 1): shown to players.
    chat: list[tuple[int, str]] = field(init=False, default_factory=list)
    #: The lines mods sent with send_chat in this tick (before the first tick: in main and
    #: on_load), in the order they were sent; a hook that faulted sent none.
    mod_chat: list[ModChat] = field(init=False, default_factory=list)
    on_log: Callable[[str, str], None] | None = None
    #: The mods' persistent storage to start from (``storage_bytes`` of an earlier run).
    stored: bytes = field(default=b"", repr=False)
    #: The VM engine of every mod's machine (``vm.machine.ENGINES``); all behave identically.
    engine: str = field(default=DEFAULT_ENGINE, kw_only=True)
    #: Makes each mod's machine from ``Machine``'s arguments (``argv[0]`` is the mod's name);
    #: ``game.profiling`` passes one that profiles. The machine must run like ``Machine``.
    new_machine: Callable[..., Machine] = field(default=Machine, repr=False, kw_only=True)
    #: False: load the mods without running main/on_load; the state must then come from
    #: ``restore`` (a joining client gets it from the server's snapshot).
    start: InitVar[bool] = True

    def __post_init__(self, start: bool) -> None:
        self.world = World(width=self.width, height=self.height, seed=self.seed)
        if self.stored:
            try:
                self.world.load_storage(self.stored)
            except ValueError as exc:
                raise SimulationError(f"bad storage: {exc}") from None
        self.services = Services()
        self._disabled_now: list[str] = []  # mods disabled this tick: on_mod_disabled
        self._consumed = 0  # chat_consumed: a mod before this one consumed the line
        self._states = [self._load(slot, image) for slot, image in enumerate(self.mods, 1)]
        if start:
            for state in self._states:
                self._start(state)
            self._notify_disabled(startup=True)

    # --- start-up --------------------------------------------------------------------------

    def _load(self, slot: int, image: ModImage) -> _ModState:
        """A mod's state with its machine loaded (nothing of it run); SimulationError if the
        machine cannot load it."""
        state = _ModState(slot, image)
        try:
            state.machine = self.new_machine(
                image.elf, hostcalls=HOST_API.with_impls(self._host_impls(state)),
                limits=image.limits(), argv=[image.name], engine=self.engine)
        except VMError as exc:
            raise SimulationError(f"mod {image.name}: cannot load: {exc}") from exc
        state.hooks = frozenset(n for n in state.machine.program.functions
                                if n.startswith("on_"))
        return state

    def _start(self, state: _ModState, saved: bytes | None = None) -> None:
        state.new_tick()
        self.world.begin()
        sent = len(self.mod_chat)
        try:
            state.machine.run_main(max_instructions=STARTUP_INSTRUCTIONS)
        except Fault as fault:
            self.world.rollback()
            del self.mod_chat[sent:]
            self._record(state, "main", fault, STARTUP_INSTRUCTIONS)
            if not state.disabled:
                self._disabled_now.append(state.image.name)
            state.disabled = True
            return
        self.world.commit()
        state.new_tick()
        if saved is not None and "on_restore" in state.hooks:
            self._call(state, "on_restore", saved, startup=True)
        else:
            self._call(state, "on_load", startup=True)

    # --- hot reload ------------------------------------------------------------------------

    def replace_mod(self, image: ModImage, *, start: bool = True) -> None:
        """Replace the program of the mod called ``image.name`` by ``image`` (a hot reload;
        ``step`` calls it for ``TickInputs.reloads`` at the start of the tick).

        The world stays, and so does the mod's slot (its entities stay its own). The old
        version's ``on_save(buf, cap)`` may write up to ``MOD_SAVE_MAX`` bytes of state into a
        buffer on its stack; the new machine runs ``main``, then ``on_restore(bytes)`` with
        them, or ``on_load`` when either version lacks its half. Each is contained like any
        hook; the new version starts with no faults, enabled. ``start=False`` only loads the
        new machine (its state then comes from ``restore``, as for a joining client).

        Raises:
            SimulationError: no mod has that name, or its new program cannot be loaded
                (nothing changed then).
        """
        index = next((i for i, s in enumerate(self._states) if s.image.name == image.name),
                     None)
        if index is None:
            raise SimulationError(f"no mod called {image.name!r} to reload")
        old = self._states[index]
        new = self._load(old.slot, image)
        saved = self._save(old) if start else None
        self._states[index] = new
        self.mods[index] = image
        if start:
            self._start(new, saved)
            new.new_tick()

    def _save(self, state: _ModState) -> bytes | None:
        """What the mod's ``on_save`` hands over (None: no hook, or it faulted or returned a
        length outside 0..MOD_SAVE_MAX)."""
        if state.disabled or "on_save" not in state.hooks:
            return None
        machine = state.machine
        # ``Machine.call`` copies a bytes argument just below the stack pointer, 16-aligned.
        buf = (machine.x[2] - MOD_SAVE_MAX - 1) & ~15
        if not machine.memory.writable(buf, MOD_SAVE_MAX + 1):
            self._log(state, f"on_save not called: no room for its {MOD_SAVE_MAX} bytes")
            return None
        size = self._call(state, "on_save", bytes(MOD_SAVE_MAX), startup=True)
        if size is None:
            return None
        if not 0 <= size <= MOD_SAVE_MAX:
            self._log(state, f"on_save returned {size}, not 0..{MOD_SAVE_MAX}: nothing saved")
            return None
        return machine.read(buf, size)

    # --- host API -------------------------------------------------------------------------------

    def _host_impls(self, state: _ModState) -> dict[str, Callable[..., Any]]:
        """The host functions as mod ``state`` sees them (each counted per tick)."""
        w: Callable[[], World] = lambda: self.world  # noqa: E731 - the world object is replaced on restore

        def log(m: Machine, text: str) -> None:
            state.log_lines += 1
            if state.log_lines > LOG_LINES_PER_TICK:
                return  # counted; ``step`` says how many were dropped
            self._log(state, printable(text, LOG_LINE_LENGTH))

        def send_chat(m: Machine, player: int, text: str) -> None:
            share = max(1, MOD_CHAT_LINES // len(self._states))
            if state.chat_lines < share and len(self.mod_chat) < MOD_CHAT_LINES:
                state.chat_lines += 1
                text = _CONTROL.sub(" ", text[:MOD_CHAT_LENGTH])
                self.mod_chat.append(ModChat(state.image.name, player, text))
            else:
                state.chat_dropped += 1  # counted; ``step`` says how many were dropped

        def entity_at(m: Machine, index: int) -> int:
            ids = w().ids()
            return ids[index] if 0 <= index < len(ids) else NO_ENTITY

        def player_at(m: Machine, index: int) -> int:
            ids = list(w().players)
            return ids[index] if 0 <= index < len(ids) else NO_PLAYER

        def why_not(eid: int) -> str | None:
            """Why this mod may not change entity ``eid`` (None: it may): a mod changes the
            entities it made; players' entities need the "players" permission, other mods'
            the "entities" permission."""
            entity = w().entities.get(eid)
            if entity is None or entity.maker == state.slot:
                return None
            if entity.maker == ENGINE:  # the engine makes players' entities only
                need, whose = PERMISSION_PLAYERS, "a player's"
            else:
                need, whose = PERMISSION_ENTITIES, "another mod's"
            if need in state.image.permissions:
                return None
            return f'entity {eid} is {whose}; the mod needs permissions = ["{need}"] in its ' \
                "mod.toml"

        def may_change(m: Machine, eid: int) -> None:
            reason = why_not(eid)
            if reason is not None:
                raise ValueError(reason)

        def getter(name: str) -> Callable[[Machine, int], int]:
            return lambda m, eid: w().get(eid, name)

        def setter(name: str) -> Callable[[Machine, int, int], None]:
            def impl(m: Machine, eid: int, value: int) -> None:
                may_change(m, eid)
                w().set(eid, name, value)
            return impl

        def set_pair(a: str, b: str) -> Callable[[Machine, int, int, int], None]:
            def impl(m: Machine, eid: int, va: int, vb: int) -> None:
                may_change(m, eid)
                w().set(eid, a, va)
                w().set(eid, b, vb)
            return impl

        def add_score(m: Machine, eid: int, delta: int) -> int:
            may_change(m, eid)
            w().set(eid, "score", w().get(eid, "score") + delta)
            return w().get(eid, "score")

        def despawn(m: Machine, eid: int) -> int:
            may_change(m, eid)
            return w().despawn(eid)

        impls: dict[str, Callable[..., Any]] = {
            "log": log,
            "send_chat": send_chat,
            "emit_event": lambda m, kind, a, b: w().emit(kind, a, b, state.slot),
            "tick_number": lambda m: w().tick,
            "random_u32": lambda m: w().random_u32(),
            "world_width": lambda m: w().width,
            "world_height": lambda m: w().height,
            "entity_spawn": lambda m, kind, x, y: w().spawn(kind, x, y, state.slot),
            "entity_despawn": despawn,
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
            "entity_may_change": lambda m, eid: int(why_not(eid) is None),
            **props_impls(state.image.name, w),
            **storage_impls(state.image.name, w),
        }
        for name in ("kind", "x", "y", "vx", "vy", "health", "score", "owner"):
            impls[f"entity_get_{name}"] = getter(name)
        impls |= presentation_impls(w, state.slot, may_change)
        impls |= chat_impls(w, state.slot, lambda: self._consumed)
        impls.update(self.services.host_impls(state.slot, state, w, self._enabled_slot))
        missing = {fn.name for fn in HOST_API.functions()} - set(impls)
        if missing:
            raise SimulationError(f"host functions without an implementation: {sorted(missing)}")
        return {name: _counted(state, name, impl) for name, impl in impls.items()}

    def _log(self, state: _ModState, text: str) -> None:
        name = state.image.name
        if len(self.logs) < MAX_LOG:
            self.logs.append((name, text))
        if self.on_log:
            self.on_log(name, text)

    # --- hooks ----------------------------------------------------------------------------------

    def _call(self, state: _ModState, hook: str, *args: int | str | bytes,
              startup: bool = False) -> int | None:
        """Call ``hook`` in a mod, contained; its result, or None if it did not run or faulted.

        The call may spend what is left of the mod's tick budget (``STARTUP_INSTRUCTIONS``
        for ``on_load``); a mod whose tick budget is spent is skipped until the next tick.
        """
        if state.disabled or hook not in state.hooks:
            return None
        budget = STARTUP_INSTRUCTIONS if startup else state.tick_left
        if budget <= 0:
            return None
        machine = state.machine
        self.world.begin()
        sent = len(self.mod_chat)
        start = machine.instret
        try:
            result = machine.call(hook, *args, budget=budget)
        except Fault as fault:
            if isinstance(fault, BudgetExceeded):
                machine.abandon_call()
            self.world.rollback()
            del self.mod_chat[sent:]
            self._record(state, hook, fault, budget if startup else state.image.instructions)
            return None
        finally:
            if not startup:  # a budget stop spent at least what was left: none is then
                state.tick_left -= machine.instret - start
        self.world.commit()
        return int(result)

    def _record(self, state: _ModState, hook: str, fault: Fault, budget: int) -> None:
        state.faults += 1
        if isinstance(fault, BudgetExceeded):
            what = "instructions at startup" if hook in ("main", "on_load") else \
                "instructions per tick"
            message = (f"{fault.kind}: the mod's budget of {budget} {what} ran out at "
                       f"pc {fault.pc:#x}" + (f" ({fault.symbol})" if fault.symbol else ""))
        else:
            message = str(fault)
        message = printable(message, LOG_LINE_LENGTH * 2)
        record = FaultRecord(self.world.tick, state.image.name, hook, fault.kind, fault.pc,
                             fault.symbol, message)
        self.faults.append(record)
        if state.faults >= MAX_FAULTS and not state.disabled:
            state.disabled = True
            self._disabled_now.append(state.image.name)
        note = " (mod disabled)" if state.disabled else ""
        self._log(state, f"{hook} contained: {message}{note}")

    def _each(self, hook: str, *args: int | str) -> list[int | None]:
        return [self._call(s, hook, *args) for s in self._states]

    # --- the tick ---------------------------------------------------------------------

    def step(self, inputs: TickInputs) -> None:
        """Advance the world by one tick with ``inputs`` (whose tick must be the next one)."""
        world = self.world
        if inputs.tick != world.tick + 1:
            raise SimulationError(f"tick {inputs.tick} given, tick {world.tick + 1} expected")
        self.mod_chat = []
        world.start_tick(inputs.tick)
        for image in inputs.reloads:
            self.replace_mod(image)
        mail = self.services.mailbox.take()
        for name in inputs.enables:
            self.enable_mod(name)
        for state in self._states:
            state.new_tick()
        for pid in inputs.leaves:
            eid = world.players.get(pid)
            if eid is None:
                continue
            self._each("on_player_leave", pid, eid)
            world.despawn(eid)
            del world.players[pid]
            world.look.forget_player(pid)
            self.services.roster.leave(pid)
        for pid, name in inputs.joins:
            if pid in world.players:
                continue
            self.services.roster.join(pid, name, world.tick)
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
            if pid in world.players and not self._chat_line(pid, text):
                self.chat.append((pid, text))
        for slot, tag in self.services.timers.due(world.tick):
            self._call(self._states[slot - 1], "on_timer", tag)
        for sender, to, payload in mail:
            self._call(self._states[to - 1], "on_message", self._states[sender - 1].image.name,
                       payload)
        self._each("on_tick", world.tick)
        done = 0
        while done < len(world.events):
            kind, a, b = world.events[done]
            done += 1
            self._each("on_event", kind, a, b)
        world.events.clear()
        self._notify_disabled()
        self._report_drops()

    def _chat_line(self, pid: int, text: str) -> bool:
        """Offer a player's line to every mod's ``on_chat`` (each may ask ``chat_consumed``),
        then answer an unconsumed ``/help`` with the command registry; whether it was used."""
        self._consumed = 0
        for state in self._states:
            if self._call(state, "on_chat", pid, text) == 1:
                self._consumed = 1
        consumed, self._consumed = self._consumed, 0
        if not consumed and is_help(text):
            names = [s.image.name for s in self._states]
            off = frozenset(s.slot for s in self._states if s.disabled)
            self.mod_chat += [ModChat(GAME_SPEAKER, pid, line)
                              for line in self.world.commands.help_lines(names, off)]
            return True
        return bool(consumed)
    def _notify_disabled(self, *, startup: bool = False) -> None:
        """``on_mod_disabled(name)`` in every enabled mod, for each mod disabled this tick
        (also for one disabled while it is being told)."""
        while self._disabled_now:
            name = self._disabled_now.pop(0)
            for state in self._states:
                self._call(state, "on_mod_disabled", name, startup=startup)

    def _enabled_slot(self, name: str) -> int | None:
        """The slot of the enabled mod called ``name``, or None."""
        for state in self._states:
            if state.image.name == name and not state.disabled:
                return state.slot
        return None

    def enable_problem(self, name: str) -> str | None:
        """Why mod ``name`` cannot be re-enabled now (no such mod, not disabled, or its main
        never returned, so it never started), or None if it can."""
        state = next((s for s in self._states if s.image.name == name), None)
        if state is None:
            return f"no mod is called {name[:40]!r}"
        if not state.disabled:
            return f"mod {name} is not disabled"
        if state.machine.exit_status is None:
            return f"mod {name} never finished main, so it cannot run"
        return None

    def enable_mod(self, name: str) -> str | None:
        """Re-enable a disabled mod with its fault count cleared; None when done, else why
        not (``enable_problem``). Call it only through ``TickInputs.enables``, so every
        machine does it at the same tick."""
        problem = self.enable_problem(name)
        if problem is None:
            state = next(s for s in self._states if s.image.name == name)
            state.disabled, state.faults = False, 0
        return problem

    def _report_drops(self) -> None:
        """One log line per mod for what its caps dropped this tick."""
        for state in self._states:
            drops = []
            if state.log_lines > LOG_LINES_PER_TICK:
                drops.append(f"{state.log_lines - LOG_LINES_PER_TICK} log lines")
            if state.chat_dropped:
                drops.append(f"{state.chat_dropped} chat lines")
            events = self.world.events_dropped.get(state.slot, 0)
            if events:
                drops.append(f"{events} events")
            if drops:
                self._log(state, f"over its per-tick caps: dropped {', '.join(drops)}")

    # --- identity and snapshots -----------------------------------------------------

    def storage_bytes(self) -> bytes:
        """The mods' persistent storage, for the server to keep (``stored`` of a later run)."""
        return self.world.storage.to_bytes()

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
        h.update(self.services.digest())
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
        return cast(bytes, msgpack.packb({
            "world": self.world.to_bytes(),
            "services": self.services.to_bytes(),
            "mods": [
                {"name": s.image.name, "faults": s.faults, "disabled": s.disabled,
                 "machine": s.machine.snapshot()}
                for s in self._states
            ],
        }))

    def restore(self, data: bytes) -> None:
        """Replace this simulation's state with a snapshot from one with the same mods, all
        or nothing: on an error nothing of this simulation has changed.

        Everything but the machines is parsed and checked first (``_parse_snapshot``); each
        machine checks its own snapshot whole before it changes anything, and the machines
        restored before one that refuses are restored from backups taken here.

        Raises:
            SimulationError: malformed snapshot, or one of other mods.
        """
        world, saved = _parse_snapshot(data)
        if [m.name for m in saved] != [s.image.name for s in self._states]:
            raise SimulationError("snapshot is of a different set of mods")
        services = _parse_services(data, len(saved))
        backups = [state.machine.snapshot() for state in self._states]
        done = 0
        try:
            for state, mod in zip(self._states, saved, strict=True):
                state.machine.restore(mod.machine)
                done += 1
        except (SnapshotError, ValueError, TypeError) as exc:
            for state, backup in zip(self._states[:done], backups, strict=False):
                state.machine.restore(backup)
            raise SimulationError(f"bad snapshot of mod {self._states[done].image.name}: "
                                  f"{exc}") from None
        for state, mod in zip(self._states, saved, strict=True):
            state.faults, state.disabled = mod.faults, mod.disabled
        self.world = world
        self.services.assign(services)
        self._disabled_now.clear()
        self.chat = []
        self.mod_chat = []  # lines of ticks before the snapshot, or of our own start-up


@dataclass(frozen=True)
class _SavedMod:
    """One mod's entry in a snapshot, checked."""

    name: str
    faults: int
    disabled: bool
    machine: bytes


def _parse_snapshot(data: bytes) -> tuple[World, list[_SavedMod]]:
    """The world and the mod entries of a snapshot (``Simulation.snapshot``), each checked:
    a fault count is an int in 0..MAX_FAULTS, ``disabled`` a bool, a machine bytes.

    Raises:
        SimulationError: the snapshot is malformed.
    """
    try:
        doc = msgpack.unpackb(data, raw=False)
        world = World.from_bytes(doc["world"])
        saved = [_SavedMod(m["name"], m["faults"], m["disabled"], m["machine"])
                 for m in doc["mods"]]
    except (ValueError, KeyError, TypeError, msgpack.exceptions.ExtraData) as exc:
        raise SimulationError(f"bad snapshot: {exc}") from None
    for mod in saved:
        if not (isinstance(mod.name, str) and type(mod.faults) is int
                and 0 <= mod.faults <= MAX_FAULTS and type(mod.disabled) is bool
                and isinstance(mod.machine, bytes)):
            raise SimulationError(f"bad snapshot: mod entry {_short(mod)}")
    return world, saved


def _parse_services(data: bytes, mods: int) -> Services:
    """The services part of a snapshot that ``_parse_snapshot`` accepted.

    Raises:
        SimulationError: it is missing or malformed.
    """
    try:
        return Services.from_bytes(msgpack.unpackb(data, raw=False)["services"], mods)
    except (ValueError, KeyError, TypeError) as exc:
        raise SimulationError(f"bad snapshot: {exc}") from None


def _short(mod: _SavedMod) -> str:
    """The entry's name, fault count and disabled flag, bounded for a message."""
    return f"{str(mod.name)[:40]!r} (faults {str(mod.faults)[:20]}, " \
        f"disabled {str(mod.disabled)[:20]})"


def _counted(state: _ModState, name: str, impl: Callable[..., Any]) -> Callable[..., Any]:
    """``impl`` behind the mod's per-tick host call count (a fault once it is spent)."""

    def counted(m: Machine, *args: Any) -> Any:
        state.host_calls += 1
        if state.host_calls > HOST_CALLS_PER_TICK:
            raise ValueError(f"over {HOST_CALLS_PER_TICK} host calls in one tick")
        return impl(m, *args)

    counted.__name__ = f"counted_{name}"
    return counted


def snapshot_part_hashes(data: bytes) -> dict[str, str]:
    """A hash per part of a simulation snapshot: "world", "services" (timers, messages,
    players' names) and "mod:<name>" for each mod.

    Raises:
        SimulationError: the snapshot is malformed.
    """
    world, saved = _parse_snapshot(data)
    parts = {"world": world.digest().hex(),
             "services": _parse_services(data, len(saved)).digest().hex()}
    for mod in saved:
        parts[f"mod:{mod.name}"] = hashlib.sha256(
            struct.pack("<q?", mod.faults, mod.disabled) + hashlib.sha256(mod.machine).digest()
        ).hexdigest()
    return parts


def snapshot_world(data: bytes) -> World:
    """The world of a simulation snapshot (for comparing it with one's own, entity by entity).

    Raises:
        SimulationError: the snapshot is malformed.
    """
    return _parse_snapshot(data)[0]


def over_tick_budget(kept: list[ModImage], image: ModImage,
                     total: int = TICK_INSTRUCTIONS) -> str | None:
    """Why ``image`` cannot run beside ``kept`` (None when it can): the per-tick budgets of
    all the mods a server runs must fit in ``total`` together, so no tick costs more."""
    used = sum(m.instructions for m in kept)
    if used + image.instructions <= total:
        return None
    return (f"its budget of {image.instructions} instructions per tick does not fit: the "
            f"mods before it use {used} of the {total} a tick may cost")
