"""The shipped mods' gameplay, built by the real toolchain and run in the game's own
``game.simulation.Simulation`` (the real VM, world, random stream and hook order).

Expected values come from the rules each mod documents (and the world's documented random
stream), re-derived here, never read back from the mod or the simulation.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from game.presentation import presentation_state
from game.simulation import ALL_PLAYERS, ModChat, ModImage, Simulation, TickInputs
from mods.build import BuildResult, build_mods
from tests.support.mod_images import image_of

ONE = 256
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
KIND_PLAYER, KIND_COIN = 1, 2

# movement's documented rules
ACCEL, MAX_SPEED, STOP_SPEED = ONE // 4, 3 * ONE, ONE // 32
# pickups' documented rules
COINS, MARGIN, RADIUS = 5, 16 * ONE, 12 * ONE
EVENT_COIN_TAKEN = 1
MASK64 = (1 << 64) - 1


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


def model_tick(x: int, y: int, vx: int, vy: int, buttons: int, width: int,
               height: int) -> tuple[int, int, int, int]:
    """One tick of movement for one player entity."""
    dx = bool(buttons & RIGHT) - bool(buttons & LEFT)
    dy = bool(buttons & DOWN) - bool(buttons & UP)
    vx, vy = steer(vx, dx), steer(vy, dy)
    x, vx = advance(x, vx, width)
    y, vy = advance(y, vy, height)
    return x, y, vx, vy


def tick_stream(seed: int, tick: int) -> Iterator[int]:
    """The world's random stream of one tick, as game/world.py documents it: xorshift64*
    seeded with the first 8 bytes (little-endian) of sha256(seed, tick as two u64)."""
    digest = hashlib.sha256(struct.pack("<QQ", seed, tick)).digest()
    s = int.from_bytes(digest[:8], "little") or 1
    while True:
        s ^= s >> 12
        s ^= (s << 25) & MASK64
        s ^= s >> 27
        yield ((s * 0x2545F4914F6CDD1D) & MASK64) >> 32


def coin_positions(stream: Iterator[int], width: int, height: int, n: int) -> list[tuple]:
    """Where pickups puts its next ``n`` coins, drawing from ``stream``."""
    return [(MARGIN + next(stream) % (width - 2 * MARGIN),
             MARGIN + next(stream) % (height - 2 * MARGIN)) for _ in range(n)]


class Play:
    """A simulation of some shipped mods (in the order given) and its tick counter."""

    def __init__(self, shipped: dict[str, BuildResult], names: list[str], seed: int = 7):
        self.sim = Simulation([image_of(shipped[n]) for n in names], seed=seed)
        self.world = self.sim.world

    def step(self, inputs: dict[int, int] | None = None, **more) -> None:
        tick = self.world.tick + 1
        self.sim.step(TickInputs(tick, inputs=tuple(sorted((inputs or {}).items())), **more))

    def join(self, *players: int) -> list[int]:
        """Join ``players`` in one tick; their entity ids."""
        self.step(joins=tuple((p, f"p{p}") for p in players))
        return [self.world.players[p] for p in players]

    def place(self, eid: int, x: int, y: int, vx: int = 0, vy: int = 0) -> None:
        for field, value in (("x", x), ("y", y), ("vx", vx), ("vy", vy)):
            self.world.set(eid, field, value)

    def state(self, eid: int) -> tuple[int, int, int, int]:
        e = self.world.entities[eid]
        return e.x, e.y, e.vx, e.vy

    def coins(self) -> list:
        return [e for _, e in sorted(self.world.entities.items()) if e.kind == KIND_COIN]

    def score(self, eid: int) -> int:
        return self.world.entities[eid].score

    def chat(self) -> list[tuple[int, str]]:
        """What mods sent with send_chat in the last tick: (player, text)."""
        return [(c.player, c.text) for c in self.sim.mod_chat]


# -- movement (Zig) ------------------------------------------------------------------------

def test_movement_follows_inputs_exactly(shipped) -> None:
    play = Play(shipped, ["movement"])
    [eid] = play.join(1)
    play.place(eid, 10 * ONE, 20 * ONE)
    state = play.state(eid)
    script = [RIGHT] * 20 + [0] * 8 + [LEFT | DOWN] * 6 + [UP] * 3 + [0] * 12
    for buttons in script:
        play.step({1: buttons})
        state = model_tick(*state, buttons, play.world.width, play.world.height)
        assert play.state(eid) == state
    assert state[2] == 0 and state[3] == 0  # friction stopped it
    assert play.sim.faults == []


def test_movement_after_n_ticks_right(shipped) -> None:
    play = Play(shipped, ["movement"])
    [eid] = play.join(1)
    play.place(eid, ONE, 10 * ONE)
    for _ in range(25):
        play.step({1: RIGHT})
    # speed grows by ACCEL (64) a tick up to MAX_SPEED (768, on tick 12); x moves by it
    assert play.state(eid) == (ONE + 64 * 78 + 768 * 13, 10 * ONE, 768, 0)


def test_movement_stops_at_walls(shipped) -> None:
    play = Play(shipped, ["movement"])
    [eid] = play.join(1)
    width = play.world.width
    play.place(eid, width - 5 * ONE, 3 * ONE)
    for _ in range(10):
        play.step({1: RIGHT | UP})
    # at a wall the velocity is zeroed after every move
    assert play.state(eid) == (width, 0, 0, 0)


def test_movement_moves_every_entity_and_forgets_leavers(shipped) -> None:
    play = Play(shipped, ["movement"])
    a, b = play.join(1, 2)
    rock = play.world.spawn(100, 20 * ONE, 20 * ONE)
    play.place(rock, 20 * ONE, 20 * ONE, 3, -2)
    play.place(a, 10 * ONE, 10 * ONE)
    play.place(b, 40 * ONE, 10 * ONE)
    play.step({1: RIGHT, 2: LEFT})
    play.step({1: RIGHT, 2: LEFT})
    assert play.state(rock) == (20 * ONE + 6, 20 * ONE - 4, 3, -2)
    assert play.state(a) == (10 * ONE + 64 + 128, 10 * ONE, 128, 0)
    assert play.state(b) == (40 * ONE - 64 - 128, 10 * ONE, -128, 0)
    play.step({1: 0}, leaves=(2,))
    assert play.state(a)[2] == 128 - 32
    assert b not in play.world.entities
    [b2] = play.join(2)
    x, y = play.state(b2)[:2]
    play.step({1: 0})
    play.step({1: 0})
    # player 2 sent no input since it came back: its old LEFT does not steer the new entity
    assert play.state(b2) == (x, y, 0, 0)


# -- pickups (C) ---------------------------------------------------------------------------

def test_pickups_spawns_coins_at_seeded_positions(shipped) -> None:
    play = Play(shipped, ["pickups"], seed=11)
    w, h = play.world.width, play.world.height
    expected = coin_positions(tick_stream(11, 0), w, h, COINS)
    assert [(c.x, c.y) for c in play.coins()] == expected
    assert [c.id for c in play.coins()] == [1, 2, 3, 4, 5]
    assert play.sim.machine("pickups").stdout == b"pickups: ready\n"


def test_pickups_spreads_its_coins_for_every_seed(shipped) -> None:
    """random_u32 in on_load draws from the seeded stream (issue 13, item 9): five coins at
    five places, and other places for another seed."""
    places = {}
    for seed in (1, 2, 3, 12345):
        play = Play(shipped, ["pickups"], seed=seed)
        places[seed] = [(c.x, c.y) for c in play.coins()]
        assert len(set(places[seed])) == COINS
        xs, ys = [x for x, _ in places[seed]], [y for _, y in places[seed]]
        assert max(xs) - min(xs) > 4 * ONE and max(ys) - min(ys) > 4 * ONE
    assert len({tuple(p) for p in places.values()}) == 4


def test_pickups_scores_and_respawns(shipped) -> None:
    play = Play(shipped, ["pickups"])
    coin = play.coins()[2]
    far = play.world.spawn(KIND_PLAYER, 0, 0)
    near = play.world.spawn(KIND_PLAYER, coin.x + RADIUS, coin.y - RADIUS)  # on the edge
    play.step()
    assert play.score(near) == 1 and play.score(far) == 0
    assert coin.id not in play.world.entities
    assert play.sim.logs == [("pickups", f"coin {coin.id} taken by entity {near}: "
                                         "score 1, 1 taken, best 1")]
    # the replacement is the next entity, placed from this tick's random stream
    [new] = [c for c in play.coins() if c.id > near]
    w, h = play.world.width, play.world.height
    assert (new.id, (new.x, new.y)) == (8, coin_positions(tick_stream(7, 1), w, h, 1)[0])
    assert len(play.coins()) == COINS


def storage_of(records: dict[bytes, bytes], mod: bytes = b"pickups") -> bytes:
    """Storage bytes of one mod, as game.storage documents them (written out here)."""
    blob = lambda b: struct.pack("<I", len(b)) + b  # noqa: E731
    return struct.pack("<I", 1) + blob(mod) + struct.pack("<I", len(records)) + b"".join(
        blob(k) + blob(v) for k, v in sorted(records.items()))


def test_pickups_keeps_the_best_score_across_restarts(shipped) -> None:
    """The best score goes to storage ("best", 8 bytes little-endian) when a player beats
    it; a simulation started from that storage remembers it; a coin's worth is a property."""
    play = Play(shipped, ["pickups"])
    assert play.sim.storage_bytes() == struct.pack("<I", 0)
    assert play.world.props.values == {c.id: {1: 1} for c in play.coins()}
    coin = play.coins()[0]
    taker = play.world.spawn(KIND_PLAYER, coin.x, coin.y)
    play.step()
    best = play.score(taker)  # coins are close in the small arena: it may take several
    assert best >= 1
    assert play.sim.storage_bytes() == storage_of({b"best": struct.pack("<q", best)})
    image = image_of(shipped["pickups"])
    again = Simulation([image], seed=7, stored=storage_of({b"best": struct.pack("<q", 41)}))
    coin = [e for e in again.world.entities.values() if e.kind == KIND_COIN][0]
    player = again.world.spawn(KIND_PLAYER, coin.x, coin.y)
    again.world.set(player, "score", 41)
    again.step(TickInputs(1))
    best = again.world.entities[player].score
    assert best > 41 and again.logs[-1][1].endswith(f"score {best}, {best - 41} taken, best {best}")
    assert again.storage_bytes() == storage_of({b"best": struct.pack("<q", best)})
    # Below the record, the record stays.
    third = Simulation([image], seed=7, stored=storage_of({b"best": struct.pack("<q", 99)}))
    coin = [e for e in third.world.entities.values() if e.kind == KIND_COIN][0]
    third.world.spawn(KIND_PLAYER, coin.x, coin.y)
    third.step(TickInputs(1))
    assert third.logs[-1][1].endswith(", best 99")
    assert third.storage_bytes() == storage_of({b"best": struct.pack("<q", 99)})
    # A coin pickups did not make (no "value" property) is not taken.
    other = again.world.spawn(KIND_COIN, 0, 0)
    again.world.spawn(KIND_PLAYER, 0, 0)
    again.step(TickInputs(2))
    assert other in again.world.entities and not again.faults


