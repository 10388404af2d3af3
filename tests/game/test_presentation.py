"""Presentation and chat host calls (112..118) on a real compiled mod (tests/game/guests/
painter.c), on both engines: what they change is world state (hashed, in snapshots, rolled
back with a faulting hook), every value a mod passes is bounded or faults with a reason, and
``presentation_state`` gives a renderer the whole picture."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

import msgpack
import pytest

import game.simulation
from game import ModImage, Simulation, SimulationError, TickInputs, presentation_state
from game.chat import GAME_SPEAKER
from game.rules import (
    COMMANDS_PER_MOD,
    HELP_LINES,
    HUD_LINE_LENGTH,
    KIND_STYLES_PER_MOD,
    LABEL_LENGTH,
    SOUNDS_PER_MOD,
    STYLE_SIZE_MAX,
)
from vm import Machine

COIN, PLAYER, CIRCLE, SQUARE = 2, 1, 1, 2


@pytest.fixture(params=["interp", "translate"], autouse=True)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test on both engines: the simulation's machines run on ``engine``."""
    monkeypatch.setattr(game.simulation, "Machine",
                        functools.partial(Machine, engine=request.param))
    yield request.param


class Game:
    """A simulation with players 1 and 2, driven one chat line per tick."""

    def __init__(self, *mods: ModImage) -> None:
        self.sim = Simulation(list(mods), seed=3)
        self.sim.step(TickInputs(1, joins=((1, "ann"), (2, "bob"))))

    def say(self, text: str, player: int = 1, **more: object) -> list[str]:
        """Step one tick with ``text`` from ``player``; the painters' replies to it."""
        tick = self.sim.world.tick + 1
        self.sim.step(TickInputs(tick, chats=((player, text),), **more))  # type: ignore[arg-type]
        return [m.text for m in self.sim.mod_chat if m.mod != GAME_SPEAKER]

    def state(self) -> dict[str, object]:
        return presentation_state(self.sim)


def other(painter: ModImage, name: str = "painter2") -> ModImage:
    return dataclasses.replace(painter, name=name)


def test_kind_style_and_label_are_world_state_the_same_everywhere(painter: ModImage) -> None:
    a, b = Game(painter), Game(painter)
    for g in (a, b):
        assert g.say("/style 2 1 0xffd700 128") == ["r=1"]
        assert g.say("/klabel 2 coin") == ["r=1"]
    assert a.state()["kinds"] == [{"kind": COIN, "shape": CIRCLE, "rgb": 0xFFD700, "size": 128,
                                   "label": "coin"}]
    assert a.sim.state_hash() == b.sim.state_hash()
    before = a.sim.state_hash()
    a.say("/klabel 2 coins")
    b.say("/klabel 2 coin")
    assert a.sim.state_hash() != b.sim.state_hash() != before  # the hash sees one letter


@pytest.mark.parametrize("args, reason", [
    ("2 0 0 1", "shape 0"), ("2 5 0 1", "shape 5"), ("2 -1 0 1", "shape -1"),
    ("2 1 0x1000000 1", "colour"), ("2 1 -1 1", "colour"),
    ("2 1 0 0", "size 0"), (f"2 1 0 {STYLE_SIZE_MAX + 1}", "size"), ("2 1 0 -5", "size"),
])
def test_bad_style_values_fault_with_a_reason_and_change_nothing(
    painter: ModImage, args: str, reason: str
) -> None:
    g = Game(painter)
    before = g.sim.state_hash(machines=False)
    assert g.say(f"/style {args}") == []
    fault = g.sim.faults[-1]
    assert (fault.mod, fault.hook) == ("painter", "on_chat") and reason in fault.message
    assert g.state()["kinds"] == []
    g.say("/style 2 1 0xffffff 8")  # still running, the kind is still free
    assert g.state()["kinds"][0]["rgb"] == 0xFFFFFF  # type: ignore[index]
    assert g.sim.state_hash(machines=False) != before


def test_a_kind_belongs_to_the_first_mod_that_styles_it(painter: ModImage) -> None:
    g = Game(painter, other(painter))
    assert g.say("/style 2 1 0xff 256") == ["r=1", "r=0"]  # painter2 is refused
    assert g.say("/klabel 2 mine") == ["r=1", "r=0"]
    assert g.state()["kinds"] == [{"kind": 2, "shape": 1, "rgb": 0xFF, "size": 256,
                                   "label": "mine"}]


