"""Profiling mods in the real simulation: scripted players, a profiler per mod, a report.

``profile_game(images, ticks=200, players=4)`` runs a ``Simulation`` whose machines are
profiled (``vm.profiler``: the reference interpreter, counting every instruction) with
``players`` scripted players who join at tick 1, change their buttons every few ticks and
chat now and then, all from a seeded generator, so the same arguments make the same run.
The result (``GameProfile``) holds, per mod: instructions per tick of each hook (mean, p99,
max over every tick of the run, zeros included), its calls and host calls by function name,
the hottest guest functions and the collapsed call stacks (``mod;on_tick;f;g COUNT``: the
outermost frame is the hook), and checks that what the profiler counted is what the machine
retired. ``format_profile`` makes the table that ``riscade profile`` prints.

Profiling does not change the simulation: the state hash of every tick is the one an
unprofiled run of the same inputs has (``tick_hashes``; tests/game/test_profiling.py).
Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vm import Machine
from vm.profiler import Profiler, collapsed_lines

from .simulation import ModImage, Simulation, TickInputs

__all__ = ["GameProfile", "ModProfile", "HookProfile", "profile_game", "scripted_inputs",
           "format_profile", "percentile", "CHAT_EVERY", "INPUT_EVERY"]

#: A scripted player picks new buttons every this many ticks (the bots of ``client`` do too).
INPUT_EVERY = 4
#: One of the scripted players says something every this many ticks.
CHAT_EVERY = 25
_LINES = ("hello", "/help", "gg", "where are the coins?")
_DIRECTIONS = (1, 2, 4, 8, 1 | 4, 1 | 8, 2 | 4, 2 | 8)


def scripted_inputs(tick: int, players: int, rng: random.Random) -> TickInputs:
    """Tick ``tick``'s inputs from ``players`` scripted players (ids 1..players) using ``rng``
    (the same generator, called tick after tick, gives the same run)."""
    joins = tuple((pid, f"player{pid}") for pid in range(1, players + 1)) if tick == 1 else ()
    inputs: list[tuple[int, int]] = []
    if tick % INPUT_EVERY == 1:
        for pid in range(1, players + 1):
            buttons = rng.choice(_DIRECTIONS) | (16 if rng.random() < 0.1 else 0)
            inputs.append((pid, buttons))
    chats: tuple[tuple[int, str], ...] = ()
    if players and tick % CHAT_EVERY == 0:
        chats = ((rng.randrange(players) + 1, rng.choice(_LINES)),)
    return TickInputs(tick, joins=joins, inputs=tuple(inputs), chats=chats)


def percentile(values: Sequence[int], p: float) -> int:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``values`` (0 if empty)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class HookProfile:
    """One hook of one mod over the ticks of a run."""

    per_tick: list[int]  # instructions in each tick (0 where it did not run)
    calls: int = 0
    host_calls: dict[str, int] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return sum(self.per_tick) / len(self.per_tick) if self.per_tick else 0.0

    @property
    def p99(self) -> int:
        return percentile(self.per_tick, 99)

    @property
    def max(self) -> int:
        return max(self.per_tick, default=0)


@dataclass
class ModProfile:
    """One mod over a run: its hooks in the ticks, start-up apart, and its guest functions.

    Attributes:
        startup: instructions of main and on_load (before tick 1).
        hooks: by hook name, the ticks only.
        functions: instructions by guest function over the ticks.
        stacks: collapsed call stacks over the ticks (outermost first, hook first).
        instructions: what the profiler counted over the ticks.
        retired: what the machine retired over the same ticks (``instret``): equal.
        overflows, resyncs: the shadow stack's (``vm.profiler.Profiler``).
    """

    name: str
    startup: int = 0
    hooks: dict[str, HookProfile] = field(default_factory=dict)
    functions: dict[str, int] = field(default_factory=dict)
    stacks: dict[tuple[str, ...], int] = field(default_factory=dict)
    instructions: int = 0
    retired: int = 0
    overflows: int = 0
    resyncs: int = 0

    def per_tick(self) -> HookProfile:
        """All its hooks together, tick by tick (host calls summed by function)."""
        ticks = [list(h.per_tick) for h in self.hooks.values()]
        total = HookProfile([sum(col) for col in zip(*ticks, strict=True)] if ticks else [],
                            sum(h.calls for h in self.hooks.values()))
        for hp in self.hooks.values():
            for fn, n in hp.host_calls.items():
                total.host_calls[fn] = total.host_calls.get(fn, 0) + n
        return total

    def hottest(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` functions with the most instructions (ties by name)."""
        return sorted(self.functions.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass
class GameProfile:
    """A profiled run: per mod profiles, the ticks, players and every tick's state hash."""

    ticks: int
    players: int
    mods: list[ModProfile]
    tick_hashes: list[str]
    faults: int = 0

    def collapsed(self) -> list[str]:
        """Every mod's stacks as ``mod;on_tick;f;g COUNT`` lines (flamegraph.pl, speedscope)."""
        lines: list[str] = []
        for mod in self.mods:
            lines += collapsed_lines(mod.stacks, (mod.name,))
        return lines


class _Profilers:
    """``Simulation.new_machine``: a profiled machine per mod, and its profiler by name."""

    def __init__(self, max_depth: int | None) -> None:
        self.by_mod: dict[str, Profiler] = {}
        self.max_depth = max_depth

    def __call__(self, elf: bytes, **kwargs: Any) -> Machine:
        profiler = Profiler(elf) if self.max_depth is None else \
            Profiler(elf, max_depth=self.max_depth)
        self.by_mod[kwargs["argv"][0]] = profiler  # a reload's new machine replaces the old
        return profiler.attach(Machine(elf, **kwargs))


def _diff(after: dict[Any, int], before: dict[Any, int]) -> dict[Any, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def profile_game(images: list[ModImage], *, ticks: int = 200, players: int = 4, seed: int = 1,
                 max_depth: int | None = None) -> GameProfile:
    """Run ``images`` in a profiled simulation for ``ticks`` ticks with scripted players.

    Raises:
        SimulationError: a mod cannot be loaded (as ``Simulation`` raises it).
        ValueError: ``ticks`` below 1 or ``players`` below 0.
    """
    if ticks < 1 or players < 0:
        raise ValueError("ticks must be at least 1 and players at least 0")
    profilers = _Profilers(max_depth)
    # The interpreter: a profiled machine runs on it anyway, so translating would be waste.
    sim = Simulation(list(images), seed=seed, engine="interp", new_machine=profilers)
    names = [image.name for image in images]
    start: dict[str, dict[str, Any]] = {}
    for name in names:
        prof = profilers.by_mod[name]
        start[name] = {
            "startup": sum(prof.take_window().values()), "total": prof.total,
            "instret": sim.machine(name).instret, "functions": dict(prof.functions),
            "stacks": dict(prof.stacks), "calls": dict(prof.calls),
            "host_calls": dict(prof.host_calls),
        }
    per_tick: dict[str, list[dict[str, int]]] = {name: [] for name in names}
    rng = random.Random(seed)
    hashes: list[str] = []
    for tick in range(1, ticks + 1):
        sim.step(scripted_inputs(tick, players, rng))
        hashes.append(sim.state_hash())
        for name in names:
            per_tick[name].append(profilers.by_mod[name].take_window())
    mods = []
    for name in names:
        prof, first = profilers.by_mod[name], start[name]
        calls = _diff(prof.calls, first["calls"])
        host = _diff(prof.host_calls, first["host_calls"])
        hooks: dict[str, HookProfile] = {}
        for hook in sorted({h for window in per_tick[name] for h in window} | set(calls)):
            hp = hooks[hook] = HookProfile([w.get(hook, 0) for w in per_tick[name]],
                                           calls.get(hook, 0))
            hp.host_calls = {fn: n for (h, fn), n in sorted(host.items()) if h == hook}
        mods.append(ModProfile(
            name, startup=first["startup"], hooks=hooks,
            functions=_diff(prof.functions, first["functions"]),
            stacks=_diff(prof.stacks, first["stacks"]),
            instructions=prof.total - first["total"],
            retired=sim.machine(name).instret - first["instret"],
            overflows=prof.overflows, resyncs=prof.resyncs))
    return GameProfile(ticks, players, mods, hashes, faults=len(sim.faults))


def format_profile(profile: GameProfile, *, top: int = 10) -> str:
    """The report ``riscade profile`` prints: per mod, its hooks and its hottest functions."""
    out = [f"riscade profile: {profile.ticks} ticks, {profile.players} players, "
           f"{len(profile.mods)} mods, {profile.faults} faults contained "
           "(instructions counted exactly on the reference interpreter)"]
    for mod in profile.mods:
        exact = "equal" if mod.instructions == mod.retired else "DIFFERENT"
        out += ["", f"== {mod.name}: {mod.instructions} instructions in the ticks "
                    f"(retired by its machine: {mod.retired}, {exact}); start-up "
                    f"{mod.startup}",
                f"  {'hook':<18} {'mean/tick':>10} {'p99':>9} {'max':>9} {'calls':>7}  "
                "host calls"]
        for hook, hp in [*mod.hooks.items(), ("(all hooks)", mod.per_tick())]:
            host = ", ".join(f"{fn} {n}" for fn, n in
                             sorted(hp.host_calls.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(f"  {hook:<18} {hp.mean:>10.1f} {hp.p99:>9} {hp.max:>9} "
                       f"{hp.calls:>7}  {host or '-'}")
        out.append(f"  hottest functions (of {len(mod.functions)}):")
        for fn, n in mod.hottest(top):
            share = 100 * n / mod.instructions if mod.instructions else 0.0
            out.append(f"    {n:>10} {share:5.1f}%  {fn}")
        if mod.overflows or mod.resyncs:
            out.append(f"  shadow stack: {mod.overflows} calls beyond its bound, "
                       f"{mod.resyncs} unmatched returns")
    return "\n".join(out) + "\n"
