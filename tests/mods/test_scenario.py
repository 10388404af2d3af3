"""Scenario files (``mods.scenario``): the bundled ones parse; a bad or hostile file is refused
with every problem on its line, and its counts are bounded before anything is expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mods.scenario import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_TICKS,
    Range,
    ScenarioError,
    load_scenario,
    scenario_files,
)

MODS = Path(__file__).resolve().parents[2] / "mods"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    return info.value.problems


@pytest.mark.parametrize("mod", ["movement", "pickups", "greeter", "waypoints"])
def test_every_bundled_mod_has_scenarios_that_parse(mod: str) -> None:
    files = scenario_files(MODS / mod)
    assert files
    for path in files:
        scenario = load_scenario(path)
        assert scenario.expects and scenario.players


def test_a_small_scenario_parses_as_written(tmp_path: Path) -> None:
    s = load_scenario(_write(tmp_path, """
seed = 9
[[player]]
id = 3
join = [2, 6]
leave = 4
[[input]]
ticks = [2, 3]
player = 3
buttons = ["up", "fire"]
[[chat]]
tick = 5
player = 3
text = "/hi"
[[expect]]
tick = 6
entity = { player = 3 }
x = { min = 1, max = 2 }
score = 0
props = { visits = 1 }
[[expect]]
tick = 0
chat_contains = "hi"
to = "all"
"""))
    assert s.seed == 9 and s.ticks == 6  # no 'ticks': the last tick mentioned
    assert s.players[0].name == "player3" and s.players[0].joins == (2, 6)
    assert s.players[0].leaves == (4,)
    assert (s.inputs[0].first, s.inputs[0].last, s.inputs[0].buttons) == (2, 3, 1 | 16)
    assert [e.tick for e in s.expects] == [0, 6]  # sorted by tick
    entity = s.expects[1]
    assert entity.fields == (("x", Range(1, 2)), ("score", Range(0, 0)))
    assert entity.props == (("visits", Range(1, 1)),)
    assert s.expects[0].to == -1 and s.expects[0].contains


def test_not_toml_names_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, 'seed = 1\n\n[[player]]\nid = = 2\n')
    assert problems[0][0] == 4 and problems[0][1].startswith("not valid TOML")


def test_problems_are_all_reported_each_on_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
ticks = 10
colour = "red"

[[player]]
id = 1

[[input]]
tick = 11
player = 1

[[chat]]
tick = 2
player = 2
text = "hi"

[[expect]]
tick = 3
chat = "a"
log = "b"

[[expect]]
tick = 4
entity = { player = 1 }
x = "left"
""")
    assert problems == [
        (0, "unknown key(s) in the scenario: 'colour' (known: chat, description, expect, "
            "input, mods, player, seed, ticks)"),
        (8, "'tick' must be an integer in 1..10, not 11"),
        (13, "player 2 has no [[player]] table"),
        (16, "[[expect]] needs exactly one of chat, chat_contains, log, log_contains, entity, "
             "fault, hash"),
        (24, "'x' must be a 64-bit integer or { min = A, max = B } with A <= B, not 'left'"),
    ]


def test_the_error_message_is_path_colon_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[player]]\nid = 0\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:2: 'id' must be an integer in 1\.\.65536"):
        load_scenario(path)


@pytest.mark.parametrize("text, line, phrase", [
    ("ticks = 1000000000000000000", 1, f"'ticks' must be an integer in 1..{MAX_TICKS}"),
    ("[[player]]\nid = 1\njoin = 99999999999999999", 3, f"'join' must be a tick in 1..{MAX_TICKS}"),
    ("[[player]]\nid = 1\n[[expect]]\ntick = -1\nhash = '" + "0" * 64 + "'", 4,
     "'tick' must be an integer in 0.."),
    ("[[player]]\nid = 1\njoin = [1, 2]", 3, "joins and leaves must alternate"),
    ("[[player]]\nid = 1\njoin = 3\nleave = 3", 4, "joins and leaves must alternate"),
    ("[[player]]\nid = 1\n[[input]]\ntick = 1\nplayer = 1\nbuttons = ['jump']", 6,
     "'buttons' must be an integer in 0..2^32-1 or a list of up, down, left, right, fire"),
    ("[[player]]\nid = 1\n[[input]]\nticks = [5, 2]\nplayer = 1", 4,
     "'ticks' must be [FIRST, LAST]"),
    ("[[player]]\nid = 1\n[[input]]\ntick = 1\nticks = [1, 2]\nplayer = 1", 3, "one of them"),
    ("[[expect]]\ntick = 1\nentity = { name = 'x' }\ncount = 1", 3, "'entity' must be"),
    ("[[expect]]\ntick = 1\nentity = { kind = 'coin' }", 1, "checks nothing"),
    ("[[expect]]\ntick = 1\nfault = '../x'", 3, "'fault' must be a mod name"),
    ("[[expect]]\ntick = 1\nhash = 'abc'", 3, "64 lowercase hex digits"),
    ("[[expect]]\ntick = 1\nchat = 'x'\nto = 0", 4, "'to' must be a player id or \"all\""),
    ("[[expect]]\ntick = 1\nchat = 'x'\nwhy = 1", 1, "unknown key(s) in a chat [[expect]]: 'why'"),
    ("mods = ['../etc']", 1, "'mods' must be a list of at most 64 mod names"),
    ("player = 3", 1, "'player' must be an array of tables"),
    ("[[player]]\nid = 1\nname = \"a\\u0000b\"", 3, "'name' must be printable, not blank"),
    ("[[player]]\nid = 1\nname = '  '", 3, "'name' must be printable, not blank"),
])
def test_each_rule_names_its_line(tmp_path: Path, text: str, line: int, phrase: str) -> None:
    problems = _problems(tmp_path, text)
    assert any(n == line and phrase in p for n, p in problems), problems


def test_a_huge_input_range_is_bounded_before_it_is_expanded(tmp_path: Path) -> None:
    tables = "".join(f"[[input]]\nticks = [1, {MAX_TICKS}]\nplayer = {p}\n"
                     for p in range(1, 21))
    players = "".join(f"[[player]]\nid = {p}\n" for p in range(1, 21))
    problems = _problems(tmp_path, f"ticks = {MAX_TICKS}\n{players}{tables}")
    assert problems[-1][1] == "the inputs add up to more than 200000 player-ticks"


def test_too_many_tables_and_too_large_files_are_refused(tmp_path: Path) -> None:
    many = "[[expect]]\ntick = 0\nhash = '" + "0" * 64 + "'\n"
    problems = _problems(tmp_path, many * (MAX_ENTRIES + 1))
    assert problems == [(0, f"more than {MAX_ENTRIES} [[player]], [[input]], [[chat]] and "
                            "[[expect]] tables")]
    big = _write(tmp_path, "#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match=f"larger than {MAX_FILE_BYTES} bytes"):
        load_scenario(big)


def test_too_many_players_and_chat_lines(tmp_path: Path) -> None:
    players = "".join(f"[[player]]\nid = {p}\n" for p in range(1, 66))
    assert _problems(tmp_path, players)[0] == (1, "more than 64 players")
    chats = "[[player]]\nid = 1\n" + "[[chat]]\ntick = 1\nplayer = 1\ntext = 'x'\n" * 65
    assert "more than 64 chat lines in tick 1" in _problems(tmp_path, chats)[-1][1]


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    for text in ("a = " + "[" * 100_000 + "]" * 100_000, "a = " + "{b=" * 5000 + "1" + "}" * 5000):
        assert _problems(tmp_path, text) == [(0, "not valid TOML: nested too deeply")]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"seed = 1\n# \xff\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(bad)