def test_styles_per_mod_are_capped(painter: ModImage) -> None:
    g = Game(painter)
    assert g.say(f"/styles 1000 {KIND_STYLES_PER_MOD + 5}") == [f"r={KIND_STYLES_PER_MOD}"]
    assert g.say("/klabel 5000 x") == ["r=0"]  # a label would style one more kind
    assert g.say("/klabel 1000 x") == ["r=1"]  # its own kinds it may still change


def test_labels_are_cut_cleaned_and_gone_with_their_entity(painter: ModImage) -> None:
    g = Game(painter)
    [reply] = g.say("/spawnlabel " + "\x1b[31m\n" + "é" * 100)
    eid = int(reply[2:])
    label = next(e["label"] for e in g.state()["entities"] if e["id"] == eid)  # type: ignore
    assert label == " [31m " + "é" * (LABEL_LENGTH - 6)  # ESC and newline: spaces
    assert g.say(f"/elabel {eid} ") == ["r=1"]  # empty: removed
    assert g.sim.world.look.labels == {}
    assert g.say("/elabel 999999 x") == ["r=0"]  # no such entity
    player_entity = g.sim.world.players[1]
    assert g.say(f"/elabel {player_entity} ann") == ["r=1"]  # painter has "players"
    g.sim.step(TickInputs(g.sim.world.tick + 1, leaves=(1,)))
    assert g.sim.world.look.labels == {}


def test_a_players_entity_needs_the_players_permission(painter: ModImage) -> None:
    g = Game(dataclasses.replace(painter, permissions=frozenset()))
    assert g.say(f"/elabel {g.sim.world.players[2]} boss") == []
    assert "players" in g.sim.faults[-1].message
    assert g.sim.world.look.labels == {}


def test_hud_lines_per_player_bounded_and_gone_when_the_player_leaves(painter: ModImage) -> None:
    g = Game(painter, other(painter))
    assert g.say("/hud 1 0 hello " + "x" * 200) == ["r=1", "r=1"]
    assert g.say("/hud 2 3 bob", player=2) == ["r=1", "r=1"]
    assert g.say("/hud 99 0 nobody") == ["r=0", "r=0"]
    hud = g.state()["hud"]
    line = ("hello " + "x" * 200)[:HUD_LINE_LENGTH]
    assert hud == [{"player": 1, "lines": [line, line]}, {"player": 2, "lines": ["bob", "bob"]}]
    for bad in ("/hud 1 4 x", "/hud 1 -1 x", "/hud 99 9 x"):
        before = len(g.sim.faults)
        g.say(bad)
        assert len(g.sim.faults) == before + 2 and "hud_set: line" in g.sim.faults[-1].message
    g.sim.step(TickInputs(g.sim.world.tick + 1, leaves=(1,)))
    assert g.state()["hud"] == [{"player": 2, "lines": ["bob", "bob"]}]


def test_scoreboard_is_derived_from_player_scores(painter: ModImage) -> None:
    g = Game(painter)
    assert g.state()["scoreboard"] is None
    g.say("/title Coins\x07")
    world = g.sim.world
    world.set(world.players[2], "score", 5)
    board = g.state()["scoreboard"]
    assert board == {"title": "Coins ", "rows": [
        {"player": 2, "entity": world.players[2], "score": 5},
        {"player": 1, "entity": world.players[1], "score": 0}]}
    g.say("/title ")
    assert g.state()["scoreboard"] is None


def test_sounds_are_capped_per_mod_and_last_one_tick(painter: ModImage) -> None:
    g = Game(painter, other(painter))
    g.say("/sound 20")
    sounds = g.state()["sounds"]
    assert len(sounds) == 2 * SOUNDS_PER_MOD  # type: ignore[arg-type]
    assert sounds[0] == {"mod": "painter", "sound": 20, "x": 20, "y": 20}  # type: ignore
    assert sounds[-1]["mod"] == "painter2"  # type: ignore[index]
    g.say("nothing")
    assert g.state()["sounds"] == []