def test_pickups_ignores_players_out_of_reach(shipped) -> None:
    play = Play(shipped, ["pickups"])
    coin, *others = play.coins()
    for other in others:  # the arena is small: keep one coin, so only its reach counts
        play.world.despawn(other.id)
    right = play.world.spawn(KIND_PLAYER, coin.x + RADIUS + 1, coin.y)
    below = play.world.spawn(KIND_PLAYER, coin.x - RADIUS, coin.y + RADIUS + 1)
    play.step()
    assert play.score(right) == play.score(below) == 0
    assert play.coins() == [coin] and play.sim.logs == []
    play.place(below, coin.x - RADIUS, coin.y + RADIUS)
    play.step()
    assert play.score(below) == 1 and coin.id not in play.world.entities


def test_pickups_may_not_score_without_the_players_permission(shipped) -> None:
    """The same build, its mod.toml permission dropped: taking a coin faults and is undone."""
    image = image_of(shipped["pickups"])
    sim = Simulation([ModImage(image.name, image.elf, memory=image.memory,
                               stack=image.stack, instructions=image.instructions)], seed=7)
    coin = [e for e in sim.world.entities.values() if e.kind == KIND_COIN][0]
    eid = sim.world.spawn(KIND_PLAYER, coin.x, coin.y)
    sim.step(TickInputs(1))
    assert sim.world.entities[eid].score == 0 and coin.id in sim.world.entities
    assert [(f.mod, f.hook, f.kind) for f in sim.faults] == [("pickups", "on_tick",
                                                               "host call fault")]


