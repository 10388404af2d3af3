"""``riscade test``: play each mod's scenarios on the real game simulation, on both engines.

A scenario (``mods.scenario``) runs headless in ``game.simulation.Simulation`` with the mod,
its dependencies and the scenario's ``mods``, built by ``mods.build`` through the shared build
cache. Two simulations step side by side, one per VM engine (``vm.machine.ENGINES``): after
every tick (and after start-up, tick 0) their state hashes, chat lines and log lines must be
equal, and the expectations of that tick are checked. A fault that no ``fault`` expectation
names fails the scenario too. Each failure names the file and line of the expectation, the
tick, what was expected and what was there.

Exit status of ``main``: 0 when every scenario passed, 1 when one failed (or a mod did not
build), 2 for a usage problem (no such mods folder or mod, a bad mod.toml).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from game.chat import GAME_SPEAKER
from game.simulation import (
    FaultRecord,
    ModChat,
    ModImage,
    Simulation,
    TickInputs,
    over_tick_budget,
)
from game.world import Entity, World
from vm.errors import DebuggerKill
from vm.gdbserver import parse_address, serve_gdb
from vm.machine import ENGINES

from .build import BuildResult, build_mods
from .cache import DEFAULT_CACHE_DIR
from .errors import ModError
from .scenario import (
    KIND_NAMES,
    Expect,
    Range,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_files,
)

__all__ = ["ScenarioResult", "run_scenario", "image_of", "mods_for", "main"]

#: Failures reported per scenario (the rest are counted).
MAX_FAILURES = 20
#: Actual lines or entities shown under a failure.
MAX_SHOWN = 12
#: The engine whose run the expectations are checked on (the other must agree with it).
CHECKED_ENGINE = ENGINES[-1]
#: ``run_scenario``'s ``attach``: given the checked simulation, returns what ends the session.
Attach = Callable[[Simulation], Callable[[], None]]


@dataclass
class ScenarioResult:
    """What playing one scenario gave: ``failures`` (each a report of a few lines)."""

    scenario: Scenario
    ticks_run: int = 0
    failures: list[str] = field(default_factory=list)
    more: int = 0  # failures past MAX_FAILURES

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, text: str) -> None:
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(text)
        else:
            self.more += 1


def image_of(result: BuildResult) -> ModImage:
    """The ``ModImage`` of a built mod, with its mod.toml's limits and permissions."""
    if result.error is not None or result.path is None:
        raise ModError(f"mod {result.name} did not build: {result.error}")
    limits = result.spec.limits
    return ModImage(result.name, result.path.read_bytes(), memory=limits.memory,
                    stack=limits.stack, instructions=limits.instructions,
                    permissions=frozenset(result.spec.permissions))


def mods_for(names: Sequence[str], results: Sequence[BuildResult]) -> list[BuildResult]:
    """``names`` and every mod they depend on, in load order (that of ``results``).

    Raises:
        ModError: a name is not among ``results``.
    """
    by_name = {r.name: r for r in results}
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        if name not in by_name:
            raise ModError(f"no mod called {name!r}")
        wanted.add(name)
        todo.extend(by_name[name].spec.dependencies)
    return [r for r in results if r.name in wanted]


def _schedule(s: Scenario) -> dict[int, TickInputs]:
    """The inputs of every tick in which something happens."""
    joins: dict[int, list[tuple[int, str]]] = {}
    leaves: dict[int, list[int]] = {}
    buttons: dict[int, dict[int, int]] = {}
    chats: dict[int, list[tuple[int, str]]] = {}
    for p in s.players:
        for tick in p.joins:
            joins.setdefault(tick, []).append((p.id, p.name))
        for tick in p.leaves:
            leaves.setdefault(tick, []).append(p.id)
    for i in s.inputs:  # a later [[input]] overrides an earlier one for the same tick
        for tick in range(i.first, i.last + 1):
            buttons.setdefault(tick, {})[i.player] = i.buttons
    for ch in s.chats:
        chats.setdefault(ch.tick, []).append((ch.player, ch.text))
    ticks = set(joins) | set(leaves) | set(buttons) | set(chats)
    return {t: TickInputs(t, joins=tuple(sorted(joins.get(t, []))),
                          leaves=tuple(sorted(leaves.get(t, []))),
                          inputs=tuple(sorted(buttons.get(t, {}).items())),
                          chats=tuple(chats.get(t, [])))
            for t in sorted(ticks)}