def test_a_faulting_hook_leaves_no_trace(painter: ModImage) -> None:
    g, clean = Game(painter), Game(painter)
    g.say("/doomed")
    clean.say("/nothing at all")
    assert g.sim.faults[-1].hook == "on_chat"
    assert g.sim.world.to_bytes() == clean.sim.world.to_bytes()  # the world: all of it
    assert g.state() == clean.state() and g.state()["sounds"] == []


def test_later_mods_see_whether_a_line_was_consumed(painter: ModImage) -> None:
    g = Game(painter, other(painter), other(painter, "painter3"))
    assert g.say("/eat") == ["r=0", "r=1", "r=1"]
    assert g.sim.chat == []
    assert g.say("/peek") == ["r=0", "r=0", "r=0"]
    assert g.sim.chat == [(1, "/peek")]


def test_the_game_answers_help_from_every_mods_commands(painter: ModImage) -> None:
    g = Game(painter, other(painter))
    assert g.say("/cmd zap shoots\x1b[2J") == ["r=1", "r=0"]  # painter2: taken
    assert g.say("/cmd paint again") == ["r=1", "r=0"]  # its own: new help
    g.say("/help", player=2)
    answer = [(m.mod, m.player, m.text) for m in g.sim.mod_chat]
    assert answer == [(GAME_SPEAKER, 2, "Commands (2):"),
                      (GAME_SPEAKER, 2, "/paint - again (painter)"),
                      (GAME_SPEAKER, 2, "/zap - shoots [2J (painter)")]
    assert g.sim.chat == []
    for _ in range(3):  # painter faults MAX_FAULTS times: disabled, its commands unlisted
        g.say("/style 2 0 0 0")
    assert g.sim.mod_status()[0] == ("painter", 3, True)
    g.say("/help")
    assert [m.text for m in g.sim.mod_chat] == ["No commands."]


@pytest.mark.parametrize("name", ["Bad", "help", "a" * 17, "", "sl/ash", "é"])
def test_a_bad_command_name_faults(painter: ModImage, name: str) -> None:
    g = Game(painter)
    assert g.say(f"/cmd {name} x") == []
    assert "command_register" in g.sim.faults[-1].message


def test_commands_per_mod_and_help_lines_are_capped(painter: ModImage) -> None:
    g = Game(*[other(painter, f"p{i}") for i in range(4)])  # p0 has "paint" (on_load)
    listed = [g.say(f"/cmd c{i:02d} x").count("r=1") for i in range(4 * COMMANDS_PER_MOD)]
    assert listed == [1] * (4 * COMMANDS_PER_MOD - 1) + [0]  # each taken once, then all full
    assert g.say("/cmd c00 new help").count("r=1") == 1  # its owner may change its help
    g.say("/help")
    lines = [m.text for m in g.sim.mod_chat if m.mod == GAME_SPEAKER]
    total = 4 * COMMANDS_PER_MOD
    assert len(lines) == HELP_LINES
    assert lines[0] == f"Commands ({total}):" and lines[1] == "/c00 - new help (p0)"
    assert lines[-1] == f"... and {total - (HELP_LINES - 2)} more"


def test_snapshot_carries_presentation_and_commands(painter: ModImage) -> None:
    g = Game(painter)
    for line in ("/style 2 1 0xff 128", "/klabel 2 coin", "/spawnlabel gold", "/hud 1 2 hi",
                 "/title Top", "/cmd zap x"):
        g.say(line)
    joiner = Simulation([painter], seed=3, start=False)
    joiner.restore(g.sim.snapshot())
    assert joiner.state_hash() == g.sim.state_hash()
    assert presentation_state(joiner) == {**g.state(), "sounds": []}
    for sim in (g.sim, joiner):
        sim.step(TickInputs(sim.world.tick + 1, chats=((1, "/help"),)))
    assert [m.text for m in joiner.mod_chat] == [m.text for m in g.sim.mod_chat]
    assert joiner.state_hash() == g.sim.state_hash()


def _with_tail(sim: Simulation, tail: object) -> bytes:
    """``sim``'s snapshot with the world's presentation part replaced by ``tail``."""
    world = sim.world
    mine = msgpack.packb([world.look.dump(), world.commands.dump()])
    data = world.to_bytes()
    doc = msgpack.unpackb(sim.snapshot(), raw=False)
    doc["world"] = data[:len(data) - len(mine)] + msgpack.packb(tail)
    return msgpack.packb(doc)