# -- waypoints (C) -------------------------------------------------------------------------

KIND_BEACON = 100  # the first kind a mod registers: KIND_MOD_BASE
BEACON_MARGIN, REACH = 8 * ONE, 8 * ONE


def beacon_spots(stream: Iterator[int], width: int, height: int, n: int) -> list[tuple]:
    """Where waypoints puts its next ``n`` beacons, drawing from ``stream``."""
    return [(BEACON_MARGIN + next(stream) % (width - 2 * BEACON_MARGIN),
             BEACON_MARGIN + next(stream) % (height - 2 * BEACON_MARGIN)) for _ in range(n)]


def beacons(play: Play) -> list:
    return [e for _, e in sorted(play.world.entities.items()) if e.kind == KIND_BEACON]


def test_waypoints_beacons_are_a_shared_kind_at_seeded_places(shipped) -> None:
    play = Play(shipped, ["waypoints"])
    w, h = play.world.width, play.world.height
    assert [(b.x, b.y) for b in beacons(play)] == beacon_spots(tick_stream(7, 0), w, h, 2)
    # Another mod declaring "beacon" shared gets the same kind; a private "beacon" does not.
    assert play.world.props.kinds.register("other", "beacon", True) == KIND_BEACON
    assert play.world.props.kinds.register("other", "beacon", False) == KIND_BEACON + 1


