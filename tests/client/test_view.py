"""The text view of ``riscade connect`` (client/view.py): what a player sees of the
presentation state, every mod-chosen string made printable, from a real simulation."""

from __future__ import annotations

import json
from typing import Any

from client.view import COLS, LABELS_SHOWN, ROWS, render, sound_lines
from game import ModImage, Simulation, TickInputs, presentation_state


def played(painter: ModImage) -> Simulation:
    sim = Simulation([painter], seed=3)
    sim.step(TickInputs(1, joins=((1, "ann"), (2, "bob"))))
    for tick, line in enumerate(["/style 2 3 0xff 256", "/klabel 2 gem", "/hud 1 0 for ann",
                                 "/hud 2 1 for bob", "/title Best", "/spawnlabel shiny",
                                 "/sound 2"], 2):
        sim.step(TickInputs(tick, chats=((1, line),)))
    return sim


def test_a_player_sees_the_arena_their_hud_the_scoreboard_and_labels(painter: ModImage) -> None:
    sim = played(painter)
    sim.world.set(sim.world.players[2], "score", 4)
    lines = render(presentation_state(sim), player=1)
    assert lines[0] == f"tick {sim.world.tick}"
    grid = lines[1:1 + ROWS]
    assert all(len(row) == COLS for row in grid)
    assert sum(row.count("^") for row in grid) == 1  # the gem (kind 2) is a triangle
    assert sum(row.count("@") for row in grid) >= 1  # players: unstyled, the default
    rest = lines[1 + ROWS:]
    assert rest[0] == "| for ann"  # not bob's line
    assert rest[1] == "Best: p2 4, p1 0"
    assert rest[2] == "kinds: ^ gem"
    assert rest[3].startswith("labels: shiny (") and len(rest) == 4
    assert not any(line.startswith("|") for line in render(presentation_state(sim), None))


def test_the_state_is_plain_data_a_browser_can_take_as_json(painter: ModImage) -> None:
    state = presentation_state(played(painter))
    assert json.loads(json.dumps(state)) == state


def test_sounds_of_the_tick(painter: ModImage) -> None:
    sim = played(painter)
    assert sound_lines(presentation_state(sim)) == ["[sound 2]", "[sound 2]"]
    sim.step(TickInputs(sim.world.tick + 1))
    assert sound_lines(presentation_state(sim)) == []


def hostile_state() -> dict[str, Any]:
    """A state as a buggy or hostile source might hand a renderer: escapes everywhere."""
    evil = "\x1b[2J\x1b]0;owned\x07\n\u202e" + "x" * 500
    return {
        "tick": 1, "width": 10, "height": 10,
        "kinds": [{"kind": 5, "shape": 99, "rgb": 0, "size": 1, "label": evil}],
        "entities": [{"id": i, "kind": 5, "x": -(1 << 63), "y": (1 << 63) - 1, "vx": 0,
                      "vy": 0, "health": 0, "score": 0, "owner": -1, "label": evil}
                     for i in range(1, 20)],
        "hud": [{"player": 1, "lines": [evil]}],
        "scoreboard": {"title": evil, "rows": []},
        "sounds": [],
    }


def test_nothing_a_mod_chose_reaches_the_terminal_raw() -> None:
    lines = render(hostile_state(), player=1)
    text = "\n".join(lines)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert len(lines) == 1 + ROWS + 4  # one line each, however long the strings
    assert all(len(line) < 600 for line in lines)
    assert lines[-1].endswith(f" and {19 - LABELS_SHOWN} more")
    assert lines[ROWS][0] == "*"  # a far corner (x min, y max), an unknown shape: clamped, default