HOSTILE_TAILS: dict[str, object] = {
    "style of shape 9": [[[2, 1, 9, 0, 1, ""]], [], [], ""],
    "style owner 0": [[[2, 0, 1, 0, 1, ""]], [], [], ""],
    "rgb too big": [[[2, 1, 1, 1 << 24, 1, ""]], [], [], ""],
    "label too long": [[[2, 1, 1, 0, 1, "x" * (LABEL_LENGTH + 1)]], [], [], ""],
    "label with ESC": [[], [[1, "\x1b"]], [], ""],
    "label of no entity": [[], [[99999, "x"]], [], ""],
    "empty label": [[], [[1, ""]], [], ""],
    "hud of no player": [[], [], [[99, 1, 0, "x"]], ""],
    "hud line 4": [[], [], [[1, 1, 4, "x"]], ""],
    "styles unsorted": [[[3, 1, 1, 0, 1, ""], [2, 1, 1, 0, 1, ""]], [], [], ""],
    "too many styles": [[[k, 1, 1, 0, 1, ""] for k in range(KIND_STYLES_PER_MOD + 1)],
                        [], [], ""],
    "title as int": [[], [], [], 5],
    "title with newline": [[], [], [], "a\nb"],
    "not a list": {"a": 1},
    "three parts": [[], [], []],
}
HOSTILE_COMMANDS: dict[str, object] = {
    "command named help": [["help", 1, ""]],
    "command bad name": [["Zap", 1, ""]],
    "command slot 0": [["zap", 0, ""]],
    "too many commands": [[f"c{i:02d}", 1, ""] for i in range(COMMANDS_PER_MOD + 1)],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TAILS) + sorted(HOSTILE_COMMANDS))
def test_a_hostile_presentation_in_a_snapshot_is_refused(painter: ModImage, case: str) -> None:
    g = Game(painter)
    if case in HOSTILE_TAILS:
        tail = HOSTILE_TAILS[case]
    else:
        tail = [[[], [], [], ""], HOSTILE_COMMANDS[case]]
    if isinstance(tail, list) and len(tail) == 4:
        tail = [tail, []]
    bad = _with_tail(g.sim, tail)
    target = Simulation([painter], seed=3)
    before = target.snapshot()
    with pytest.raises(SimulationError, match="bad snapshot"):
        target.restore(bad)
    assert target.snapshot() == before
    assert _with_tail(g.sim, [g.sim.world.look.dump(), g.sim.world.commands.dump()]) \
        == g.sim.snapshot()  # the surgery itself changes nothing


def test_the_packed_form_follows_every_change_and_undo() -> None:
    """``Presentation.packed`` is cached: after each change and each undo it still equals
    the state packed anew."""
    from game.presentation import Presentation

    undo: list = []
    look = Presentation(undo.append)
    fresh = lambda: msgpack.packb(look.dump())  # noqa: E731
    steps = [lambda: look.style_kind(1, 2, 1, 0xFF, 9), lambda: look.label_kind(1, 2, "a"),
             lambda: look.label_entity(5, "b"), lambda: look.set_hud(1, 1, 0, "c"),
             lambda: look.set_title("d"), lambda: look.forget_entity(5),
             lambda: look.forget_player(1)]
    seen = [look.packed()]
    for step in steps:
        step()
        assert look.packed() == fresh()
        seen.append(look.packed())
    assert len(set(seen)) == len(seen)  # every step changed it
    for expected in reversed(seen[:-1]):
        while undo and look.packed() != expected:
            undo.pop()()
            assert look.packed() == fresh()
        assert look.packed() == expected


@pytest.mark.parametrize("line", ["/hud 1 0 ", "/klabel 2 ", "/title ", "/cmd zap "])
def test_a_string_over_the_hosts_limit_faults(painter: ModImage, line: str) -> None:
    """MOD_STRING_MAX bounds what the host copies at all: a longer text is a fault, not a
    cut (cutting is for the stored limits)."""
    from game.rules import MOD_STRING_MAX

    g = Game(painter)
    world = g.sim.world
    before = (world.look.dump(), world.commands.dump())
    assert g.say(line + "x" * (MOD_STRING_MAX + 1)) == []
    assert f"more than {MOD_STRING_MAX}" in g.sim.faults[-1].message
    assert (world.look.dump(), world.commands.dump()) == before