def test_waypoints_counts_visits_in_a_property_and_in_storage(shipped) -> None:
    play = Play(shipped, ["waypoints"])
    w, h = play.world.width, play.world.height
    first = beacons(play)[0]
    near = play.world.spawn(KIND_PLAYER, first.x + REACH, first.y - REACH)  # on the edge
    play.step()
    assert play.sim.logs == [("waypoints", f"beacon {first.id} visited by entity {near}: "
                                           "1 visits, 1 in all")]
    assert (first.x, first.y) == beacon_spots(tick_stream(7, 1), w, h, 1)[0]
    assert play.world.props.values == {first.id: {1: 1}}  # "visits", the first key
    stored = storage_of({b"total": struct.pack("<q", 1)}, mod=b"waypoints")
    assert play.sim.storage_bytes() == stored
    # A restart from that storage remembers the total; /waypoints reset forgets it.
    again = Simulation([image_of(shipped["waypoints"])], seed=7, stored=stored)
    for e in again.world.entities.values():  # the beacons into a corner, out of ann's reach
        e.x = e.y = 0
    again.step(TickInputs(1, joins=((1, "ann"),)))
    assert again.logs == []  # no visit
    again.step(TickInputs(2, chats=((1, "/waypoints"),)))
    assert again.mod_chat == [ModChat("waypoints", 1, "Beacons visited: 1")] and not again.chat
    again.step(TickInputs(3, chats=((1, "/waypoints reset"),)))
    assert again.mod_chat == [ModChat("waypoints", 1, "Beacon visits reset")]
    assert again.storage_bytes() == struct.pack("<I", 0)