class _Run:
    """One simulation and what its current tick produced."""

    def __init__(self, images: list[ModImage], seed: int, engine: str) -> None:
        self.engine = engine
        self.logs: list[tuple[str, str]] = []
        self.sim = Simulation(list(images), seed=seed, engine=engine,
                              on_log=lambda mod, text: self.logs.append((mod, text)))
        self.faults_seen = 0

    def step(self, inputs: TickInputs) -> None:
        self.logs = []
        self.sim.step(inputs)


def run_scenario(scenario: Scenario, images: list[ModImage], *,
                 engines: Sequence[str] = ENGINES, attach: Attach | None = None
                 ) -> ScenarioResult:
    """Play ``scenario`` with ``images`` (in load order) once per engine, side by side.

    ``attach(simulation)``, if given, is called with the simulation whose expectations are
    checked, after start-up and before tick 1 (``riscade test --gdb`` serves a mod's machine
    to gdb there); what it returns is called when the scenario ends.
    """
    result = ScenarioResult(scenario)
    for i, image in enumerate(images):
        reason = over_tick_budget(images[:i], image)
        if reason is not None:
            result.fail(f"{scenario.path}: mod {image.name} cannot run beside the others: "
                        f"{reason}")
            return result
    runs = [_Run(images, scenario.seed, e) for e in engines]
    runs.sort(key=lambda r: r.engine != CHECKED_ENGINE)
    expected_faults: set[int] = set()
    unexpected: list[str] = []
    end = attach(runs[0].sim) if attach is not None else None
    try:
        _play(scenario, runs, result, expected_faults, unexpected)
    except DebuggerKill:
        result.fail(f"{scenario.path}: tick {result.ticks_run + 1}: the debugger killed the run")
    finally:
        if end is not None:
            end()
    for text in unexpected:
        result.fail(text + "\n  (a [[expect]] with fault = \"MOD\" at that tick expects it)")
    return result


def _play(scenario: Scenario, runs: list[_Run], result: ScenarioResult,
          expected_faults: set[int], unexpected: list[str]) -> None:
    """Step every run through the scenario's ticks, checking each tick's expectations."""
    schedule = _schedule(scenario)
    expects = list(scenario.expects)
    for tick in range(scenario.ticks + 1):
        if tick:
            inputs = schedule.get(tick, TickInputs(tick))
            for run in runs:
                run.step(inputs)
        result.ticks_run = tick
        if not _agree(runs, tick, result):
            break
        main = runs[0]
        new_faults = main.sim.faults[main.faults_seen:]
        while expects and expects[0].tick == tick:
            _check(expects.pop(0), main, new_faults, expected_faults, result)
        for n, f in enumerate(new_faults, main.faults_seen):
            if n not in expected_faults:
                unexpected.append(f"{scenario.path}: tick {tick}: unexpected fault of mod "
                                  f"{f.mod} in {f.hook}: {f.message}")
        main.faults_seen = len(main.sim.faults)


