"""The shipped mods' gameplay, run in a machine against the in-test world.

Expected values are computed here from the rules each mod documents, not read back from
the mod. Every test runs on each engine of the ``make_machine`` fixture (the real VM once
it exists, and the unicorn stand-in).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mods import build_mods
from mods.build import BuildResult

from .world import KIND_COIN, KIND_PLAYER, FakeWorld, Game, Rng

ONE = 256
W, H = 640 * ONE, 480 * ONE
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8

# movement's documented rules
ACCEL, MAX_SPEED, STOP_SPEED = ONE // 4, 3 * ONE, ONE // 32
# pickups' documented rules
COINS, MARGIN, RADIUS = 5, 16 * ONE, 12 * ONE
EVENT_COIN_TAKEN, SOUND_COIN = 1, 1


def trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def steer(v: int, direction: int) -> int:
    if direction:
        return max(-MAX_SPEED, min(MAX_SPEED, v + direction * ACCEL))
    slowed = v - trunc_div(v, 4)
    return 0 if abs(slowed) < STOP_SPEED else slowed


def advance(pos: int, v: int, limit: int) -> tuple[int, int]:
    nxt = pos + v
    if nxt < 0:
        return 0, 0
    if nxt > limit:
        return limit, 0
    return nxt, v


def model_tick(x: int, y: int, vx: int, vy: int, buttons: int, width: int = W,
               height: int = H) -> tuple[int, int, int, int]:
    """One tick of movement for one player entity."""
    dx = bool(buttons & RIGHT) - bool(buttons & LEFT)
    dy = bool(buttons & DOWN) - bool(buttons & UP)
    vx, vy = steer(vx, dx), steer(vy, dy)
    x, vx = advance(x, vx, width)
    y, vy = advance(y, vy, height)
    return x, y, vx, vy


def coin_position(rng: Rng) -> tuple[int, int]:
    x = MARGIN + rng.next() % (W - 2 * MARGIN)
    y = MARGIN + rng.next() % (H - 2 * MARGIN)
    return x, y


def make_game(make_machine, shipped: dict[str, BuildResult], names: list[str],
              seed: int = 7) -> tuple[Game, FakeWorld, dict]:
    world = FakeWorld(W, H, seed=seed)
    registry = world.registry()
    machines = {n: make_machine(shipped[n].path, registry) for n in names}
    game = Game(world, [(machines[n], shipped[n].hooks) for n in names])
    game.load()
    return game, world, machines


# -- movement (Zig) ------------------------------------------------------------------------

def test_movement_follows_inputs_exactly(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["movement"])
    eid = game.join(1, 100 * ONE, 200 * ONE)
    state = (100 * ONE, 200 * ONE, 0, 0)
    script = [RIGHT] * 20 + [0] * 8 + [LEFT | DOWN] * 6 + [UP] * 3 + [0] * 12
    for buttons in script:
        game.step({1: buttons})
        state = model_tick(*state, buttons)
        e = world.entities[eid]
        assert (e.x, e.y, e.vx, e.vy) == state
    assert state[2] == 0 and state[3] == 0  # friction stopped it


def test_movement_after_n_ticks_right(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["movement"])
    eid = game.join(1, 10 * ONE, 10 * ONE)
    for _ in range(25):
        game.step({1: RIGHT})
    # speed grows by ACCEL a tick up to MAX_SPEED (reached on tick 12), x moves by the speed
    expected = 10 * ONE + sum(min(ACCEL * t, MAX_SPEED) for t in range(1, 26))
    assert world.entities[eid].x == expected == 10 * ONE + 64 * 78 + 768 * 13
    assert world.entities[eid].vx == MAX_SPEED


def test_movement_stops_at_walls(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["movement"])
    eid = game.join(1, W - 5 * ONE, 3 * ONE)
    for _ in range(10):
        game.step({1: RIGHT | UP})
    e = world.entities[eid]
    assert (e.x, e.y) == (W, 0)
    # at the wall the velocity is zeroed after every move, so each tick it is one ACCEL
    assert (e.vx, e.vy) == (0, 0)


def test_movement_moves_every_entity_and_forgets_leavers(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["movement"])
    rock = world.spawn(100, 50 * ONE, 50 * ONE)
    world.entities[rock].vx, world.entities[rock].vy = 3, -2
    a = game.join(1, 100 * ONE, 100 * ONE)
    game.join(2, 300 * ONE, 100 * ONE)
    game.step({1: RIGHT, 2: LEFT})
    game.step({1: RIGHT, 2: LEFT})
    assert (world.entities[rock].x, world.entities[rock].y) == (50 * ONE + 6, 50 * ONE - 4)
    assert world.entities[a].x == 100 * ONE + 64 + 128
    game.leave(2)
    game.step({1: 0})
    assert world.entities[a].vx == 128 - 32


# -- pickups (C) ---------------------------------------------------------------------------

def test_pickups_spawns_coins_at_seeded_positions(make_machine, shipped) -> None:
    game, world, machines = make_game(make_machine, shipped, ["pickups"], seed=11)
    rng = Rng(11)
    expected = [coin_position(rng) for _ in range(COINS)]
    assert [(c.x, c.y) for c in world.of_kind(KIND_COIN)] == expected
    assert machines["pickups"].stdout == b"pickups: ready\n"


def test_pickups_scores_and_respawns(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["pickups"])
    coin = world.of_kind(KIND_COIN)[2]
    far = game.join(1, 0, 0)
    near = game.join(2, coin.x + RADIUS, coin.y - RADIUS)  # on the edge: still overlaps
    game.step()
    assert world.entities[near].score == 1 and world.entities[far].score == 0
    assert coin.id not in world.entities
    assert game.delivered == [(EVENT_COIN_TAKEN, near, 1)]
    assert world.sounds == [(SOUND_COIN, coin.x, coin.y)]
    assert world.logs[-1] == f"coin {coin.id} taken by entity {near}: score 1, 1 taken"
    # the replacement comes from this tick's random stream
    world_rng = Rng(world.seed * 1_000_003 + world.tick)
    new = world.of_kind(KIND_COIN)[-1]
    assert (new.x, new.y) == coin_position(world_rng)
    assert len(world.of_kind(KIND_COIN)) == COINS


def test_pickups_ignores_players_out_of_reach(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["pickups"])
    coin = world.of_kind(KIND_COIN)[0]
    eid = game.join(1, coin.x + RADIUS + 1, coin.y)
    game.step()
    assert world.entities[eid].score == 0 and coin.id in world.entities


# -- greeter (Nim) -------------------------------------------------------------------------

def test_greeter_welcomes_and_counts_visits(make_machine, shipped) -> None:
    game, world, machines = make_game(make_machine, shipped, ["greeter"])
    assert machines["greeter"].stdout == b"greeter: ready\n"
    game.join(4, 0, 0)
    assert world.chat == [(4, "Welcome, player 4! Type /help for commands."),
                          (-1, "player 4 joined (1 playing)")]
    assert world.logs == ["join 4 visit 1"]
    game.leave(4)
    assert world.chat[-1] == (-1, "player 4 left with 0 points")
    game.join(4, 0, 0)
    assert world.chat[-2] == (4, "Welcome back, player 4 (visit 2).")


def test_greeter_chat_commands(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["greeter"])
    a = game.join(1, 0, 0)
    game.join(2, 0, 0)
    game.leave(2)
    game.join(2, 0, 0)
    world.entities[a].score = 7
    world.chat.clear()
    assert game.chat(1, "/score")
    assert game.chat(1, "  /joins ")
    assert game.chat(2, "/top")
    assert game.chat(2, "/help")
    assert not game.chat(1, "hello everyone")
    assert not game.chat(1, "")
    assert world.chat == [
        (1, "Your score: 7"),
        (1, "You joined 1 time(s); 3 joins in all."),
        (2, "player 1 leads with 7 points"),
        (2, "Commands: /score /joins /top"),
    ]


def test_greeter_announces_milestones(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["greeter"])
    eid = game.join(3, 0, 0)
    world.chat.clear()
    for score in (9, 10, 11, 20):
        world.events.append((EVENT_COIN_TAKEN, eid, score))
    world.events.append((1234, eid, 30))  # another kind: ignored
    game.step()
    assert world.chat == [(-1, "player 3 reached 10 points!"),
                          (-1, "player 3 reached 20 points!")]


# -- all together, in load order -----------------------------------------------------------

def test_lockstep_run_collects_coin_on_predicted_tick(make_machine, shipped) -> None:
    game, world, _ = make_game(make_machine, shipped, ["movement", "pickups", "greeter"])
    coins = world.of_kind(KIND_COIN)
    target = min(coins, key=lambda c: c.x)
    for other in coins:
        if other is not target:
            del world.entities[other.id]
    start = (max(0, target.x - 150 * ONE), target.y, 0, 0)
    eid = game.join(9, start[0], start[1])
    state, hit_tick = start, None
    for tick in range(1, 200):
        state = model_tick(*state, RIGHT)
        if abs(state[0] - target.x) <= RADIUS:
            hit_tick = tick
            break
    assert hit_tick is not None
    for _ in range(hit_tick - 1):
        game.step({9: RIGHT})
    assert world.entities[eid].score == 0
    game.step({9: RIGHT})
    assert world.entities[eid].score == 1
    assert world.entities[eid].x == state[0]
    assert game.delivered == [(EVENT_COIN_TAKEN, eid, 1)]
    assert world.entities[eid].kind == KIND_PLAYER


# -- faults --------------------------------------------------------------------------------

BAD_POINTER_MOD = """\
#include "riscade.h"
RISCADE_HOOK void on_tick(int64_t tick) { (void)tick; rc_log((const char *)16, 4); }
RISCADE_HOOK void on_load(void) { static const char s[] = "x"; rc_log(s, 1u << 30); }
int main(void) { return 0; }
"""


@pytest.fixture(scope="module")
def bad_pointer_mod(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    root = tmp_path_factory.mktemp("badptr")
    mod = root / "mods" / "badptr"
    mod.mkdir(parents=True)
    (mod / "mod.toml").write_text('name = "badptr"\nversion = "0.1.0"\nlanguage = "c"\n'
                                  'sources = ["badptr.c"]\n')
    (mod / "badptr.c").write_text(BAD_POINTER_MOD)
    [result] = build_mods(Path(root / "mods"), root / "cache")
    assert result.ok, result.error
    return result


@pytest.mark.parametrize("hook", ["on_tick", "on_load"])
def test_bad_pointer_in_host_call_faults(make_machine, bad_pointer_mod, hook) -> None:
    from vm.errors import HostCallFault

    world = FakeWorld()
    machine = make_machine(bad_pointer_mod.path, world.registry())
    machine.run_main()
    with pytest.raises(HostCallFault):
        machine.call(hook, 1) if hook == "on_tick" else machine.call(hook)
    assert world.logs == []


# -- in the game's own simulation (game/), when it is there ---------------------------------

def test_shipped_mods_in_the_game_simulation(shipped) -> None:
    simulation = pytest.importorskip("game.simulation")
    images = [simulation.ModImage(n, shipped[n].path.read_bytes(),
                                  memory=shipped[n].spec.limits.memory,
                                  stack=shipped[n].spec.limits.stack,
                                  instructions=shipped[n].spec.limits.instructions,
                                  permissions=frozenset(shipped[n].spec.permissions))
              for n in ("movement", "pickups", "greeter")]
    sim = simulation.Simulation(images, seed=5, side="server")
    sim.step(simulation.TickInputs(1, joins=((1, "ann"),)))
    assert simulation.ModChat("greeter", 1, "Welcome, player 1! Type /help for commands.") \
        in sim.mod_chat
    eid = sim.world.players[1]
    entity = sim.world.entities[eid]
    state = (entity.x, entity.y, entity.vx, entity.vy)
    for tick in range(2, 40):
        sim.step(simulation.TickInputs(tick, inputs=((1, RIGHT),)))
        state = model_tick(*state, RIGHT, sim.world.width, sim.world.height)
        entity = sim.world.entities[eid]
        assert (entity.x, entity.y, entity.vx, entity.vy) == state
    assert entity.x == sim.world.width  # ran into the right wall
    assert sim.faults == []
    assert len([e for e in sim.world.entities.values() if e.kind == KIND_COIN]) == COINS