def test_waypoints_leaves_the_beacons_of_other_mods_alone(shipped) -> None:
    play = Play(shipped, ["waypoints"])
    theirs = play.world.spawn(KIND_BEACON, 20 * ONE, 20 * ONE, maker=9)  # mod slot 9's
    for b in beacons(play)[:2]:
        play.place(b.id, 2 * ONE, 2 * ONE)  # out of the player's reach
    play.world.spawn(KIND_PLAYER, 20 * ONE, 20 * ONE)
    play.step()
    assert play.state(theirs) == (20 * ONE, 20 * ONE, 0, 0)
    assert play.sim.logs == [] and not play.sim.faults and play.world.props.values == {}


# -- greeter (Nim) -------------------------------------------------------------------------

def test_greeter_welcomes_and_counts_visits(shipped) -> None:
    play = Play(shipped, ["greeter"])
    assert play.sim.machine("greeter").stdout == b"greeter: ready\n"
    play.join(4)
    assert play.sim.mod_chat == [
        ModChat("greeter", 4, "Welcome, p4! Type /help for commands."),  # player_name
        ModChat("greeter", ALL_PLAYERS, "p4 joined (1 playing)")]
    assert play.sim.logs == [("greeter", "join 4 visit 1")]
    play.step(leaves=(4,))
    assert play.chat() == [(-1, "p4 left with 0 points")]
    play.join(4)
    assert play.chat() == [(4, "Welcome back, p4 (visit 2)."),
                           (-1, "p4 joined (1 playing)")]


def test_greeter_chat_commands(shipped) -> None:
    play = Play(shipped, ["greeter"])
    a, _ = play.join(1, 2)
    play.step(leaves=(2,))
    play.join(2)
    play.world.set(a, "score", 7)
    lines = ((1, "/score"), (1, "  /joins "), (2, "/top"), (2, "/help"),
             (1, "hello everyone"), (1, ""), (7, "/help"))
    play.step(chats=lines)
    assert play.chat() == [
        (1, "Your score: 7"),
        # player 1 joined in tick 1; this is tick 4
        (1, "You joined 1 time(s); 3 joins in all; this visit is 3 ticks old."),
        (2, "p1 leads with 7 points"),
        # the game answers /help from the commands the greeter registered
        (2, "Commands (3):"),
        (2, "/joins - how often you and everyone joined (greeter)"),
        (2, "/score - your score (greeter)"),
        (2, "/top - who leads (greeter)"),
    ]
    # lines no mod consumed go to the players; player 7 is not playing
    assert play.sim.chat == [(1, "hello everyone"), (1, "")]