def _agree(runs: list[_Run], tick: int, result: ScenarioResult) -> bool:
    """Whether every run has the first one's state hash, chat and log lines."""
    first = runs[0]
    for other in runs[1:]:
        a, b = first.sim.state_hash(), other.sim.state_hash()
        if a != b:
            parts = first.sim.part_hashes()
            theirs = other.sim.part_hashes()
            differ = [k for k in parts if parts[k] != theirs.get(k)]
            result.fail(f"{result.scenario.path}: tick {tick}: the engines disagree: state hash "
                        f"{first.engine} {a[:16]}, {other.engine} {b[:16]} (parts that differ: "
                        f"{', '.join(differ) or 'none'})")
            return False
        if first.sim.mod_chat != other.sim.mod_chat or first.logs != other.logs:
            result.fail(f"{result.scenario.path}: tick {tick}: the engines agree on the state "
                        f"but not on the chat or log lines ({first.engine} vs {other.engine})")
            return False
    return True


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _addressee(player: int) -> str:
    return "all" if player < 0 else f"player {player}"


def _shown(lines: list[str], none: str) -> str:
    if not lines:
        return f"  actual: {none}"
    extra = f"\n    ... {len(lines) - MAX_SHOWN} more" if len(lines) > MAX_SHOWN else ""
    return "  actual:\n" + "\n".join(f"    {line}" for line in lines[:MAX_SHOWN]) + extra


def _check(e: Expect, run: _Run, faults: list[FaultRecord], expected_faults: set[int],
           result: ScenarioResult) -> None:
    checks: dict[str, Callable[[], tuple[str, str] | None]] = {
        "chat": lambda: _check_chat(e, run.sim.mod_chat),
        "log": lambda: _check_log(e, run.logs),
        "entity": lambda: _check_entity(e, run.sim.world),
        "fault": lambda: _check_fault(e, run, faults, expected_faults),
        "hash": lambda: _check_hash(e, run.sim.state_hash()),
    }
    problem = checks[e.what]()
    if problem is not None:
        key, text = problem
        result.fail(f"{result.scenario.path}:{e.at(key)}: tick {e.tick}: {text}")


def _matches(e: Expect, text: str) -> bool:
    assert e.text is not None
    return e.text in text if e.contains else e.text == text


def _check_chat(e: Expect, lines: list[ModChat]) -> tuple[str, str] | None:
    source = GAME_SPEAKER if e.source == "game" else e.source
    found = [m for m in lines if _matches(e, m.text) and (e.to is None or m.player == e.to)
             and (source is None or m.mod == source)]
    if bool(found) != e.absent:
        return None
    how = "containing " if e.contains else ""
    scope = (f" to {_addressee(e.to)}" if e.to is not None else "") + \
        (f" from {e.source}" if e.source else "")
    actual = [f"{m.mod} -> {_addressee(m.player)}: {_quote(m.text)}" for m in lines]
    key = "chat_contains" if e.contains else "chat"
    if e.absent:
        return key, f"expected no chat line {how}{_quote(e.text or '')}{scope}\n" + \
            _shown(actual, "")
    return key, f"expected a chat line {how}{_quote(e.text or '')}{scope}\n" + \
        _shown(actual, "no chat line in this tick")


def _check_log(e: Expect, logs: list[tuple[str, str]]) -> tuple[str, str] | None:
    found = [t for mod, t in logs if _matches(e, t) and (e.source is None or mod == e.source)]
    if bool(found) != e.absent:
        return None
    how = "containing " if e.contains else ""
    scope = f" from {e.source}" if e.source else ""
    actual = [f"{mod}: {_quote(t)}" for mod, t in logs]
    neg = "no " if e.absent else "a "
    return "log_contains" if e.contains else "log", \
        f"expected {neg}log line {how}{_quote(e.text or '')}{scope}\n" + \
        _shown(actual, "no log line in this tick")


def _kind_number(world: World, kind: int | str) -> int | None:
    if isinstance(kind, int):
        return kind
    if kind in KIND_NAMES:
        return KIND_NAMES[kind]
    numbers = world.props.kinds.numbers(kind)
    return numbers[0] if numbers else None


def _entity_text(world: World, ent: Entity) -> str:
    props = world.props.values.get(ent.id, {})
    return (f"entity {ent.id}: kind {ent.kind}, x {ent.x}, y {ent.y}, vx {ent.vx}, vy {ent.vy}, "
            f"health {ent.health}, score {ent.score}, owner {ent.owner}"
            + (f", props {dict(sorted(props.items()))}" if props else ""))