def test_greeter_announces_milestones_of_coins_pickups_scores(shipped) -> None:
    play = Play(shipped, ["pickups", "greeter"], seed=1)
    c, d = play.join(3, 5)
    # the arena is small: seed 1 is one where neither joins on a coin (by tick_stream)
    assert play.score(c) == play.score(d) == 0

    def only_coins_at(*spots: tuple[int, int]) -> None:
        """Keep as many coins as ``spots``, moved there (one coin in reach of each)."""
        coins = play.coins()
        for coin, (x, y) in zip(coins, spots, strict=False):
            play.place(coin.id, x, y)
        for coin in coins[len(spots):]:
            play.world.despawn(coin.id)

    only_coins_at((20 * ONE, 20 * ONE), (45 * ONE, 20 * ONE))
    play.world.set(c, "score", 9)
    play.world.set(d, "score", 14)
    play.place(c, 20 * ONE, 20 * ONE)
    play.place(d, 45 * ONE, 20 * ONE)
    play.step()
    assert (play.score(c), play.score(d)) == (10, 15)
    assert play.chat() == [(ALL_PLAYERS, "p3 reached 10 points!")]
    # greeter asked pickups (a message: delivered next tick) for a bonus coin beside p3,
    # which comes if no coin is within 2 * RADIUS of p3: move the coins (and p5) away
    for coin in play.coins():
        play.place(coin.id, 60 * ONE, 2 * ONE)
    play.place(d, 5 * ONE, 40 * ONE)
    before = {coin.id for coin in play.coins()}
    play.step()
    [bonus] = [coin for coin in play.coins() if coin.id not in before]
    assert (bonus.x, bonus.y) == (20 * ONE + 2 * RADIUS, 20 * ONE)
    assert ("pickups", f"bonus coin {bonus.id} for entity {c} (asked by greeter)") \
        in play.sim.logs
    play.world.despawn(bonus.id)
    only_coins_at((30 * ONE, 30 * ONE))
    play.world.set(c, "score", 19)
    play.place(c, 30 * ONE, 30 * ONE)
    play.place(d, 0, 0)
    play.world.emit(1234, c, 30)  # another kind of event: no announcement
    play.world.emit(EVENT_COIN_TAKEN, d, 0)  # no points: no announcement
    play.step()
    assert (play.score(c), play.score(d)) == (20, 15)
    assert play.chat() == [(ALL_PLAYERS, "p3 reached 20 points!")]
    # a coin is already within 2 * RADIUS of p3 (query_radius): no bonus this time
    for coin in play.coins():
        play.place(coin.id, 60 * ONE, 2 * ONE)
    play.world.spawn(KIND_COIN, 30 * ONE + 2 * RADIUS - ONE, 30 * ONE)
    count, logged = len(play.coins()), len(play.sim.logs)
    play.step()
    assert len(play.coins()) == count
    assert not any("bonus" in text for _, text in play.sim.logs[logged:])


def test_greeter_announces_the_leader_on_a_timer_while_anyone_plays(shipped) -> None:
    play = Play(shipped, ["greeter"])
    a, _ = play.join(1, 2)  # tick 1: the timer is set for tick 601
    play.world.set(a, "score", 3)
    for _ in range(599):
        play.step()
        assert play.chat() == []
    play.step()
    assert play.world.tick == 601 and play.chat() == [(ALL_PLAYERS, "p1 leads with 3 points")]
    play.step(leaves=(1,))
    play.step(leaves=(2,))  # the last one: the timer is cancelled
    for _ in range(600):
        play.step()
        assert play.chat() == []


def test_greeter_tells_everyone_when_a_mod_is_disabled(shipped, faulty) -> None:
    sim = Simulation([image_of(shipped["greeter"]), faulty], seed=7)
    told = []
    for tick in range(1, 7):
        sim.step(TickInputs(tick, joins=((1, "ann"),) if tick == 1 else ()))
        told += [(tick, c.text) for c in sim.mod_chat if "disabled" in c.text]
    # faulty faults in ticks 3, 4 and 5, and is disabled at the third
    assert told == [(5, "The game disabled mod faulty after repeated faults.")]


# -- all together, in load order -----------------------------------------------------------

def test_lockstep_run_collects_coin_on_predicted_tick(shipped) -> None:
    play = Play(shipped, ["movement", "pickups", "greeter"], seed=1)
    [eid] = play.join(9)
    assert play.score(eid) == 0  # seed 1: it did not join on a coin (by tick_stream)
    coins = play.coins()
    assert len(coins) == COINS
    target = min(coins, key=lambda c: c.x)
    for other in coins:
        if other is not target:
            play.world.despawn(other.id)
    width, height = play.world.width, play.world.height
    start = (max(0, target.x - 30 * ONE), target.y, 0, 0)
    play.place(eid, *start)
    state, hit_tick = start, None
    for tick in range(1, 200):
        state = model_tick(*state, RIGHT, width, height)
        if abs(state[0] - target.x) <= RADIUS:
            hit_tick = tick
            break
    assert hit_tick is not None and hit_tick > 1
    for _ in range(hit_tick - 1):
        play.step({9: RIGHT})
    assert play.score(eid) == 0
    play.step({9: RIGHT})
    assert play.score(eid) == 1
    assert play.state(eid) == state
    assert target.id not in play.world.entities
    assert ("pickups", f"coin {target.id} taken by entity {eid}: score 1, 1 taken, best 1") \
        in play.sim.logs
    assert play.sim.faults == []


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