def _check_entity(e: Expect, world: World) -> tuple[str, str] | None:
    sel = e.entity
    assert sel is not None
    chosen: list[Entity]
    if sel.player is not None:
        eid = world.players.get(sel.player)
        chosen = [world.entities[eid]] if eid in world.entities else []
    elif sel.id is not None:
        chosen = [world.entities[sel.id]] if sel.id in world.entities else []
    else:
        assert sel.kind is not None
        number = _kind_number(world, sel.kind)
        chosen = [ent for ent in world.entities.values() if ent.kind == number]
    if e.count is not None and not e.count.holds(len(chosen)):
        return "count", f"expected {e.count} of {sel}, found {len(chosen)}\n" + _shown(
            [_entity_text(world, ent) for ent in chosen], "none")
    if not chosen and (e.fields or e.props):
        return "entity", f"expected {sel}, found none"
    for ent in sorted(chosen, key=lambda x: x.id):
        for name, want in e.fields:
            have = getattr(ent, name)
            if isinstance(want, str):
                number = _kind_number(world, want)
                if number != have:
                    return name, (f"{sel}: kind expected {want!r} ({number}), actual {have}\n"
                            f"  actual: {_entity_text(world, ent)}")
            elif isinstance(want, Range) and not want.holds(have):
                return name, (f"{sel}: {name} expected {want}, actual {have}\n"
                        f"  actual: {_entity_text(world, ent)}")
        for name, want_range in e.props:
            row = world.props.values.get(ent.id, {})
            have = next((row[k] for k in world.props.keys.numbers(name) if k in row), 0)
            if not want_range.holds(have):
                return "props", (f"{sel}: property {name!r} expected {want_range}, actual {have}\n"
                        f"  actual: {_entity_text(world, ent)}")
    return None


def _check_fault(e: Expect, run: _Run, faults: list[FaultRecord],
                 expected_faults: set[int]) -> tuple[str, str] | None:
    found = [n for n, f in enumerate(faults, run.faults_seen)
             if f.mod == e.mod and (e.hook is None or f.hook == e.hook)
             and (e.text is None or e.text in f.message)]
    assert e.mod is not None
    status = {name: disabled for name, _, disabled in run.sim.mod_status()}
    what = f"a fault of mod {e.mod}" + (f" in {e.hook}" if e.hook else "") + \
        (f" with reason containing {_quote(e.text)}" if e.text else "")
    if not found:
        return "fault", f"expected {what}\n" + _shown(
            [f"{f.mod} in {f.hook}: {f.message}" for f in faults], "no fault in this tick")
    expected_faults.update(found)
    if e.disabled is not None and status.get(e.mod) != e.disabled:
        state = "disabled" if status.get(e.mod) else "enabled"
        return "disabled", f"expected mod {e.mod} {'disabled' if e.disabled else 'enabled'} " \
            f"after this fault\n  actual: {state}"
    return None


def _check_hash(e: Expect, actual: str) -> tuple[str, str] | None:
    return None if actual == e.digest else \
        ("hash", f"expected state hash {e.digest}\n  actual: {actual}")