def test_bad_pointer_in_host_call_faults(bad_pointer_mod) -> None:
    sim = Simulation([image_of(bad_pointer_mod)], seed=1)
    sim.step(TickInputs(1))
    assert [(f.tick, f.hook, f.kind) for f in sim.faults] == [
        (0, "on_load", "host call fault"), (1, "on_tick", "host call fault")]
    # nothing was logged by the mod: only the two containment notes
    assert [text.split(":")[0] for _, text in sim.logs] == ["on_load contained",
                                                            "on_tick contained"]


# -- presentation (all three) -------------------------------------------------------------

def test_the_shipped_mods_dress_the_arena(shipped) -> None:
    """movement styles and labels players, pickups styles and labels coins, the greeter
    titles the scoreboard and keeps each score on its player's HUD; a client that joins
    from a snapshot sees the very same picture."""
    play = Play(shipped, ["movement", "pickups", "greeter"], seed=1)
    c, d = play.join(3, 5)
    state = presentation_state(play.sim)
    assert state["kinds"] == [
        {"kind": KIND_PLAYER, "shape": 2, "rgb": 0x3399FF, "size": ONE, "label": ""},
        {"kind": KIND_COIN, "shape": 1, "rgb": 0xFFD700, "size": ONE * 3 // 4, "label": "coin"}]
    labels = {e["id"]: e["label"] for e in state["entities"]}
    assert (labels[c], labels[d]) == ("P3", "P5")
    assert {labels[coin.id] for coin in play.coins()} == {"+1"}
    assert state["hud"] == [{"player": p, "lines": ["Score: 0   next milestone: 10"]}
                            for p in (3, 5)]
    assert state["scoreboard"]["title"] == "Coins"
    coin = play.coins()[0]
    play.world.set(d, "score", 9)
    play.place(d, coin.x, coin.y)
    play.step()
    state = presentation_state(play.sim)
    taken = play.score(d) - 9  # coins cluster in this small arena: d may take several
    assert 1 <= taken <= 5
    assert state["hud"][1] == {"player": 5, "lines": [
        f"Score: {9 + taken}   next milestone: 20"]}
    assert [r["player"] for r in state["scoreboard"]["rows"]] == [5, 3]
    assert [(s["mod"], s["sound"]) for s in state["sounds"]] == [("pickups", 1)] * taken
    joiner = Simulation([image_of(shipped[n]) for n in ("movement", "pickups", "greeter")],
                        seed=1, start=False)
    joiner.restore(play.sim.snapshot())
    assert presentation_state(joiner) == {**state, "sounds": []}
    assert joiner.state_hash() == play.sim.state_hash()


def test_greeter_leaves_a_line_an_earlier_mod_consumed(shipped, painter: ModImage) -> None:
    """The greeter (Nim) asks chat_consumed: after a mod before it answered /top, it stays
    silent; alone, it answers."""
    for mods, expected in (([painter], [("painter", "r=0")]),
                           ([], [("greeter", "ann leads with 0 points")])):
        sim = Simulation([*mods, image_of(shipped["greeter"])], seed=1)
        sim.step(TickInputs(1, joins=((1, "ann"),)))
        sim.step(TickInputs(2, chats=((1, "/top"),)))
        assert [(m.mod, m.text) for m in sim.mod_chat] == expected