# --- the command ------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="riscade test", description="Play each mod's scenarios (MOD/scenarios/*.toml) on "
        "the game simulation, on both VM engines; see mods/README.md, 'Scenario tests'.")
    p.add_argument("mods", nargs="*", metavar="MOD", help="mods to test (default: every mod "
                   "with scenarios)")
    p.add_argument("--mods", dest="mods_dir", type=Path, default=None,
                   help="directory of mods (default: the mods shipped with the game)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR,
                   help="build cache directory (default: %(default)s)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="parallel compilers")
    p.add_argument("--scenario", metavar="NAME", default=None,
                   help="play only the scenario NAME (scenarios/NAME.toml) of each MOD")
    p.add_argument("--gdb", metavar="HOST:PORT", default=None,
                   help="serve MOD's machine to gdb (target remote HOST:PORT) while its "
                        "scenario plays, from tick 1 (main and on_load ran); one MOD, one "
                        "scenario")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade test``; returns the exit status."""
    opts = _parser().parse_args(argv)
    mods_dir = opts.mods_dir or Path(__file__).resolve().parent
    attach: tuple[str, Attach] | None = None
    if opts.gdb is not None:
        try:
            if len(opts.mods) != 1:
                raise ValueError("names the one MOD whose machine gdb debugs")
            attach = (opts.mods[0], _gdb_attach(opts.mods[0], *parse_address(opts.gdb)))
        except ValueError as exc:
            print(f"riscade test: --gdb {opts.gdb}: {exc}", file=sys.stderr)
            return 2
    try:
        results = build_mods(mods_dir, opts.cache, opts.jobs)
        by_name = {r.name: r for r in results}
        unknown = [m for m in opts.mods if m not in by_name]
        if unknown:
            raise ModError(f"no mod called {', '.join(map(repr, unknown))} in {mods_dir}")
    except ModError as exc:
        print(f"riscade test: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    chosen = opts.mods or [r.name for r in results if scenario_files(r.spec.directory)]
    passed = failed = 0
    for name in chosen:
        files = [p for p in scenario_files(by_name[name].spec.directory)
                 if opts.scenario in (None, p.stem)]
        if attach is not None and len(files) > 1:
            print(f"riscade test: --gdb debugs one scenario: pick one of "
                  f"{', '.join(p.stem for p in files)} with --scenario", file=sys.stderr)
            return 2
        if not files:
            what = f"scenario {opts.scenario}" if opts.scenario else "scenarios"
            print(f"{name}: no {what} in {by_name[name].spec.directory / 'scenarios'}")
            failed += 1
            continue
        for path in files:
            ok = _run_file(name, path, results, attach[1] if attach else None)
            passed, failed = passed + ok, failed + (not ok)
    print(f"riscade test: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed else 1


def _gdb_attach(mod: str, host: str, port: int) -> Attach:
    """An ``attach`` that serves ``mod``'s machine to gdb on ``host:port``."""

    def announce(address: str) -> None:
        print(f"riscade test: {mod}'s machine waits for gdb: target remote {address}",
              flush=True)

    def attach(sim: Simulation) -> Callable[[], None]:
        return serve_gdb(sim.machine(mod), host, port, announce=announce).close

    return attach


def _run_file(mod: str, path: Path, results: list[BuildResult],
              attach: Attach | None = None) -> bool:
    label = f"{mod}/{path.stem}"
    try:
        scenario = load_scenario(path)
        built = mods_for([mod, *scenario.mods], results)
        bad = [r for r in built if not r.ok]
        if bad:
            print(f"FAIL {label}: mod(s) did not build:")
            for r in bad:
                print(f"  {r.error}")
            return False
        images = [image_of(r) for r in built]
    except (ScenarioError, ModError) as exc:
        print(f"FAIL {label}\n{exc}")
        return False
    try:
        outcome = run_scenario(scenario, images, attach=attach)
    except OSError as exc:  # --gdb: the address cannot be listened on
        print(f"FAIL {label}: gdb: {exc.strerror or exc}")
        return False
    mods = ", ".join(i.name for i in images)
    if outcome.ok:
        print(f"PASS {label} ({scenario.ticks} ticks, mods {mods}, engines "
              f"{' and '.join(ENGINES)} agree)")
        return True
    print(f"FAIL {label} (tick {outcome.ticks_run} of {scenario.ticks}, mods {mods})")
    for text in outcome.failures:
        print(text)
    if outcome.more:
        print(f"... and {outcome.more} more failures")
    return False


if __name__ == "__main__":
    sys.exit(main())
